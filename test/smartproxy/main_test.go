// Package smartproxy_test tests the Smart Proxy half of the operator:
// roles/smartproxy, its registration script and the Smart Proxy package
// (config/smartproxy, watches-smartproxy.yaml).
//
// Without a cluster: the role's filter table tests, and the registration
// script (roles/smartproxy/files/register.py) run with Debian's python3
// against a fake Foreman API that checks every request's OAuth signature
// (the real script, a fake Foreman: no Foreman runs here).
//
// On a cluster of its own (standalone_test.go): the package is applied to a
// dedicated local cluster that never has the Foreman CRD, and the operator
// runs with the package's service account token, so it has exactly the
// package's namespaced Role. The Foreman beside which a SmartProxy runs is
// tested in test/foremanrole. Container images never start here (kwok plays
// the kubelet): the registration Job completes without running the script,
// so its spec is what those tests check.
package smartproxy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// Debian's Ansible and Python, which see the collections and cryptography.
const (
	ansiblePlaybook = "/usr/bin/ansible-playbook"
	python3         = "/usr/bin/python3"
)

// need skips the test when path is missing, except under CI.
func need(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", path, err)
		}
		t.Skipf("no %s: install Ansible (make deps)", path)
	}
}

// TestTheRoleFilters runs the role's filter table tests with Ansible.
func TestTheRoleFilters(t *testing.T) {
	need(t, ansiblePlaybook)
	cmd := exec.Command(ansiblePlaybook, "-i", "localhost,", "-c", "local",
		"-e", "ansible_python_interpreter="+python3,
		filepath.Join(testrepo.Root(t), "roles", "smartproxy", "tests", "filters.yml"))
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("roles/smartproxy/tests/filters.yml: %v\n%s", err, out)
	}
}
