package molecule_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTheSmokeJudgements runs the smoke test's table tests: its filters on
// objects as the API server returns them, and Foreman's /api/v2/ping judged
// on recorded responses (healthy, the database down, a Katello service
// failing, the cache down), which the local cluster cannot produce.
func TestTheSmokeJudgements(t *testing.T) {
	t.Parallel()
	needAnsible(t)
	cmd := exec.Command(ansiblePlaybook, "-i", "localhost,", "-c", "local",
		"-e", "ansible_python_interpreter=/usr/bin/python3",
		filepath.Join(repoRoot(t), "roles", "foreman_smoke", "tests", "smoke.yml"))
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("roles/foreman_smoke/tests/smoke.yml: %v\n%s", err, out)
	}
}
