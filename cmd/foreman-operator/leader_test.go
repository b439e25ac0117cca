package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/internal/testoperator"
)

// Two operator processes elect a leader; only the leader runs roles, and the
// other takes over when the leader dies.
func TestOnlyTheLeaderRunsRolesAndAFollowerTakesOver(t *testing.T) {
	cfg, c, ns, testdata := testNamespace(t)
	kubeconfig := writeKubeconfig(t, cfg)
	start := func() *testoperator.Process {
		p := testoperator.Start(t, []string{
			"--watches-file", filepath.Join(testdata, "watches.yaml"), "--kubeconfig", kubeconfig,
			"--leader-elect", "--leader-election-namespace", ns, "--leader-election-id", "foreman-operator-test",
			"--leader-elect-lease-duration", "6s", "--leader-elect-renew-deadline", "4s",
			"--proxy-port", "0", "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
			"--runner-dir", t.TempDir(),
		}, "TESTDATA="+testdata, "WATCH_NAMESPACE="+ns, "ANSIBLE_GATHERING=explicit")
		return p
	}
	first := start()
	op := &operator{t: t, c: c, ns: ns}
	op.createWidget("elected", nil)
	testcluster.Eventually(t, 60*time.Second, "a leader ran the role", func(context.Context) (bool, error) {
		return len(first.Entries("Ansible run succeeded")) == 1, nil
	})
	second := start()
	t.Cleanup(func() { deleteWidgets(t, c, ns) })
	// The follower is up and waiting; give it time to (wrongly) act.
	time.Sleep(3 * time.Second)
	w, err := op.widget(context.Background(), "elected")
	if err != nil {
		t.Fatal(err)
	}
	w.Object["spec"] = map[string]any{"size": int64(2)}
	if err := c.Update(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 60*time.Second, "the leader ran the new generation", func(context.Context) (bool, error) {
		return len(first.Entries("Ansible run succeeded")) == 2, nil
	})
	if n := len(second.Entries("Starting Ansible run")); n != 0 {
		t.Fatalf("the follower started %d runs while another process led", n)
	}

	first.Kill()
	w, _ = op.widget(context.Background(), "elected")
	w.Object["spec"] = map[string]any{"size": int64(3)}
	if err := c.Update(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	took := time.Now()
	op.waitCondition("elected", "Successful", "True", 60*time.Second)
	t.Logf("The follower took over and converged generation %d in %s", w.GetGeneration(), time.Since(took).Round(time.Second))
	if n := len(second.Entries("Ansible run succeeded")); n < 1 {
		t.Errorf("the new leader logged %d successful runs, want at least 1", n)
	}
}
