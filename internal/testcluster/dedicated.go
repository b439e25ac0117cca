package testcluster

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Dedicated starts a local cluster of the test's own with hack/cluster/up.sh,
// for a test that needs what the shared cluster cannot give, such as a
// cluster where a CRD was never installed, and stops it with down.sh when
// the test ends. Its name is the shared cluster's followed by -suffix, so
// that parallel `make test` runs on one machine do not meet. It returns the
// admin config and the kubeconfig's path. Like Config, it skips the test
// without a shared cluster (a failure under CI).
func Dedicated(t testing.TB, suffix string) (*rest.Config, string) {
	t.Helper()
	Config(t) // skips, or fails under CI, without a shared cluster
	name := filepath.Base(filepath.Dir(os.Getenv(KubeconfigEnv))) + "-" + suffix
	_, file, _, _ := runtime.Caller(0)
	hack := filepath.Join(filepath.Dir(file), "..", "..", "hack", "cluster")
	run := func(script string) (string, error) {
		cmd := exec.Command(filepath.Join(hack, script))
		cmd.Env = append(os.Environ(), "CLUSTER_NAME="+name)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		if err != nil {
			return "", &scriptError{script: script, err: err, out: errOut.String()}
		}
		return strings.TrimSpace(out.String()), nil
	}
	t.Cleanup(func() {
		if _, err := run("down.sh"); err != nil {
			t.Errorf("Stop cluster %s: %v", name, err)
		}
	})
	out, err := run("up.sh")
	if err != nil {
		t.Fatalf("Start cluster %s: %v", name, err)
	}
	lines := strings.Split(out, "\n")
	kubeconfig := lines[len(lines)-1]
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("Load kubeconfig %s of cluster %s: %v", kubeconfig, name, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, kubeconfig
}

type scriptError struct {
	script string
	err    error
	out    string
}

func (e *scriptError) Error() string { return e.script + ": " + e.err.Error() + "\n" + e.out }
