// Package layering_test enforces the one-way data flow of the house style
// (CR event → reconcile → extra vars → runner → Ansible → events → status):
// the pure stages import no API client, and only the packages whose job it
// is talk to the API server.
package layering_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/theforeman/foreman-operator/"

func stdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// talksToAPI reports imports that reach the API server.
func talksToAPI(path string) bool {
	return strings.HasPrefix(path, "sigs.k8s.io/controller-runtime") ||
		(strings.HasPrefix(path, "k8s.io/client-go") && path != "k8s.io/client-go/kubernetes/scheme") ||
		path == "net/http"
}

// A rule says why a file of a package may not import a path ("" when it may).
type rule func(file, path string) string

var rules = map[string]rule{
	"pkg/events": func(_, path string) string {
		switch {
		case !stdlib(path):
			return "event parsing is pure: the standard library only"
		case path == "os" || path == "os/exec" || path == "net/http":
			return "event parsing does no I/O of its own"
		}
		return ""
	},
	"pkg/status": func(_, path string) string {
		if !stdlib(path) {
			return "status computation is pure: the standard library only"
		}
		return ""
	},
	"pkg/watches":   pure,
	"pkg/paramconv": pure,
	"pkg/extravars": pure,
	"pkg/capacity":  pure,
	"pkg/runner": func(_, path string) string {
		if talksToAPI(path) || strings.HasPrefix(path, module+"pkg/controller") {
			return "the runner runs Ansible; it never talks to the API server"
		}
		return ""
	},
	"pkg/forkserver": func(_, path string) string {
		switch {
		case !stdlib(path):
			return "the fork server is the runner's process starter: the standard library only"
		case path == "net/http":
			return "the fork server speaks only its own Unix socket protocol"
		}
		return ""
	},
	"pkg/proxy": func(file, path string) string {
		switch {
		case strings.HasPrefix(path, module):
			return "the proxy depends on no other package of the operator"
		case file == "inject.go" && (path == "net" || strings.HasPrefix(path, "net/") || talksToAPI(path)):
			return "body rewriting stays pure"
		}
		return ""
	},
	"pkg/foremanstatus": func(file, path string) string {
		switch {
		case strings.HasPrefix(path, module) && !allowedByReporter[strings.TrimPrefix(path, module)]:
			return "the reporter uses only the API types and the pure stages"
		case file != "reconciler.go" && (talksToAPI(path) || path == "k8s.io/apimachinery/pkg/runtime"):
			return "only reconciler.go talks to the API server"
		}
		return ""
	},
	"pkg/smartproxystatus": func(_, path string) string {
		switch {
		case strings.HasPrefix(path, module) && !allowedBySmartProxyStatus[strings.TrimPrefix(path, module)]:
			return "the SmartProxy kind's status knowledge uses only the API types and the reporter"
		case talksToAPI(path) || path == "k8s.io/apimachinery/pkg/runtime":
			return "what the reporter knows of a kind is pure: the reporter talks to the API server"
		}
		return ""
	},
}

var allowedBySmartProxyStatus = map[string]bool{"pkg/apis/app/v1alpha1": true, "pkg/foremanstatus": true}

var allowedByReporter = map[string]bool{"pkg/apis/app/v1alpha1": true, "pkg/status": true, "pkg/watches": true}

func pure(_, path string) string {
	if talksToAPI(path) || path == "os/exec" {
		return "a pure stage: no API client, no processes"
	}
	return ""
}

func TestEachPackageImportsOnlyWhatItsStageMay(t *testing.T) {
	for pkg, allowed := range rules {
		t.Run(pkg, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join("..", "..", pkg, "*.go"))
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
					if why := allowed(filepath.Base(file), path); why != "" {
						t.Errorf("%s imports %s: %s", file, path, why)
					}
				}
				checked++
			}
			if checked == 0 {
				t.Fatalf("found no source files in %s", pkg)
			}
		})
	}
}
