package watches_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/theforeman/foreman-operator/pkg/watches"
)

// FuzzLoad feeds arbitrary bytes to the parser. It must never panic; it must fail with
// FieldErrors only; and when it succeeds, every Watch must be runnable: a version, a
// kind, and exactly one absolute role or playbook. The seed corpus in
// testdata/fuzz/FuzzLoad holds copies of the valid and invalid files.
func FuzzLoad(f *testing.F) {
	_, opts := newFixture(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, err := watches.Parse(data, "watches.yaml", opts)
		if err != nil {
			var fe *watches.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %v (%T) holds no *FieldError", err, err)
			}
			if got != nil {
				t.Fatalf("Parse returned %d watches with its error", len(got))
			}
			return
		}
		for i, w := range got {
			if w.GroupVersionKind.Version == "" || w.GroupVersionKind.Kind == "" {
				t.Errorf("watch %d has GVK %v, want a version and a kind", i, w.GroupVersionKind)
			}
			if (w.Role == "") == (w.Playbook == "") {
				t.Errorf("watch %d has role %q and playbook %q, want exactly one", i, w.Role, w.Playbook)
			}
			if path := w.Role + w.Playbook; !filepath.IsAbs(path) {
				t.Errorf("watch %d runs %q, want an absolute path", i, path)
			}
		}
	})
}
