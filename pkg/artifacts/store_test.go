package artifacts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// step is one run: Begin, write size bytes, Finish with keep.
type step struct {
	dir, ident string
	size       int
	keep       int
}

func TestStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cap   int64
		steps []step
		// want lists each dir's artifacts entries, latest as "latest->x".
		want      map[string][]string
		wantTotal int64
	}{
		{
			name:      "Without limits every run is kept",
			steps:     []step{{"a", "1", 10, 0}, {"a", "2", 10, 0}, {"a", "3", 10, 0}},
			want:      map[string][]string{"a": {"1", "2", "3", "latest->3"}},
			wantTotal: 30,
		},
		{
			name:      "Per-dir rotation keeps the newest runs",
			steps:     []step{{"a", "1", 10, 2}, {"a", "2", 10, 2}, {"a", "3", 10, 2}, {"b", "4", 10, 2}},
			want:      map[string][]string{"a": {"2", "3", "latest->3"}, "b": {"4", "latest->4"}},
			wantTotal: 30,
		},
		{
			name:      "The global cap prunes the oldest run of any dir",
			cap:       25,
			steps:     []step{{"a", "1", 10, 0}, {"b", "2", 10, 0}, {"a", "3", 10, 0}},
			want:      map[string][]string{"a": {"3", "latest->3"}, "b": {"2", "latest->2"}},
			wantTotal: 20,
		},
		{
			name:      "A dir whose runs all went loses its latest link",
			cap:       25,
			steps:     []step{{"a", "1", 10, 0}, {"b", "2", 10, 0}, {"b", "3", 10, 0}},
			want:      map[string][]string{"a": nil, "b": {"2", "3", "latest->3"}},
			wantTotal: 20,
		},
		{
			name:      "The run that just ended is kept even above the cap",
			cap:       5,
			steps:     []step{{"a", "1", 10, 0}, {"b", "2", 50, 0}},
			want:      map[string][]string{"a": nil, "b": {"2", "latest->2"}},
			wantTotal: 50,
		},
		{
			name:      "Rotation happens before the cap",
			cap:       35,
			steps:     []step{{"a", "1", 10, 0}, {"b", "2", 10, 1}, {"b", "3", 10, 1}, {"a", "4", 10, 0}, {"b", "5", 10, 1}},
			want:      map[string][]string{"a": {"1", "4", "latest->4"}, "b": {"5", "latest->5"}},
			wantTotal: 30,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := NewStore(tc.cap)
			for _, st := range tc.steps {
				addRun(t, s, filepath.Join(root, st.dir), st.ident, st.size, st.keep)
			}
			got := map[string][]string{}
			for dir := range tc.want {
				got[dir] = listArtifacts(t, filepath.Join(root, dir))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("artifacts (-want +got):\n%s", diff)
			}
			if s.Total() != tc.wantTotal {
				t.Errorf("Total() = %d, want %d", s.Total(), tc.wantTotal)
			}
		})
	}
}

func addRun(t *testing.T, s *Store, dir, ident string, size, keep int) {
	t.Helper()
	path, err := s.Begin(dir, ident)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "stdout"), []byte(strings.Repeat("x", size)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(dir, ident, keep); err != nil {
		t.Fatal(err)
	}
}

// listArtifacts lists dir/artifacts, showing latest as latest->target and
// leaving out temporary names.
func listArtifacts(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, Subdir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if name == Latest {
			target, err := os.Readlink(filepath.Join(dir, Subdir, name))
			if err != nil {
				t.Fatal(err)
			}
			name += "->" + target
		}
		names = append(names, name)
	}
	return names
}

func TestStoreCountsRunsLeftByAnEarlierProcess(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a")
	old := NewStore(0)
	addRun(t, old, dir, "old1", 10, 0)
	addRun(t, old, dir, "old2", 10, 0)
	// The earlier process wrote old1 before old2.
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, Subdir, "old1"), past, past); err != nil {
		t.Fatal(err)
	}

	s := NewStore(25)
	addRun(t, s, dir, "new", 10, 0)
	if diff := cmp.Diff([]string{"latest->new", "new", "old2"}, listArtifacts(t, dir)); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	if s.Total() != 20 {
		t.Errorf("Total() = %d, want 20", s.Total())
	}
}

func TestStoreRemoveForgetsTheDir(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	s := NewStore(25)
	addRun(t, s, a, "1", 10, 0)
	addRun(t, s, b, "2", 10, 0)
	if err := s.Remove(a); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Errorf("Remove left %s: %v", a, err)
	}
	if s.Total() != 10 {
		t.Errorf("Total() after Remove = %d, want 10", s.Total())
	}
	// Run 2 is no longer the oldest of three; the cap fits two.
	addRun(t, s, b, "3", 10, 0)
	if diff := cmp.Diff([]string{"2", "3", "latest->3"}, listArtifacts(t, b)); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
}

func TestStoreBeginRefusesAUsedIdent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	s := NewStore(0)
	addRun(t, s, dir, "1", 1, 0)
	if _, err := s.Begin(dir, "1"); err == nil {
		t.Error("Begin with a used ident succeeded")
	}
}

func TestStoreFinishNeedsBegin(t *testing.T) {
	if _, err := NewStore(0).Finish(t.TempDir(), "1", 0); err == nil {
		t.Error("Finish without Begin succeeded")
	}
}

func TestValidIdent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ident string
		ok    bool
	}{
		{name: "A decimal number is valid", ident: "1795483342997004333", ok: true},
		{name: "A name with dashes and dots is valid", ident: "run-1.a", ok: true},
		{name: "An empty ident is invalid", ident: ""},
		{name: "latest is reserved", ident: "latest"},
		{name: "Dot-dot is reserved", ident: ".."},
		{name: "A hidden name is invalid, as temporary links use one", ident: ".latest-x"},
		{name: "A slash is invalid", ident: "a/b"},
		{name: "NUL is invalid", ident: "a\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidIdent(tc.ident); (err == nil) != tc.ok {
				t.Errorf("ValidIdent(%q) = %v, want ok %v", tc.ident, err, tc.ok)
			}
		})
	}
}

func TestSize(t *testing.T) {
	dir := t.TempDir()
	for name, n := range map[string]int{"a": 3, "sub/b": 7} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if got, err := Size(dir); err != nil || got != 10 {
		t.Errorf("Size = %d, %v; want 10 (links not followed)", got, err)
	}
}
