package main

// Fault tests: the operator binary meets an API server outage, a leader
// killed mid-run, a nearly full artifacts volume and a minute of churn on a
// child, and each test asserts the end state. The Foreman-level faults (a
// kill mid-run, secrets never leaking, refusals) are in test/foremanrole.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/internal/testoperator"
)

// startBinary runs the operator binary on ns with the test watches.
func startBinary(t *testing.T, kubeconfig, ns, testdata string, args []string, env ...string) *testoperator.Process {
	t.Helper()
	args = append([]string{
		"--watches-file", filepath.Join(testdata, "watches.yaml"), "--kubeconfig", kubeconfig,
		"--proxy-port", "0", "--metrics-bind-address", "0",
	}, args...)
	if !slicesContains(args, "--health-probe-bind-address") {
		args = append(args, "--health-probe-bind-address", "0")
	}
	if !slicesContains(args, "--runner-dir") {
		args = append(args, "--runner-dir", t.TempDir())
	}
	return testoperator.Start(t, args, append(env, "TESTDATA="+testdata, "WATCH_NAMESPACE="+ns, "ANSIBLE_GATHERING=explicit")...)
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// ownCluster starts a local cluster of the test's own, since the test stops
// parts of it, and returns its name and kubeconfig; the cluster goes when
// the test ends.
func ownCluster(t *testing.T) (string, string) {
	t.Helper()
	testcluster.Config(t) // skips, or fails under CI, like every cluster test
	name := os.Getenv("CLUSTER_NAME")
	if name == "" {
		name = "test"
	}
	name += "-faults"
	script := func(s string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join("..", "..", "hack", "cluster", s), args...)
		cmd.Env = append(os.Environ(), "CLUSTER_NAME="+name)
		cmd.Stderr = os.Stderr
		return cmd
	}
	out, err := script("up.sh").Output()
	t.Cleanup(func() {
		if err := script("down.sh").Run(); err != nil {
			t.Errorf("stop cluster %s: %v", name, err)
		}
	})
	if err != nil {
		t.Fatalf("start cluster %s: %v", name, err)
	}
	return name, strings.TrimSpace(string(out))
}

// component stops or starts a component of a test's own cluster.
func component(t *testing.T, cluster, action, name string) {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "..", "hack", "cluster", "component.sh"), action, name)
	cmd.Env = append(os.Environ(), "CLUSTER_NAME="+cluster)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", action, name, err, out)
	}
}

func readyz(addr string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTheOperatorRidesOutAnAPIServerOutage(t *testing.T) {
	t.Parallel() // binary operators on namespaces of their own
	cluster, kubeconfig := ownCluster(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c := testcluster.Client(t, cfg)
	installCRD(t, c)
	c = testcluster.Client(t, cfg)
	ns := testcluster.Namespace(t, c, nil)
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	probe := freeAddr(t)
	p := startBinary(t, kubeconfig, ns, testdata, []string{"--health-probe-bind-address", probe})
	op := &operator{t: t, c: c, ns: ns}
	t.Cleanup(func() { deleteWidgets(t, c, ns) })

	outage := func(during string, hold time.Duration) {
		t.Helper()
		component(t, cluster, "stop", "kube-apiserver")
		stopped := time.Now()
		testcluster.Eventually(t, 20*time.Second, "readiness reports the outage "+during, func(context.Context) (bool, error) {
			code := readyz(probe)
			return code == http.StatusInternalServerError, fmt.Errorf("/readyz answers %d", code)
		})
		time.Sleep(time.Until(stopped.Add(hold)))
		if p.Exited() {
			t.Fatalf("the operator exited during the outage %s:\n%s", during, p.Log())
		}
		component(t, cluster, "start", "kube-apiserver")
		testcluster.Eventually(t, 60*time.Second, "readiness back after the outage "+during, func(context.Context) (bool, error) {
			code := readyz(probe)
			return code == http.StatusOK, fmt.Errorf("/readyz answers %d", code)
		})
	}

	// Idle: a converged CR, then 30 s without the API server.
	op.createWidget("idle", nil)
	op.waitCondition("idle", "Successful", "True", 90*time.Second)
	outage("while idle", 30*time.Second)
	w, err := op.widget(context.Background(), "idle")
	if err != nil {
		t.Fatal(err)
	}
	w.Object["spec"] = map[string]any{"size": int64(2)}
	if err := c.Update(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	op.waitCondition("idle", "Successful", "True", 2*time.Minute)

	// During a run: the API server goes while the role sleeps, and the
	// role's next API call fails; the run is retried once it is back.
	op.createWidget("busy", map[string]any{"sleep_seconds": int64(8), "read_back": true})
	testcluster.Eventually(t, 90*time.Second, "the busy widget's run applied its objects", func(context.Context) (bool, error) {
		for _, e := range p.Entries("Task finished") {
			if strings.HasSuffix(fmt.Sprint(e["task"]), "Apply the widget's objects") && strings.Contains(fmt.Sprint(e["widget"]), "busy") {
				return true, nil
			}
		}
		return false, nil
	})
	outage("during a run", 30*time.Second)
	op.waitCondition("busy", "Successful", "True", 3*time.Minute)
	if n := len(p.Entries("Starting Ansible run")); n < 3 {
		t.Errorf("%d runs started in all, want at least 3 (idle twice, busy retried)", n)
	}
	if r := condition(mustWidget(t, op, "busy"), "Running"); r["status"] != "False" {
		t.Errorf("busy widget Running = %v after converging", r)
	}
}

func mustWidget(t *testing.T, op *operator, name string) *unstructured.Unstructured {
	t.Helper()
	w, err := op.widget(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// record is one line the widget role wrote to its record_file.
type record struct {
	what, operator string
	at             time.Time
}

func readRecords(t *testing.T, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			t.Fatalf("bad record line %q", sc.Text())
		}
		secs, err := strconv.ParseFloat(fields[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record{fields[0], fields[1], time.Unix(0, int64(secs*1e9))})
	}
	return out
}

func TestAKilledLeaderHandsOverMidRunWithoutOverlap(t *testing.T) {
	t.Parallel() // binary operators on namespaces of their own
	cfg, c, ns, testdata := testNamespace(t)
	kubeconfig := writeKubeconfig(t, cfg)
	const lease = 6 * time.Second
	start := func(id string) *testoperator.Process {
		return startBinary(t, kubeconfig, ns, testdata, []string{
			"--leader-elect", "--leader-election-namespace", ns, "--leader-election-id", "foreman-operator-failover",
			"--leader-elect-lease-duration", lease.String(), "--leader-elect-renew-deadline", "4s",
		}, "OPERATOR_ID="+id)
	}
	records := filepath.Join(t.TempDir(), "runs")
	a := start("a")
	testcluster.Eventually(t, 60*time.Second, "a leads", func(context.Context) (bool, error) {
		return strings.Contains(a.Log(), "successfully acquired lease"), nil
	})
	b := start("b")
	op := &operator{t: t, c: c, ns: ns}
	t.Cleanup(func() { deleteWidgets(t, c, ns) })
	op.createWidget("handover", map[string]any{"sleep_seconds": int64(10), "record_file": records})
	testcluster.Eventually(t, 90*time.Second, "the leader's run is under way", func(context.Context) (bool, error) {
		rs := readRecords(t, records)
		return len(rs) == 1 && rs[0].what == "start" && rs[0].operator == "a", fmt.Errorf("records %v", rs)
	})
	procs := testoperator.Descendants(a.Cmd.Process.Pid)
	if len(procs) == 0 {
		t.Fatal("the leader has no child processes mid-run")
	}
	if err := syscall.Kill(a.Cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	testcluster.Eventually(t, 15*time.Second, "the killed leader's run processes are gone", func(context.Context) (bool, error) {
		left := testoperator.Alive(procs)
		return len(left) == 0, fmt.Errorf("still alive: %v", left)
	})
	leaseKey := client.ObjectKey{Namespace: ns, Name: "foreman-operator-failover"}
	var old coordinationv1.Lease
	if err := c.Get(context.Background(), leaseKey, &old); err != nil {
		t.Fatal(err)
	}
	op.waitCondition("handover", "Successful", "True", 2*time.Minute)

	rs := readRecords(t, records)
	var takeover time.Time
	for _, r := range rs {
		if r.operator == "a" && r.what == "end" {
			t.Errorf("the killed leader's run went on to its end at %s", r.at)
		}
		if r.operator == "b" && r.what == "start" && takeover.IsZero() {
			takeover = r.at
		}
	}
	if takeover.IsZero() || takeover.Before(killed) {
		t.Fatalf("records %v: want b's first run after the kill at %s", rs, killed)
	}
	// The Lease tells when the follower took it: once the dead leader's
	// last renewal plus the lease duration had passed, at its next retry
	// (controller-runtime retries every 2 s, with up to 20% jitter).
	var now coordinationv1.Lease
	if err := c.Get(context.Background(), leaseKey, &now); err != nil {
		t.Fatal(err)
	}
	if *now.Spec.HolderIdentity == *old.Spec.HolderIdentity || now.Spec.AcquireTime == nil || old.Spec.RenewTime == nil {
		t.Fatalf("lease before %+v, after %+v: want a new holder", old.Spec, now.Spec)
	}
	took := now.Spec.AcquireTime.Sub(old.Spec.RenewTime.Time)
	if limit := lease + 2*2400*time.Millisecond + 2*time.Second; took > limit {
		t.Errorf("the follower took the lease %s after the dead leader's last renewal, want within %s", took, limit)
	}
	t.Logf("lease taken %s after the dead leader's last renewal (duration %s); its first run started %s after the kill",
		took.Round(100*time.Millisecond), lease, takeover.Sub(killed).Round(100*time.Millisecond))
	if n := len(b.Entries("Ansible run succeeded")); n < 1 {
		t.Errorf("the new leader logged %d successful runs", n)
	}
}

func TestArtifactsOnANearlyFullVolume(t *testing.T) {
	t.Parallel() // binary operators on namespaces of their own
	cfg, c, ns, testdata := testNamespace(t)
	vol := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", vol).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", vol).Run() })
	p := startBinary(t, writeKubeconfig(t, cfg), ns, testdata, []string{"--runner-dir", vol})
	op := &operator{t: t, c: c, ns: ns, runnerDir: vol}
	t.Cleanup(func() { deleteWidgets(t, c, ns) })
	if len(p.Entries("Run artifacts are capped at half the runner dir's volume, below --max-artifacts-size")) == 0 {
		testcluster.Eventually(t, 30*time.Second, "the cap fitted to the volume is logged", func(context.Context) (bool, error) {
			return len(p.Entries("Run artifacts are capped at half the runner dir's volume, below --max-artifacts-size")) == 1, nil
		})
	}

	generation := func(name string, size int64) {
		w, err := op.widget(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		w.Object["spec"] = map[string]any{"size": size, "objects": int64(5)}
		if err := c.Update(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		op.waitCondition(name, "Successful", "True", 90*time.Second)
	}
	op.createWidget("disk", map[string]any{"objects": int64(5)})
	op.waitCondition("disk", "Successful", "True", 90*time.Second)
	// Someone else takes most of the volume.
	if err := os.WriteFile(filepath.Join(vol, "filler"), make([]byte, 1800<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	for size := int64(2); size <= 6; size++ {
		generation("disk", size)
	}
	if n := len(p.Entries("The artifacts volume is nearly full; pruned old runs")) +
		len(p.Entries("The artifacts volume is nearly full; pruning old runs did not free enough")); n == 0 {
		t.Errorf("no pressure logged while the volume was nearly full")
	}
	if n := op.runs("disk"); n < 1 || n >= 6 {
		t.Errorf("%d runs' artifacts kept of 6, want old ones pruned and the latest kept", n)
	}
	if p.Exited() {
		t.Fatalf("the operator exited:\n%s", p.Log())
	}
}

func TestAMinuteOfChildChurnRunsTheRoleAtMostOnce(t *testing.T) {
	op := startOperator(t)
	op.createWidget("churn", nil)
	op.waitCondition("churn", "Successful", "True", 60*time.Second)
	time.Sleep(3 * time.Second) // kwok settles the Deployment's pods
	before := op.runs("churn")
	ctx := context.Background()
	key := client.ObjectKey{Namespace: op.ns, Name: "churn-web"}
	for i := range 60 {
		dep := &appsv1.Deployment{}
		if err := op.c.Get(ctx, key, dep); err != nil {
			t.Fatal(err)
		}
		orig := dep.DeepCopy()
		dep.Status.Conditions = append(dep.Status.Conditions[:0:0], appsv1.DeploymentCondition{
			Type: "Churn", Status: corev1.ConditionTrue, Reason: "Test", Message: strconv.Itoa(i),
		})
		if err := op.c.Status().Patch(ctx, dep, client.MergeFrom(orig)); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			orig = dep.DeepCopy()
			if dep.Annotations == nil {
				dep.Annotations = map[string]string{}
			}
			dep.Annotations["controller.example.com/seen"] = strconv.Itoa(i)
			if err := op.c.Patch(ctx, dep, client.MergeFrom(orig)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
	}
	if extra := op.runs("churn") - before; extra > 1 {
		t.Errorf("%d runs during a minute of status churn and annotations on a child, want at most 1", extra)
	} else {
		t.Logf("%d runs during a minute of churn", extra)
	}
}
