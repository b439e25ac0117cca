package foremanstatus

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering keeps the computation pure: only reconciler.go may import an
// API client or controller-runtime, and the package uses no stage of the
// engine but the pure ones (the API types, pkg/status's Equal, the parsed
// watches).
func TestLayering(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1": true,
		"github.com/theforeman/foreman-operator/pkg/status":            true,
		"github.com/theforeman/foreman-operator/pkg/watches":           true,
	}
	checked := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(path, "github.com/theforeman/foreman-operator/") && !allowed[path] {
				t.Errorf("%s imports %s; the reporter uses only the pure stages of the engine", file, path)
			}
			talks := strings.HasPrefix(path, "sigs.k8s.io/controller-runtime") ||
				strings.HasPrefix(path, "k8s.io/client-go") || path == "k8s.io/apimachinery/pkg/runtime"
			if file != "reconciler.go" && talks {
				t.Errorf("%s imports %s; only reconciler.go talks to the API server", file, path)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked %d source files, want the package's 5", checked)
	}
}
