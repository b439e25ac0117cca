package proxy

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering keeps the proxy a leaf that the controller uses, importing no
// stage of the flow, and keeps inject.go pure: no network, no API client.
func TestLayering(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
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
			if strings.HasPrefix(path, "github.com/theforeman/foreman-operator/") {
				t.Errorf("%s imports %s; pkg/proxy depends on no other package of the operator", file, path)
			}
			client := strings.HasPrefix(path, "k8s.io/client-go/") && path != "k8s.io/client-go/kubernetes/scheme"
			if file == "inject.go" && (path == "net" || strings.HasPrefix(path, "net/") || client) {
				t.Errorf("inject.go imports %s; body rewriting must stay pure", path)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked %d source files, want the package's 5", checked)
	}
}
