package foremanrole_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// pulpStreams are the streams whose Pulp environment is checked.
var pulpStreams = []string{"5.0", "3.19"}

// TestPulpsRenderedSettingsReadBackAsPulpReadsThem renders the managed
// Pulp's environment for each stream as the role does
// (roles/foreman/tests/pulp_env.yml: vars/pulp.yml, its filter and the
// ConfigMap and Secret templates, no cluster) and checks it with
// roles/foreman/tests/pulp_settings.py: every value read back as Dynaconf
// reads it (Debian's Dynaconf, where installed) with its setting's type,
// the settings Katello needs as foremanctl sets them, and the api and
// content commands' variables. The checker must also refuse the
// environment of the role before the no-create backend, the checksums and
// paths and the ansible hostnames (testdata/pulp-env-before.json), and a
// broken one.
func TestPulpsRenderedSettingsReadBackAsPulpReadsThem(t *testing.T) {
	if _, err := os.Stat(ansiblePlaybook); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", ansiblePlaybook, err)
		}
		t.Skipf("no %s: install Ansible (make deps)", ansiblePlaybook)
	}
	root := testrepo.Root(t)
	checker := filepath.Join(root, "roles", "foreman", "tests", "pulp_settings.py")
	out := t.TempDir()
	var rendered []string
	for _, stream := range pulpStreams {
		cmd := exec.Command(ansiblePlaybook, "-i", "localhost,", "-c", "local",
			"-e", "ansible_python_interpreter=/usr/bin/python3", "-e", "stream="+stream, "-e", "out="+out,
			filepath.Join(root, "roles", "foreman", "tests", "pulp_env.yml"))
		cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("render Pulp's environment for %s: %v\n%s", stream, err, b)
		}
		rendered = append(rendered, filepath.Join(out, "pulp-env-"+stream+".json"))
	}
	b, err := exec.Command("/usr/bin/python3", append([]string{checker}, rendered...)...).CombinedOutput()
	t.Logf("%s", b)
	if err != nil {
		t.Fatalf("Pulp's rendered settings: %v", err)
	}

	for fixture, want := range map[string]string{
		"pulp-env-before.json": "PULP_AUTHENTICATION_BACKENDS reads as ['django.contrib.auth.backends.RemoteUserBackend']",
		"pulp-env-broken.json": "PULP_ALLOWED_CONTENT_CHECKSUMS reads as \"['sha1', 'sha256'\" (str), not a list of strings",
	} {
		b, err := exec.Command("/usr/bin/python3", checker, filepath.Join("testdata", fixture)).CombinedOutput()
		if err == nil || !strings.Contains(string(b), want) {
			t.Errorf("the checker on %s: %v, want it to fail saying %s:\n%s", fixture, err, want, b)
		}
	}
}

// checkPulpEnv runs roles/foreman/tests/pulp_settings.py on a Pulp
// environment found on the cluster and the api and content commands.
func checkPulpEnv(t *testing.T, env map[string]string, api, content *appsv1.Deployment) {
	t.Helper()
	rendered := map[string]any{"stream": "on the cluster", "configmap": env, "commands": map[string][]string{
		"api": api.Spec.Template.Spec.Containers[0].Command, "content": content.Spec.Template.Spec.Containers[0].Command}}
	data, err := json.Marshal(rendered)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pulp-env.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command("/usr/bin/python3", filepath.Join(testrepo.Root(t), "roles", "foreman", "tests", "pulp_settings.py"), path).CombinedOutput()
	if err != nil {
		t.Errorf("Pulp's settings on the cluster: %v\n%s", err, b)
	}
}
