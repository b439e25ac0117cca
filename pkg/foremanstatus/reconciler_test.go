package foremanstatus_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
	"github.com/theforeman/foreman-operator/pkg/foremanstatus"
	"github.com/theforeman/foreman-operator/pkg/smartproxystatus"
	"github.com/theforeman/foreman-operator/pkg/status"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

var (
	scheme = func() *runtime.Scheme {
		s := runtime.NewScheme()
		utilruntime.Must(clientgoscheme.AddToScheme(s))
		utilruntime.Must(v1alpha1.AddToScheme(s))
		utilruntime.Must(apiextensionsv1.AddToScheme(s))
		return s
	}()
	foremanGVK    = v1alpha1.GroupVersion.WithKind("Foreman")
	smartProxyGVK = v1alpha1.GroupVersion.WithKind("SmartProxy")
)

// startEnvtest starts an API server with the Foreman CRD from config/crd/bases.
// No controller runs there: the test writes the workloads' status itself,
// as their controllers would.
func startEnvtest(t *testing.T) *rest.Config {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEBUILDER_ASSETS is not set: CI must run the tests through `make test`")
		}
		t.Skip("KUBEBUILDER_ASSETS is not set: run `make test`")
	}
	logf.SetLogger(logr.Discard())
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("Start envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("Stop envtest: %v", err)
		}
	})
	return cfg
}

// startReporter runs a manager with only the reporters, as main registers them,
// caching only the given namespaces (all when none), as WATCH_NAMESPACE does.
func startReporter(t *testing.T, cfg *rest.Config, namespaces ...string) {
	t.Helper()
	opts := ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"}
	if len(namespaces) > 0 {
		opts.Cache.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			opts.Cache.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		t.Fatalf("Create manager: %v", err)
	}
	ws := []watches.Watch{{GroupVersionKind: foremanGVK, ManageStatus: true}, {GroupVersionKind: smartProxyGVK, ManageStatus: true}}
	if err := foremanstatus.Setup(mgr, ws, foremanstatus.Foreman, smartproxystatus.Kind); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Manager: %v", err)
		}
	})
}

func newClient(t *testing.T, cfg *rest.Config) client.WithWatch {
	t.Helper()
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatalf("Create client: %v", err)
	}
	return c
}

// TestReporter walks a Foreman through its life with the engine's writes and
// the workloads' status changes made by hand, and checks what the reporter
// says at each step.
func TestReporter(t *testing.T) {
	cfg := startEnvtest(t)
	c := newClient(t, cfg)
	startReporter(t, cfg)
	ctx := context.Background()
	ns := testcluster.Namespace(t, c, nil)

	fm := &v1alpha1.Foreman{ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: ns},
		Spec: v1alpha1.ForemanSpec{DynflowWorkers: ptr.To[int32](2)}}
	if err := c.Create(ctx, fm); err != nil {
		t.Fatalf("Create Foreman: %v", err)
	}
	key := client.ObjectKeyFromObject(fm)
	f := &fixture{t: t, c: c, owner: fm}

	// A new Foreman waits for its first run.
	f.expect("a new Foreman", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingAnsibleRun,
		"Waiting for an Ansible run of generation 1")
	got := f.get()
	if names := componentNames(got); names != "postgresql redis migration web dynflow-orchestrator dynflow-worker" {
		t.Errorf("components %q", names)
	}
	f.engine(func(prev map[string]any, gen int64) map[string]any { return status.Running(prev, gen, time.Now()) })
	f.expect("a run in progress", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingAnsibleRun,
		"The Ansible run of generation 1 is in progress")
	f.engine(succeed(1))
	f.expect("a successful run, no workloads", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingComponents,
		"postgresql: StatefulSet not found; redis: Deployment not found; migration: Job not found; web: Deployment not found; "+
			"dynflow-orchestrator: Deployment not found; dynflow-worker: Deployment not found")

	// The workloads come up, one worker short.
	f.statefulSet("foreman-postgresql", "postgresql", 1)
	for _, d := range []string{"redis", "web", "dynflow-orchestrator"} {
		f.deployment("foreman-"+d, d, 1, 1)
	}
	f.deployment("foreman-dynflow-worker", "dynflow-worker", 2, 1)
	f.completeJob("foreman-migrate-1")
	f.expect("a worker short", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingComponents,
		"dynflow-worker: 1 of 2 replicas ready")
	if w := component(f.get(), "dynflow-worker"); w.Replicas != 2 || w.ReadyReplicas != 1 || w.Ready {
		t.Errorf("dynflow-worker %+v, want 1 of 2 replicas ready", w)
	}

	// A workload the Foreman does not control is ignored, however broken.
	decoy := f.deployment("someone-elses-web", "web", 1, 0)
	_ = decoy

	f.deployment("foreman-dynflow-worker", "dynflow-worker", 2, 2)
	f.expect("every component ready", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady,
		"All 6 components are ready; generation 1 is reconciled")
	got = f.get()
	for _, comp := range got.Status.Components {
		if !comp.Ready || comp.Location != "cluster" {
			t.Errorf("component %+v, want ready in the cluster", comp)
		}
	}
	f.expectEngineKept(1)

	// The reporter's own writes do not bring it back to write again.
	rv := f.get().ResourceVersion
	time.Sleep(2 * time.Second)
	if now := f.get().ResourceVersion; now != rv {
		t.Errorf("status written again with nothing changed: resourceVersion %s → %s", rv, now)
	}

	// A Deployment past its progress deadline degrades Foreman; recovery clears it.
	f.stuck("foreman-web")
	f.expect("web stuck", foremanstatus.StateDegraded, foremanstatus.ReasonComponentFailed,
		`web: Deployment foreman-web exceeded its progress deadline: ReplicaSet "foreman-web-1" has timed out progressing.`)
	f.deployment("foreman-web", "web", 1, 1)
	f.expect("web recovered", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady, "")

	// A spec change waits for the run of the new generation; a failed run degrades.
	f.update(func(fm *v1alpha1.Foreman) { fm.Spec.DynflowWorkers = ptr.To[int32](3) })
	f.expect("a new generation", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingAnsibleRun,
		"Waiting for an Ansible run of generation 2")
	f.engine(func(prev map[string]any, gen int64) map[string]any {
		next, _ := status.Done(prev, status.Result{Stats: &status.Stats{Ok: 2, Failures: 1},
			Failures: []status.Failure{{Task: "dynflow | Deploy workers", TaskPath: "dynflow.yml:4", Message: "quota"}}}, gen, time.Now())
		return next
	})
	f.expect("a failed run", foremanstatus.StateDegraded, foremanstatus.ReasonAnsibleRunFailed,
		`The Ansible run of generation 2 failed (Failed): Task "dynflow | Deploy workers" (dynflow.yml:4) failed: quota`)
	f.engine(succeed(2))
	f.expect("the run succeeded, the third worker not yet there", foremanstatus.StateProgressing,
		foremanstatus.ReasonAwaitingComponents, "dynflow-worker: 2 of 3 replicas ready")

	// The migration Job failing degrades Foreman, naming it.
	f.failJob("foreman-migrate-2")
	f.expect("the migration failed", foremanstatus.StateDegraded, foremanstatus.ReasonComponentFailed,
		"migration: Job foreman-migrate-2 failed: BackoffLimitExceeded: Job has reached the specified backoff limit")

	if err := c.Get(ctx, key, fm); err != nil {
		t.Fatal(err)
	}
}

// TestEngineAndReporterKeepEachOthersConditions runs the engine's status
// writes (pkg/status, merge patch under optimistic locking, as
// pkg/controller writes them) while the workloads flap, and follows every
// version of the Foreman with a watch: no condition type, once there, ever
// disappears, and the engine's run counter never goes back.
func TestEngineAndReporterKeepEachOthersConditions(t *testing.T) {
	cfg := startEnvtest(t)
	c := newClient(t, cfg)
	startReporter(t, cfg)
	ctx := context.Background()
	ns := testcluster.Namespace(t, c, nil)

	fm := &v1alpha1.Foreman{ObjectMeta: metav1.ObjectMeta{Name: "race", Namespace: ns}}
	if err := c.Create(ctx, fm); err != nil {
		t.Fatalf("Create Foreman: %v", err)
	}
	f := &fixture{t: t, c: c, owner: fm}
	f.statefulSet("foreman-postgresql", "postgresql", 1)
	for _, d := range []string{"redis", "web", "dynflow-orchestrator", "dynflow-worker"} {
		f.deployment("foreman-"+d, d, 1, 1)
	}
	f.completeJob("foreman-migrate-1")
	f.engine(succeed(0))
	f.expect("ready before the race", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady, "")

	w, err := c.Watch(ctx, &v1alpha1.ForemanList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	defer w.Stop()
	violations := make(chan string, 100)
	versions := make(chan int, 1)
	go followVersions(w, violations, versions)

	const rounds = 25
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= rounds; i++ {
			f.engine(func(prev map[string]any, gen int64) map[string]any { return status.Running(prev, gen, time.Now()) })
			f.engine(succeed(i))
		}
	})
	wg.Go(func() {
		for i := range 2 * rounds {
			f.deployment("foreman-web", "web", 1, int32(i%2))
			time.Sleep(20 * time.Millisecond)
		}
	})
	wg.Wait()
	f.deployment("foreman-web", "web", 1, 1)
	f.expect("ready after the race", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady, "")
	f.expectEngineKept(rounds)
	w.Stop()
	n := <-versions
	close(violations)
	for v := range violations {
		t.Error(v)
	}
	if n < 2*rounds {
		t.Errorf("saw %d versions of the Foreman, want at least the engine's %d writes", n, 2*rounds)
	}
	t.Logf("Followed %d versions of the Foreman", n)
}

// followVersions checks every version the watch delivers, then reports how
// many it saw.
func followVersions(w watch.Interface, violations chan<- string, versions chan<- int) {
	seen := map[string]bool{}
	lastOk, n := -1, 0
	for ev := range w.ResultChan() {
		fm, ok := ev.Object.(*v1alpha1.Foreman)
		if !ok || ev.Type != watch.Modified {
			continue
		}
		n++
		types := map[string]bool{}
		for _, cond := range fm.Status.Conditions {
			types[cond.Type] = true
			if cond.Type == "Successful" && cond.AnsibleResult != nil {
				if cond.AnsibleResult.Ok < lastOk {
					violations <- fmt.Sprintf("resourceVersion %s: the engine's run %d went back to %d",
						fm.ResourceVersion, lastOk, cond.AnsibleResult.Ok)
				}
				lastOk = cond.AnsibleResult.Ok
			}
		}
		for typ := range seen {
			if !types[typ] {
				violations <- fmt.Sprintf("resourceVersion %s: condition %s lost", fm.ResourceVersion, typ)
			}
		}
		for typ := range types {
			seen[typ] = true
		}
	}
	versions <- n
}

// fixture makes the workloads of a CR, a Foreman unless gvk says otherwise,
// and writes as the engine does. Its methods report errors with Errorf, so
// that they may run in goroutines.
type fixture struct {
	t     *testing.T
	c     client.Client
	owner client.Object
	// gvk is the owner's kind; the Foreman's when zero.
	gvk schema.GroupVersionKind
	// timeout of expect; 10 s when zero.
	timeout time.Duration
}

func (f *fixture) kind() schema.GroupVersionKind {
	if f.gvk.Empty() {
		return foremanGVK
	}
	return f.gvk
}

func (f *fixture) get() *v1alpha1.Foreman {
	f.t.Helper()
	fm := &v1alpha1.Foreman{}
	if err := f.c.Get(context.Background(), client.ObjectKeyFromObject(f.owner), fm); err != nil {
		f.t.Fatalf("Get Foreman: %v", err)
	}
	return fm
}

func (f *fixture) update(change func(*v1alpha1.Foreman)) {
	f.t.Helper()
	err := retry.RetryOnConflict(testBackoff, func() error {
		fm := f.get()
		change(fm)
		return f.c.Update(context.Background(), fm)
	})
	if err != nil {
		f.t.Errorf("Update Foreman: %v", err)
	}
}

// engine writes the status as pkg/controller's updateStatus does.
func (f *fixture) engine(compute func(prev map[string]any, generation int64) map[string]any) {
	f.t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(testBackoff, func() error {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(f.kind())
		if err := f.c.Get(ctx, client.ObjectKeyFromObject(f.owner), live); err != nil {
			return err
		}
		prev, _, _ := unstructured.NestedMap(live.Object, "status")
		next := compute(prev, live.GetGeneration())
		if status.Equal(prev, next) {
			return nil
		}
		orig := live.DeepCopy()
		if err := unstructured.SetNestedMap(live.Object, next, "status"); err != nil {
			return err
		}
		return f.c.Status().Patch(ctx, live, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		f.t.Errorf("Write status as the engine: %v", err)
	}
}

// succeed is the engine's status after run number run succeeded, with the
// keys the role publishes.
func succeed(run int) func(prev map[string]any, generation int64) map[string]any {
	return func(prev map[string]any, generation int64) map[string]any {
		next, _ := status.Done(prev, status.Result{Stats: &status.Stats{Ok: run},
			CustomStatus: map[string]any{"version": "3.16.0", "url": "https://foreman.example.com"}}, generation, time.Now())
		return next
	}
}

// expect waits until the reporter's conditions say state, with reason and
// (unless empty) message on all three, for the current generation.
func (f *fixture) expect(what string, state foremanstatus.State, reason, message string) {
	f.t.Helper()
	f.expectMessage(what, state, reason, func(m string) bool { return message == "" || m == message })
}

// expectPrefix is expect for a message that starts with prefix.
func (f *fixture) expectPrefix(what string, state foremanstatus.State, reason, prefix string) {
	f.t.Helper()
	f.expectMessage(what, state, reason, func(m string) bool { return strings.HasPrefix(m, prefix) })
}

func (f *fixture) expectMessage(what string, state foremanstatus.State, reason string, message func(string) bool) {
	f.t.Helper()
	timeout := f.timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	var last string
	testcluster.Eventually(f.t, timeout, what, func(ctx context.Context) (bool, error) {
		cr := &unstructured.Unstructured{}
		cr.SetGroupVersionKind(f.kind())
		if err := f.c.Get(ctx, client.ObjectKeyFromObject(f.owner), cr); err != nil {
			return false, err
		}
		st, _, _ := unstructured.NestedMap(cr.Object, "status")
		conds := foremanstatus.Conditions(st)
		var b strings.Builder
		ok := true
		for _, typ := range []string{foremanstatus.TypeReady, foremanstatus.TypeProgressing, foremanstatus.TypeDegraded} {
			cond := findCondition(conds, typ)
			if cond == nil {
				fmt.Fprintf(&b, "%s missing; ", typ)
				ok = false
				continue
			}
			fmt.Fprintf(&b, "%s=%s %s %q (generation %d); ", typ, cond.Status, cond.Reason, cond.Message, cond.ObservedGeneration)
			want := metav1.ConditionFalse
			if typ == string(state) {
				want = metav1.ConditionTrue
			}
			ok = ok && cond.Status == want && cond.Reason == reason && message(cond.Message) &&
				cond.ObservedGeneration == cr.GetGeneration() && transitioned(st, typ)
		}
		last = b.String()
		if ok {
			return true, nil
		}
		return false, fmt.Errorf("%s", last)
	})
}

// transitioned reports whether condition typ of status has a lastTransitionTime.
func transitioned(status map[string]any, typ string) bool {
	list, _ := status["conditions"].([]any)
	for _, entry := range list {
		if m, _ := entry.(map[string]any); m["type"] == typ {
			t, _ := m["lastTransitionTime"].(string)
			return t != ""
		}
	}
	return false
}

func findCondition(cs []v1alpha1.Condition, typ string) *v1alpha1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}

// expectEngineKept checks that the engine's conditions and the role's keys
// are as the engine last wrote them.
func (f *fixture) expectEngineKept(run int) {
	f.t.Helper()
	fm := f.get()
	s := condition(fm, "Successful")
	if s == nil || s.Status != metav1.ConditionTrue || s.AnsibleResult == nil || s.AnsibleResult.Ok != run {
		f.t.Errorf("Successful %+v, want True with ok=%d", s, run)
	}
	for _, typ := range []string{"Running", "Failure"} {
		if cond := condition(fm, typ); cond == nil || cond.Status != metav1.ConditionFalse {
			f.t.Errorf("%s %+v, want False", typ, cond)
		}
	}
	if fm.Status.Version != "3.16.0" || fm.Status.URL != "https://foreman.example.com" || fm.Status.ObservedGeneration != fm.Generation {
		f.t.Errorf("status version %q, url %q, observedGeneration %d: the engine's keys were not kept",
			fm.Status.Version, fm.Status.URL, fm.Status.ObservedGeneration)
	}
}

func condition(fm *v1alpha1.Foreman, typ string) *v1alpha1.Condition {
	for i := range fm.Status.Conditions {
		if fm.Status.Conditions[i].Type == typ {
			return &fm.Status.Conditions[i]
		}
	}
	return nil
}

func component(fm *v1alpha1.Foreman, name string) v1alpha1.ComponentStatus {
	for _, c := range fm.Status.Components {
		if c.Name == name {
			return c
		}
	}
	return v1alpha1.ComponentStatus{}
}

func componentNames(fm *v1alpha1.Foreman) string {
	var names []string
	for _, c := range fm.Status.Components {
		names = append(names, c.Name)
	}
	return strings.Join(names, " ")
}

func (f *fixture) ownerRefs(name string) []metav1.OwnerReference {
	if strings.HasPrefix(name, "someone-elses-") {
		return nil
	}
	return []metav1.OwnerReference{*metav1.NewControllerRef(f.owner, f.kind())}
}

func (f *fixture) meta(name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: f.owner.GetNamespace(), OwnerReferences: f.ownerRefs(name),
		Labels: map[string]string{foremanstatus.LabelComponent: component, "app.kubernetes.io/instance": f.owner.GetName()}}
}

func podTemplate(component string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{foremanstatus.LabelComponent: component}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: component, Image: "quay.io/foreman/foreman:3.16"}}},
	}
}

// createOrGet creates obj, or reads it when it exists.
func (f *fixture) createOrGet(obj client.Object) {
	f.t.Helper()
	ctx := context.Background()
	if err := f.c.Create(ctx, obj); err != nil {
		if err := f.c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			f.t.Errorf("Create or get %s: %v", obj.GetName(), err)
		}
	}
}

// writeStatus sets obj's status as set by the caller, retrying on conflict.
func (f *fixture) writeStatus(obj client.Object, set func()) {
	f.t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(testBackoff, func() error {
		if err := f.c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		set()
		return f.c.Status().Update(ctx, obj)
	})
	if err != nil {
		f.t.Errorf("Write status of %s: %v", obj.GetName(), err)
	}
}

// deployment makes a rolled-out Deployment with replicas pods, available of
// them available.
func (f *fixture) deployment(name, component string, replicas, available int32) *appsv1.Deployment {
	f.t.Helper()
	d := &appsv1.Deployment{ObjectMeta: f.meta(name, component), Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To(replicas), Template: podTemplate(component),
		Selector: &metav1.LabelSelector{MatchLabels: podTemplate(component).Labels},
	}}
	f.createOrGet(d)
	if *d.Spec.Replicas != replicas {
		d.Spec.Replicas = ptr.To(replicas)
		if err := f.c.Update(context.Background(), d); err != nil {
			f.t.Errorf("Scale %s: %v", name, err)
		}
	}
	f.writeStatus(d, func() {
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: replicas, UpdatedReplicas: replicas,
			ReadyReplicas: available, AvailableReplicas: available, UnavailableReplicas: replicas - available}
		if strings.HasPrefix(name, "someone-elses-") {
			d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing,
				Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "not ours"}}
		}
	})
	return d
}

// stuck marks a Deployment as past its progress deadline.
func (f *fixture) stuck(name string) {
	f.t.Helper()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.owner.GetNamespace()}}
	f.writeStatus(d, func() {
		d.Status.AvailableReplicas, d.Status.ReadyReplicas = 0, 0
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
			Reason: "ProgressDeadlineExceeded", Message: fmt.Sprintf("ReplicaSet %q has timed out progressing.", name+"-1")}}
	})
}

func (f *fixture) statefulSet(name, component string, replicas int32) {
	f.t.Helper()
	s := &appsv1.StatefulSet{ObjectMeta: f.meta(name, component), Spec: appsv1.StatefulSetSpec{
		Replicas: ptr.To(replicas), Template: podTemplate(component), ServiceName: name,
		Selector: &metav1.LabelSelector{MatchLabels: podTemplate(component).Labels},
	}}
	f.createOrGet(s)
	f.writeStatus(s, func() {
		s.Status = appsv1.StatefulSetStatus{ObservedGeneration: s.Generation, Replicas: replicas, ReadyReplicas: replicas,
			AvailableReplicas: replicas, UpdatedReplicas: replicas, CurrentReplicas: replicas,
			CurrentRevision: name + "-1", UpdateRevision: name + "-1"}
	})
}

// job makes the owner's Job: a Foreman's migration, a SmartProxy's
// registration.
func (f *fixture) job(name string) *batchv1.Job {
	f.t.Helper()
	component := "migration"
	if f.kind() == smartProxyGVK {
		component = "registration"
	}
	tmpl := podTemplate(component)
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	j := &batchv1.Job{ObjectMeta: f.meta(name, component), Spec: batchv1.JobSpec{Template: tmpl}}
	f.createOrGet(j)
	return j
}

// completeJob makes a migration Job that succeeded, as the Job controller
// reports it.
func (f *fixture) completeJob(name string) {
	f.t.Helper()
	j := f.job(name)
	f.writeStatus(j, func() {
		now := metav1.Now()
		j.Status = batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Succeeded: 1, Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now},
		}}
	})
}

// failJob makes a migration Job that failed, as the Job controller reports it.
func (f *fixture) failJob(name string) {
	f.t.Helper()
	j := f.job(name)
	f.writeStatus(j, func() {
		now := metav1.Now()
		msg := "Job has reached the specified backoff limit"
		j.Status = batchv1.JobStatus{StartTime: &now, Failed: 1, Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: msg, LastTransitionTime: now},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: msg, LastTransitionTime: now},
		}}
	})
}

// testBackoff lets the test's own engine-like writes survive contention on a
// loaded machine, as the engine's do.
var testBackoff = wait.Backoff{Steps: 12, Duration: 10 * time.Millisecond, Factor: 1.7, Jitter: 0.5, Cap: 2 * time.Second}
