// Package install_test tests installing the operator the ways users do:
// the kustomize configs in config/ (their shape, the manager's sizing and
// security), `make install`, `deploy`, `undeploy` and `uninstall`, and
// least privilege on the local cluster: config/testing deployed into a
// namespace, the operator run out of the cluster with its ServiceAccount's
// token (pods never run here: kwok only simulates them), the design's
// example converging, and that token refused everywhere else.
package install_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/theforeman/foreman-operator/internal/bundle"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// kubectl is the local cluster's, which has kustomize built in.
func kubectl(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEBUILDER_ASSETS is not set: CI must run the tests through `make test`")
		}
		t.Skip("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/cluster/build.sh)")
	}
	return filepath.Join(dir, "kubectl")
}

// render builds a config directory of config/ with kustomize.
func render(t testing.TB, config string) bundle.Objects {
	t.Helper()
	objs, err := bundle.Kustomize(kubectl(t), filepath.Join(testrepo.Root(t), "config", config))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// makeTarget runs a make target of the repository with the given variables
// and environment, and returns its output.
func makeTarget(t testing.TB, env []string, target string, vars ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", target, "KUBECTL=" + kubectl(t)}, vars...)...)
	cmd.Dir = testrepo.Root(t)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s %s: %v\n%s", target, strings.Join(vars, " "), err, out)
	}
	return string(out)
}
