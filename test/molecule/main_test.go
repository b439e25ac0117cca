// Package molecule_test runs the Molecule scenarios of molecule/ on the local
// cluster through hack/molecule's runner (internal/molecule), each scenario
// in parallel with its own state directory, as `make test` must: `make
// molecule` does the same from the command line, or with Molecule itself
// where it is installed. It also proves the runner's idempotence step is
// real (testdata/runner: a converge that changes something every time
// fails it), and runs the smoke test's judgements against recorded objects
// and Foreman ping responses (roles/foreman_smoke/tests/smoke.yml); those
// two need no cluster.
package molecule_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// ansiblePlaybook is the executable the scenarios run with.
const ansiblePlaybook = "/usr/bin/ansible-playbook"

func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// needAnsible skips without Ansible, except under CI.
func needAnsible(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(ansiblePlaybook); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", ansiblePlaybook, err)
		}
		t.Skipf("no %s: install Ansible (make deps)", ansiblePlaybook)
	}
}
