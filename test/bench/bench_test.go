// Package bench_test measures the engine end to end: the foreman-operator
// binary on the local cluster running a role of a dozen objects
// (testdata/roles/bench) for one CR and for twenty at once, beside bare
// ansible-playbook running the same role. BenchmarkEngine prints a table of
// the figures next to the targets they answer to and reports each with
// b.ReportMetric; it asserts no time.
//
// Run it through `make bench`, or against a running cluster:
//
//	FOREMAN_TEST_KUBECONFIG=<kubeconfig> go test ./test/bench -run '^$' -bench . -benchtime 1x -timeout 20m
//
// With FOREMAN_BENCH_OPERATOR_LOG set to a path, the operator's JSON log is
// written there, for a look at its "Task finished" entries.
package bench_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/internal/testoperator"
	"github.com/theforeman/foreman-operator/pkg/extravars"
	"github.com/theforeman/foreman-operator/pkg/runner"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

// The scenario.
const (
	burstCRs   = 20               // CRs created at once in a fresh namespace
	floorRuns  = 3                // bare runs; the floor is the fastest
	idleWindow = 60 * time.Second // watched for runs after everything converged
	// quietFor without a run starting or in progress means the operator
	// has done what the last change asked.
	quietFor     = 3 * time.Second
	sampleEvery  = 100 * time.Millisecond // process tree RSS and CPU
	pollOne      = 50 * time.Millisecond  // one CR's status, the deleted Deployment
	pollBurst    = 100 * time.Millisecond // the burst's statuses
	convergeWait = 10 * time.Minute
)

// The targets, and upstream ansible-operator v1.42.3 with the same 20 CRs
// on the development machine, for scale.
const (
	convergeFactor    = 1.3 // × (20 × floor ÷ CPUs)
	remediationTarget = 2 * time.Second
	peakTargetMB      = 300

	upstreamConverge = 80 * time.Second
	upstreamRuns     = 40
	upstreamCPU      = 87 * time.Second
	upstreamPeakMB   = 492
)

var benchGVK = schema.GroupVersionKind{Group: "bench.test.theforeman.org", Version: "v1", Kind: "Bench"}

// figures are what one scenario measured.
type figures struct {
	floor     time.Duration // the fastest bare run
	floorRuns []time.Duration
	floorCPU  time.Duration // user+system of the fastest bare run and its children
	one       time.Duration // create to Successful, operator running
	oneRun    time.Duration // the Ansible run inside it, from the log

	converge   time.Duration // 20 CRs, create to all Successful
	runs       int           // runs the burst started, from the log
	metricRuns int           // the same, from foreman_operator_ansible_runs_total
	cpu        time.Duration // the operator's process tree, over converge
	ownCPU     time.Duration // the operator process alone, over converge
	busy, all  time.Duration // the whole machine's CPU, busy and in all, over converge
	// others is the CPU time other processes used over converge.
	others  map[string]time.Duration
	peak    usage // the tree at its highest summed RSS, over converge
	peakPSS int64 // the tree's highest summed PSS, over converge

	remediation     time.Duration // child Deployment deleted to back
	remediationRuns int
	// remediationSteps are the operator's log entries of the remediation,
	// with their time since the delete.
	remediationSteps []step

	idleRuns, idleMetricRuns int

	concurrency int
	load        string           // /proc/loadavg when the benchmark started
	burstLog    []map[string]any // the operator's log entries about the burst
}

// step is a log entry at a time since some start.
type step struct {
	at   time.Duration
	what string
}

// BenchmarkEngine runs the scenario once, whatever b.N: bare
// ansible-playbook (the floor), then the operator with one CR, twenty CRs
// at once, one deleted child, and a minute of idling.
func BenchmarkEngine(b *testing.B) {
	kubeconfig := os.Getenv(testcluster.KubeconfigEnv)
	if kubeconfig == "" {
		b.Skipf("no local cluster: run `make bench`, or `make cluster-up` and export %s", testcluster.KubeconfigEnv)
	}
	c := testcluster.Client(b, testcluster.Config(b))
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		b.Fatal(err)
	}
	installCRD(b, c, filepath.Join(testdata, "crd.yaml"))
	watch := loadWatch(b, testdata)
	floorNS := namespace(b, c, "bench-floor")
	s := &scenario{b: b, c: c, oneNS: namespace(b, c, "bench-one"), burstNS: namespace(b, c, "bench-burst")}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		s.f.load = strings.TrimSpace(string(load))
	}

	s.f.floor, s.f.floorCPU, s.f.floorRuns = measureFloor(b, c, watch, floorNS, kubeconfig)
	s.op = startOperator(b, testdata, kubeconfig, s.oneNS, s.burstNS)
	s.f.concurrency = s.op.concurrency()
	s.tree = startSampler(s.op.pid(), sampleEvery)
	b.Cleanup(s.tree.close) // before the operator is killed
	s.oneCR()
	s.burst()
	s.remediation()
	s.idle()

	if path := os.Getenv("FOREMAN_BENCH_OPERATOR_LOG"); path != "" {
		if err := os.WriteFile(path, []byte(s.op.proc.Log()), 0o600); err != nil {
			b.Errorf("Write the operator log: %v", err)
		}
	}
	report(b, s.f)
	printTable(os.Stdout, s.f)
	printTimeSpent(os.Stdout, s.f)
}

// scenario is the operator's part of the benchmark, phase by phase; each
// phase waits until the operator is quiet again.
type scenario struct {
	b              *testing.B
	c              client.Client
	op             *operator
	tree           *sampler
	oneNS, burstNS string
	f              figures
}

// oneCR times one CR from create to Successful.
func (s *scenario) oneCR() {
	start := time.Now()
	createCR(s.b, s.c, s.oneNS, "one")
	waitSuccessful(s.b, s.c, s.oneNS, 1, pollOne)
	s.f.one = time.Since(start)
	s.op.waitQuiet(s.b)
	s.f.oneRun = sumDurations(s.op.entries("Ansible run succeeded", s.oneNS), "duration")
}

// burst creates burstCRs CRs at once and measures until all are
// Successful: time, CPU, memory; then counts the runs they caused.
func (s *scenario) burst() {
	b := s.b
	metricBefore := s.op.metricRuns(b)
	before := treeCPU(b, s.op.pid())
	busyBefore, allBefore := mustMachineCPU(b)
	procsBefore := mustSnapshot(b)
	s.tree.reset()
	start := time.Now()
	createBurst(b, s.c, s.burstNS)
	waitSuccessful(b, s.c, s.burstNS, burstCRs, pollBurst)
	s.f.converge = time.Since(start)
	after := treeCPU(b, s.op.pid())
	busy, all := mustMachineCPU(b)
	procsAfter := mustSnapshot(b)
	s.f.others = cpuByProcess(procsBefore, procsAfter, descendants(procsAfter, s.op.pid()))
	s.f.cpu, s.f.ownCPU = after.cpu-before.cpu, after.rootCPU-before.rootCPU
	s.f.busy, s.f.all = busy-busyBefore, all-allBefore
	var err error
	if s.f.peak, s.f.peakPSS, err = s.tree.peakUsage(); err != nil {
		b.Fatalf("Sample the operator's process tree: %v", err)
	}
	s.op.waitQuiet(b)
	s.f.runs = len(s.op.entries("Starting Ansible run", s.burstNS))
	s.f.metricRuns = s.op.metricRuns(b) - metricBefore
	s.f.burstLog = s.op.all(s.burstNS)
}

// remediation deletes the first burst CR's Deployment and times its return.
func (s *scenario) remediation() {
	deleted := time.Now()
	s.f.remediation = remediate(context.Background(), s.b, s.c, s.burstNS, crName(0))
	s.op.waitQuiet(s.b)
	s.f.remediationRuns = len(s.op.entries("Starting Ansible run", s.burstNS)) - s.f.runs
	for _, e := range s.op.all(s.burstNS) {
		ts, _ := e["ts"].(string)
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || at.Before(deleted) {
			continue
		}
		what, _ := e["msg"].(string)
		if task, ok := e["task"].(string); ok {
			what = taskName(task) + " done"
		}
		s.f.remediationSteps = append(s.f.remediationSteps, step{at.Sub(deleted), what})
	}
}

// idle counts the runs started in idleWindow with nothing changing.
func (s *scenario) idle() {
	started, metric := len(s.op.entries("Starting Ansible run", "")), s.op.metricRuns(s.b)
	time.Sleep(idleWindow)
	s.f.idleRuns = len(s.op.entries("Starting Ansible run", "")) - started
	s.f.idleMetricRuns = s.op.metricRuns(s.b) - metric
}

// measureFloor runs the role with bare ansible-playbook, floorRuns times,
// each for a CR of its own (created, never reconciled: no operator watches
// ns) with the extra vars the operator would build for it. It returns the
// fastest run's wall and CPU time, and every run's wall time: on a shared
// machine the fastest is the one least disturbed.
func measureFloor(b *testing.B, c client.Client, w watches.Watch, ns, kubeconfig string) (time.Duration, time.Duration, []time.Duration) {
	b.Helper()
	dir := b.TempDir()
	inventory := filepath.Join(dir, "hosts")
	playbook := filepath.Join(dir, "floor.yml")
	play := fmt.Sprintf("- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: %q\n", w.Role)
	if err := os.WriteFile(inventory, []byte("localhost ansible_connection=local ansible_python_interpreter={{ansible_playbook_python}}\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(playbook, []byte(play), 0o600); err != nil {
		b.Fatal(err)
	}
	type run struct{ wall, cpu time.Duration }
	var runs []run
	for i := range floorRuns {
		cr := createCR(b, c, ns, fmt.Sprintf("floor-%d", i))
		vars, err := extravars.Build(extravars.Input{Object: cr, SnakeCase: w.SnakeCaseParameters,
			MarkUnsafe: w.MarkUnsafe, WatchVars: w.Vars})
		if err != nil {
			b.Fatalf("Build extra vars: %v", err)
		}
		data, err := json.Marshal(vars)
		if err != nil {
			b.Fatal(err)
		}
		varsFile := filepath.Join(dir, fmt.Sprintf("extravars-%d.json", i))
		if err := os.WriteFile(varsFile, data, 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(runner.DefaultAnsiblePlaybook, "-i", inventory, "-e", "@"+varsFile, playbook)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "K8S_AUTH_KUBECONFIG="+kubeconfig,
			"ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(start)
		if err != nil {
			b.Fatalf("Bare ansible-playbook: %v\n%s", err, out)
		}
		// wait4's rusage includes the children ansible-playbook waited for.
		runs = append(runs, run{wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()})
	}
	walls := make([]time.Duration, len(runs))
	for i, r := range runs {
		walls[i] = r.wall
	}
	fastest := slices.MinFunc(runs, func(a, b run) int { return cmp.Compare(a.wall, b.wall) })
	return fastest.wall, fastest.cpu, walls
}

// remediate deletes the child Deployment of CR name and returns how long it
// took to come back, polling every pollOne.
func remediate(ctx context.Context, b *testing.B, c client.Client, ns, name string) time.Duration {
	b.Helper()
	dep := &appsv1.Deployment{}
	key := client.ObjectKey{Namespace: ns, Name: name + "-web"}
	if err := c.Get(ctx, key, dep); err != nil {
		b.Fatalf("Get the Deployment of %s: %v", name, err)
	}
	old := dep.UID
	start := time.Now()
	if err := c.Delete(ctx, dep, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		b.Fatalf("Delete the Deployment of %s: %v", name, err)
	}
	poll(b, pollOne, 2*time.Minute, "the deleted Deployment back", func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, key, dep)
		return err == nil && dep.UID != old, err
	})
	return time.Since(start)
}

// operator is the foreman-operator binary, running.
type operator struct {
	proc    *testoperator.Process
	metrics string // host:port of /metrics
}

// startOperator runs the operator on the watches in testdata for the
// namespaces, with default concurrency, and waits until it is ready.
func startOperator(b *testing.B, testdata, kubeconfig string, namespaces ...string) *operator {
	b.Helper()
	metrics, probes := freeAddr(b), freeAddr(b)
	p := testoperator.Start(b, []string{
		"--watches-file", filepath.Join(testdata, "watches.yaml"),
		"--kubeconfig", kubeconfig,
		"--proxy-port", "0",
		"--metrics-bind-address", metrics,
		"--health-probe-bind-address", probes,
		"--runner-dir", b.TempDir(),
		"--zap-time-encoding", "rfc3339nano",
	}, "TESTDATA="+testdata, "WATCH_NAMESPACE="+strings.Join(namespaces, ","), "ANSIBLE_GATHERING=explicit")
	poll(b, pollBurst, time.Minute, "the operator ready", func(ctx context.Context) (bool, error) {
		if p.Exited() {
			b.Fatalf("The operator exited:\n%s", p.Log())
		}
		code, err := httpGet(ctx, "http://"+probes+"/readyz", io.Discard)
		return code == http.StatusOK, err
	})
	return &operator{proc: p, metrics: metrics}
}

func (o *operator) pid() int { return o.proc.Cmd.Process.Pid }

// concurrency is the number of concurrent runs the operator chose.
func (o *operator) concurrency() int {
	for _, e := range o.proc.Entries("Starting the operator") {
		if n, ok := e["concurrentRuns"].(float64); ok {
			return int(n)
		}
	}
	return 0
}

// entries are the log entries with msg about a Bench in ns ("" for any).
func (o *operator) entries(msg, ns string) []map[string]any {
	var out []map[string]any
	for _, e := range o.proc.Entries(msg) {
		if ns == "" || namespaceOf(e) == ns {
			out = append(out, e)
		}
	}
	return out
}

// all are the log entries about a Bench in ns, any msg.
func (o *operator) all(ns string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(o.proc.Log(), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && namespaceOf(e) == ns {
			out = append(out, e)
		}
	}
	return out
}

// namespaceOf reads the namespace of the entry's "bench" key, which holds a
// klog.KObj: {"name", "namespace"} in JSON, or "namespace/name".
func namespaceOf(e map[string]any) string {
	switch v := e[strings.ToLower(benchGVK.Kind)].(type) {
	case map[string]any:
		ns, _ := v["namespace"].(string)
		return ns
	case string:
		ns, _, _ := strings.Cut(v, "/")
		return ns
	}
	return ""
}

// waitQuiet waits until every run started has ended and none has started
// for quietFor.
func (o *operator) waitQuiet(b *testing.B) {
	b.Helper()
	last, since := -1, time.Now()
	poll(b, pollBurst, convergeWait, "the operator quiet", func(context.Context) (bool, error) {
		started := len(o.proc.Entries("Starting Ansible run"))
		ended := len(o.proc.Entries("Ansible run succeeded")) + len(o.proc.Entries("Ansible run failed"))
		if started != last || ended < started {
			last, since = started, time.Now()
			return false, fmt.Errorf("%d runs started, %d ended", started, ended)
		}
		return time.Since(since) >= quietFor, nil
	})
}

// metricRuns sums foreman_operator_ansible_runs_total for the Bench kind.
func (o *operator) metricRuns(b *testing.B) int {
	b.Helper()
	var body strings.Builder
	if _, err := httpGet(context.Background(), "http://"+o.metrics+"/metrics", &body); err != nil {
		b.Fatalf("Read the operator's metrics: %v", err)
	}
	var sum float64
	for _, line := range strings.Split(body.String(), "\n") {
		if !strings.HasPrefix(line, "foreman_operator_ansible_runs_total{") || !strings.Contains(line, `kind="`+benchGVK.Kind+`"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			b.Fatalf("Metric line %q: %v", line, err)
		}
		sum += v
	}
	return int(sum)
}

func treeCPU(b *testing.B, pid int) usage {
	b.Helper()
	u, err := treeUsage(pid, false)
	if err != nil {
		b.Fatalf("Read the operator's process tree: %v", err)
	}
	return u
}

func mustMachineCPU(b *testing.B) (busy, all time.Duration) {
	b.Helper()
	busy, all, err := machineCPU()
	if err != nil {
		b.Fatalf("Read the machine's CPU time: %v", err)
	}
	return busy, all
}

func mustSnapshot(b *testing.B) map[int]stat {
	b.Helper()
	procs, err := snapshot()
	if err != nil {
		b.Fatalf("Read /proc: %v", err)
	}
	return procs
}

func crName(i int) string { return fmt.Sprintf("bench-%02d", i) }

// newCR is a Bench whose spec spells the role's defaults as a user would.
func newCR(ns, name string) *unstructured.Unstructured {
	cr := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"replicas": int64(1), "configMaps": int64(9)},
	}}
	cr.SetGroupVersionKind(benchGVK)
	cr.SetNamespace(ns)
	cr.SetName(name)
	return cr
}

// createCR creates a Bench and returns it as the API server stored it.
func createCR(b *testing.B, c client.Client, ns, name string) *unstructured.Unstructured {
	b.Helper()
	cr := newCR(ns, name)
	if err := c.Create(context.Background(), cr); err != nil {
		b.Fatalf("Create %s %s/%s: %v", benchGVK.Kind, ns, name, err)
	}
	return cr
}

// createBurst creates burstCRs Benches in ns, all at once.
func createBurst(b *testing.B, c client.Client, ns string) {
	b.Helper()
	errs := make(chan error, burstCRs)
	for i := range burstCRs {
		go func() { errs <- c.Create(context.Background(), newCR(ns, crName(i))) }()
	}
	for range burstCRs {
		if err := <-errs; err != nil {
			b.Fatalf("Create the burst: %v", err)
		}
	}
}

// waitSuccessful polls ns every interval until n Benches there are
// Successful for their current generation.
func waitSuccessful(b *testing.B, c client.Client, ns string, n int, interval time.Duration) {
	b.Helper()
	poll(b, interval, convergeWait, fmt.Sprintf("%d %s Successful in %s", n, benchGVK.Kind, ns), func(ctx context.Context) (bool, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(benchGVK.GroupVersion().WithKind(benchGVK.Kind + "List"))
		if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, err
		}
		done := 0
		var failures []string
		for i := range list.Items {
			cr := &list.Items[i]
			if condition(cr, "Successful", "True") {
				done++
			}
			if condition(cr, "Failure", "True") {
				failures = append(failures, cr.GetName())
			}
		}
		return done >= n, fmt.Errorf("%d of %d Successful; Failure: %v", done, n, failures)
	})
}

// condition reports whether the CR has condition typ with status, observed
// at its current generation.
func condition(cr *unstructured.Unstructured, typ, status string) bool {
	conds, _, _ := unstructured.NestedSlice(cr.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != typ || m["status"] != status {
			continue
		}
		g, _, _ := unstructured.NestedInt64(m, "observedGeneration")
		return g == cr.GetGeneration()
	}
	return false
}

// poll calls cond every interval until it returns true, failing the
// benchmark after timeout with cond's last error.
func poll(b *testing.B, interval, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond(ctx)
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			b.Fatalf("%s: not within %s (last: %v)", what, timeout, err)
		case <-t.C:
		}
	}
}

// installCRD creates the CRD in path unless it exists, and waits until it
// is established.
func installCRD(b *testing.B, c client.Client, path string) {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &crd.Object); err != nil {
		b.Fatalf("Parse %s: %v", path, err)
	}
	if err := c.Create(context.Background(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatalf("Create CRD %s: %v", crd.GetName(), err)
	}
	poll(b, pollBurst, time.Minute, "CRD "+crd.GetName()+" established", func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(crd), crd); err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, cond := range conds {
			if m, _ := cond.(map[string]any); m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, fmt.Errorf("conditions %v", conds)
	})
}

// loadWatch reads the benchmark's watch as the operator will.
func loadWatch(b *testing.B, testdata string) watches.Watch {
	b.Helper()
	getenv := func(k string) string {
		if k == "TESTDATA" {
			return testdata
		}
		return os.Getenv(k)
	}
	ws, _, err := watches.Load(filepath.Join(testdata, "watches.yaml"), watches.Options{Getenv: getenv})
	if err != nil || len(ws) != 1 {
		b.Fatalf("Load the watches: %d watches, %v", len(ws), err)
	}
	return ws[0]
}

// namespace creates a namespace named prefix-<random> and deletes it when
// the benchmark ends.
func namespace(b *testing.B, c client.Client, prefix string) string {
	b.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := c.Create(context.Background(), ns); err != nil {
		b.Fatalf("Create a namespace: %v", err)
	}
	b.Cleanup(func() {
		if err := c.Delete(context.Background(), ns); err != nil && !apierrors.IsNotFound(err) {
			b.Errorf("Delete namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}

func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func httpGet(ctx context.Context, url string, body io.Writer) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(body, resp.Body)
	return resp.StatusCode, err
}

// sumDurations adds up the Go durations under key in the entries.
func sumDurations(entries []map[string]any, key string) time.Duration {
	var sum time.Duration
	for _, e := range entries {
		s, _ := e[key].(string)
		if d, err := time.ParseDuration(s); err == nil {
			sum += d
		}
	}
	return sum
}

// convergeTarget is 1.3 × (20 × floor ÷ CPUs): the burst at the floor's
// pace on every CPU, with 30% for the operator.
func convergeTarget(floor time.Duration) time.Duration {
	return time.Duration(convergeFactor * float64(burstCRs) * float64(floor) / float64(runtime.NumCPU()))
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }

func report(b *testing.B, f figures) {
	b.ReportMetric(0, "ns/op") // one scenario, not an op
	b.ReportMetric(f.floor.Seconds(), "floor-s")
	b.ReportMetric(f.one.Seconds(), "one-cr-s")
	b.ReportMetric(f.one.Seconds()/f.floor.Seconds(), "one-cr/floor")
	b.ReportMetric(f.converge.Seconds(), "converge-s")
	b.ReportMetric(float64(f.runs), "runs")
	b.ReportMetric(f.cpu.Seconds(), "cpu-s")
	b.ReportMetric(f.floorCPU.Seconds(), "floor-cpu-s")
	b.ReportMetric(f.busy.Seconds(), "machine-busy-s")
	b.ReportMetric(mb(f.peak.rss), "peak-MB")
	b.ReportMetric(mb(f.peakPSS), "peak-pss-MB")
	b.ReportMetric(f.remediation.Seconds(), "remediation-s")
	b.ReportMetric(float64(f.idleRuns), "idle-runs")
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// printTable prints the figures beside their targets and upstream's.
func printTable(out io.Writer, f figures) {
	cpus := runtime.NumCPU()
	target := convergeTarget(f.floor)
	var floorRuns []string
	for _, d := range f.floorRuns {
		floorRuns = append(floorRuns, fmt.Sprintf("%.2f", d.Seconds()))
	}
	fmt.Fprintf(out, "\nBenchmarkEngine: role bench (12 objects in 2 kubernetes.core.k8s tasks), %d CPUs, operator concurrency %d, loadavg at start %s\n\n",
		cpus, f.concurrency, f.load)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "measure\tforeman-operator\ttarget\tmet\tupstream v1.42.3\tnote")
	rows := [][]string{
		{"floor: bare ansible-playbook", secs(f.floor), "", "", "", "fastest of " + strings.Join(floorRuns, ", ") + " s"},
		{"floor: CPU", secs(f.floorCPU), "", "", "", "user+system of that run and its children"},
		{"one CR: create to Successful", secs(f.one), "", "", "", "its Ansible run " + secs(f.oneRun)},
		{"one CR ÷ floor", fmt.Sprintf("%.2f", f.one.Seconds()/f.floor.Seconds()), "", "", "", ""},
		{fmt.Sprintf("%d CRs: converge", burstCRs), secs(f.converge), "≤ " + secs(target), met(f.converge <= target),
			secs(upstreamConverge), fmt.Sprintf("target %.1f × %d × %.2f s ÷ %d CPUs", convergeFactor, burstCRs, f.floor.Seconds(), cpus)},
		{fmt.Sprintf("%d CRs: Ansible runs", burstCRs), strconv.Itoa(f.runs), fmt.Sprintf("= %d", burstCRs),
			met(f.runs == burstCRs && f.metricRuns == burstCRs), strconv.Itoa(upstreamRuns),
			fmt.Sprintf("log; runs_total metric says %d", f.metricRuns)},
		{fmt.Sprintf("%d CRs: operator CPU", burstCRs), secs(f.cpu), "", "", secs(upstreamCPU),
			fmt.Sprintf("operator and its children: %.2f s a run, of which the operator process %.2f s", f.cpu.Seconds()/float64(max(f.runs, 1)),
				f.ownCPU.Seconds()/float64(max(f.runs, 1)))},
		{fmt.Sprintf("%d CRs: machine CPU busy", burstCRs), secs(f.busy), "", "", "",
			fmt.Sprintf("of %s (%.0f%%); %s outside the operator (cluster, other work; below)",
				secs(f.all), 100*f.busy.Seconds()/max(f.all.Seconds(), 1e-9), secs(f.busy-f.cpu))},
		{fmt.Sprintf("%d CRs: peak memory", burstCRs), fmt.Sprintf("%.0f MB", mb(f.peakPSS)), fmt.Sprintf("< %d MB", peakTargetMB),
			met(mb(f.peakPSS) < peakTargetMB), fmt.Sprintf("%d MB", upstreamPeakMB),
			fmt.Sprintf("PSS sum (a shared page counts once in all); RSS sum %.0f MB of %d processes, operator %.0f MB",
				mb(f.peak.rss), f.peak.procs, mb(f.peak.rootRSS))},
		{"remediation: Deployment back", secs(f.remediation), "≤ " + secs(remediationTarget), met(f.remediation <= remediationTarget),
			"", fmt.Sprintf("%d Ansible run(s)", f.remediationRuns)},
		{fmt.Sprintf("idle: Ansible runs in %s", idleWindow), strconv.Itoa(f.idleRuns), "= 0", met(f.idleRuns == 0 && f.idleMetricRuns == 0),
			"", fmt.Sprintf("log; runs_total metric says %d", f.idleMetricRuns)},
	}
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
	var comms []string
	for comm, u := range f.peak.byComm {
		comms = append(comms, fmt.Sprintf("%s ×%d %.0f MB", comm, u.procs, mb(u.rss)))
	}
	slices.Sort(comms)
	fmt.Fprintf(out, "\nAt the memory peak: %s\n", strings.Join(comms, ", "))

	var steps []string
	for _, st := range f.remediationSteps {
		steps = append(steps, fmt.Sprintf("%+.2f s %s", st.at.Seconds(), st.what))
	}
	fmt.Fprintf(out, "Remediation, from the delete: %s; Deployment back %+.2f s\n", strings.Join(steps, ", "), f.remediation.Seconds())

	names := slices.Collect(maps.Keys(f.others))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(f.others[b], f.others[a]) })
	var others []string
	for _, n := range names[:min(len(names), 8)] {
		others = append(others, fmt.Sprintf("%s %.1f s", n, f.others[n].Seconds()))
	}
	fmt.Fprintf(out, "CPU outside the operator over converge, top processes: %s\n", strings.Join(others, ", "))
}

// taskName drops the role's path before a task's name and the description
// after it.
func taskName(task string) string {
	if _, after, ok := strings.Cut(task, " : "); ok {
		task = after
	}
	task, _, _ = strings.Cut(task, " - ")
	return task
}

// printTimeSpent breaks the burst's runs down by task, from the operator's
// "Task finished" entries; the rest of a run is ansible-playbook's own
// start, parsing, forks and exit.
func printTimeSpent(out io.Writer, f figures) {
	type agg struct {
		n     int
		total time.Duration
	}
	byTask := map[string]*agg{}
	var order []string
	var runs agg
	for _, e := range f.burstLog {
		s, _ := e["duration"].(string)
		d, err := time.ParseDuration(s)
		if err != nil {
			continue
		}
		switch e["msg"] {
		case "Task finished":
			name, _ := e["task"].(string)
			name = taskName(name)
			if byTask[name] == nil {
				byTask[name] = &agg{}
				order = append(order, name)
			}
			byTask[name].n++
			byTask[name].total += d
		case "Ansible run succeeded", "Ansible run failed":
			runs.n++
			runs.total += d
		}
	}
	if runs.n == 0 {
		return
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(runs.n) }
	fmt.Fprintf(out, "\nWhere the burst's time went: mean seconds per run over %d runs, %.2f runs in flight on average\n\n",
		runs.n, runs.total.Seconds()/f.converge.Seconds())
	var tasks time.Duration
	for _, name := range order {
		tasks += byTask[name].total
		fmt.Fprintf(out, "%8.2f  %s (%d)\n", per(byTask[name].total), name, byTask[name].n)
	}
	fmt.Fprintf(out, "%8.2f  outside tasks\n", per(runs.total-tasks))
	fmt.Fprintf(out, "%8.2f  whole run (the bare floor: %.2f)\n", per(runs.total), f.floor.Seconds())
}
