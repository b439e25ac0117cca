package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"
)

var widgetGVK = schema.GroupVersionKind{Group: "engine.test.theforeman.org", Version: "v1", Kind: "Widget"}

// operator is one in-process operator watching one test namespace.
type operator struct {
	t         *testing.T
	c         client.Client
	ns        string
	runnerDir string
}

var crdOnce sync.Once

// testNamespace installs the Widget CRD once, then returns the cluster's
// config, a client made after the CRD exists (so it maps the Widget kind),
// a fresh namespace, and the absolute path of testdata.
func testNamespace(t *testing.T) (*rest.Config, client.Client, string, string) {
	t.Helper()
	cfg := testcluster.Config(t)
	crdOnce.Do(func() { installCRD(t, testcluster.Client(t, cfg)) })
	c := testcluster.Client(t, cfg)
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, c, testcluster.Namespace(t, c, nil), testdata
}

// startOperator installs the Widget CRD, makes a namespace, and runs the
// operator on it with the test watches until the test ends.
func startOperator(t *testing.T, extraArgs ...string) *operator {
	t.Helper()
	cfg, c, ns, testdata := testNamespace(t)
	t.Setenv("TESTDATA", testdata)
	t.Setenv("WATCH_NAMESPACE", ns)
	t.Setenv("ANSIBLE_GATHERING", "explicit")
	op := &operator{t: t, c: c, ns: ns, runnerDir: t.TempDir()}
	args := append([]string{
		"--watches-file", filepath.Join(testdata, "watches.yaml"),
		"--kubeconfig", writeKubeconfig(t, cfg),
		"--proxy-port", "0", "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		"--runner-dir", op.runnerDir, "--zap-log-level", "info",
	}, extraArgs...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("operator: %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Error("operator did not stop within 40 s")
		}
	})
	// Runs first (cleanups run last-registered first): widgets go while the
	// operator still runs their finalizers, so the namespace can go too.
	t.Cleanup(func() { deleteWidgets(t, c, ns) })
	return op
}

// deleteWidgets deletes the namespace's widgets and waits for them to go;
// any left after a minute lose their finalizers, so that the namespace never
// stays Terminating.
func deleteWidgets(t *testing.T, c client.Client, ns string) {
	ctx := context.Background()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(widgetGVK.GroupVersion().WithKind("WidgetList"))
	if err := c.DeleteAllOf(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": widgetGVK.GroupVersion().String(), "kind": widgetGVK.Kind}}, client.InNamespace(ns)); err != nil {
		t.Errorf("Delete widgets in %s: %v", ns, err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if err := c.List(ctx, list, client.InNamespace(ns)); err != nil || len(list.Items) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := range list.Items {
		w := &list.Items[i]
		orig := w.DeepCopy()
		w.SetFinalizers(nil)
		_ = c.Patch(ctx, w, client.MergeFrom(orig))
	}
}

func installCRD(t *testing.T, c client.Client) {
	t.Helper()
	data, err := os.ReadFile("testdata/crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(context.Background(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 30*time.Second, "CRD established", func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(crd), crd); err != nil {
			return false, err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, errors.New("not established")
	})
}

// writeKubeconfig writes cfg (the admin token config) for the operator.
func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthority: cfg.CAFile, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken, TokenFile: cfg.BearerTokenFile}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "c"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func (o *operator) createWidget(name string, spec map[string]any) *unstructured.Unstructured {
	o.t.Helper()
	w := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	w.SetGroupVersionKind(widgetGVK)
	w.SetNamespace(o.ns)
	w.SetName(name)
	if err := o.c.Create(context.Background(), w); err != nil {
		o.t.Fatalf("Create widget %s: %v", name, err)
	}
	return w
}

func (o *operator) widget(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	w := &unstructured.Unstructured{}
	w.SetGroupVersionKind(widgetGVK)
	err := o.c.Get(ctx, client.ObjectKey{Namespace: o.ns, Name: name}, w)
	return w, err
}

// condition returns the condition of type t from the widget's status.
func condition(w *unstructured.Unstructured, t string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(w.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == t {
			return m
		}
	}
	return nil
}

// waitCondition waits until the widget's condition t has status s for the
// widget's current generation, and returns the widget.
func (o *operator) waitCondition(name, t, s string, timeout time.Duration) *unstructured.Unstructured {
	o.t.Helper()
	var w *unstructured.Unstructured
	testcluster.Eventually(o.t, timeout, fmt.Sprintf("widget %s %s=%s", name, t, s), func(ctx context.Context) (bool, error) {
		var err error
		if w, err = o.widget(ctx, name); err != nil {
			return false, err
		}
		c := condition(w, t)
		if c == nil {
			return false, fmt.Errorf("no %s condition; status %v", t, w.Object["status"])
		}
		gen, _, _ := unstructured.NestedInt64(c, "observedGeneration")
		return c["status"] == s && gen == w.GetGeneration(), fmt.Errorf("%s is %v (generation %d of %d): %v", t, c["status"], gen, w.GetGeneration(), c["message"])
	})
	return w
}

// runs counts the Ansible runs the operator made for a widget, from its run
// artifacts.
func (o *operator) runs(name string) int {
	o.t.Helper()
	dir := filepath.Join(o.runnerDir, widgetGVK.Group, widgetGVK.Version, widgetGVK.Kind, o.ns, name, "artifacts")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() && e.Name() != "latest" {
			n++
		}
	}
	return n
}

// eventReasons lists the reasons of the Kubernetes Events about a widget.
func (o *operator) eventReasons(name string) []string {
	o.t.Helper()
	var list corev1.EventList
	if err := o.c.List(context.Background(), &list, client.InNamespace(o.ns)); err != nil {
		o.t.Fatal(err)
	}
	var reasons []string
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == widgetGVK.Kind && e.InvolvedObject.Name == name {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

func TestARoleRunsAndTheCRReportsSuccess(t *testing.T) {
	op := startOperator(t)
	op.createWidget("shop", map[string]any{"size": int64(2), "motd": "welcome"})
	w := op.waitCondition("shop", "Successful", "True", 60*time.Second)

	if c := condition(w, "Running"); c["status"] != "False" {
		t.Errorf("Running after a finished run: %v, want False", c)
	}
	if c := condition(w, "Failure"); c["status"] != "False" {
		t.Errorf("Failure after a successful run: %v, want False", c)
	}
	if got, _, _ := unstructured.NestedInt64(w.Object, "status", "observedGeneration"); got != w.GetGeneration() {
		t.Errorf("status.observedGeneration = %d, want %d", got, w.GetGeneration())
	}
	if got, _, _ := unstructured.NestedString(w.Object, "status", "widgetConfigMap"); got != "shop-settings" {
		t.Errorf("custom status widgetConfigMap = %q, want shop-settings", got)
	}
	if c := condition(w, "WidgetReady"); c == nil || c["status"] != "True" || c["reason"] != "Applied" {
		t.Errorf("custom condition WidgetReady = %v, want True/Applied", c)
	}

	// The role has no ownerReferences; the proxy made the CR own what it created.
	ctx := context.Background()
	dep := &appsv1.Deployment{}
	if err := op.c.Get(ctx, client.ObjectKey{Namespace: op.ns, Name: "shop-web"}, dep); err != nil {
		t.Fatal(err)
	}
	refs := dep.GetOwnerReferences()
	if len(refs) != 1 || refs[0].UID != w.GetUID() || refs[0].Controller == nil || !*refs[0].Controller ||
		refs[0].BlockOwnerDeletion == nil || !*refs[0].BlockOwnerDeletion {
		t.Errorf("Deployment ownerReferences = %+v, want one controller reference to widget %s", refs, w.GetUID())
	}
	if *dep.Spec.Replicas != 2 {
		t.Errorf("Deployment replicas = %d, want the spec's 2", *dep.Spec.Replicas)
	}
	if n := op.runs("shop"); n != 1 {
		t.Errorf("runs = %d, want exactly 1", n)
	}
	stdout, err := os.ReadFile(filepath.Join(op.runnerDir, widgetGVK.Group, "v1", "Widget", op.ns, "shop", "artifacts", "latest", "stdout"))
	if err != nil || !strings.Contains(string(stdout), "PLAY RECAP") {
		t.Errorf("artifacts/latest/stdout: %v, want the run's output with its recap", err)
	}
	testcluster.Eventually(t, 10*time.Second, "Events RunStarted and RunSucceeded", func(context.Context) (bool, error) {
		r := strings.Join(op.eventReasons("shop"), ",")
		return strings.Contains(r, "RunStarted") && strings.Contains(r, "RunSucceeded"), errors.New(r)
	})
}

func TestAFailedRunNamesTheTaskInStatus(t *testing.T) {
	op := startOperator(t)
	op.createWidget("broken", map[string]any{"fail_with": "the widget is broken"})
	w := op.waitCondition("broken", "Failure", "True", 60*time.Second)

	c := condition(w, "Failure")
	msg, _ := c["message"].(string)
	for _, want := range []string{"Fail when the spec asks", "roles/widget/tasks/main.yml:", "the widget is broken"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Failure message %q does not contain %q", msg, want)
		}
	}
	if c["reason"] != "Failed" {
		t.Errorf("Failure reason = %v, want Failed", c["reason"])
	}
	if s := condition(w, "Successful"); s["status"] != "False" {
		t.Errorf("Successful after a failed run = %v, want False", s)
	}
	if r := condition(w, "Running"); r["status"] != "False" {
		t.Errorf("Running after a failed run = %v, want False", r)
	}
	testcluster.Eventually(t, 10*time.Second, "Event RunFailed", func(context.Context) (bool, error) {
		r := strings.Join(op.eventReasons("broken"), ",")
		return strings.Contains(r, "RunFailed"), errors.New(r)
	})

	// Fixing the spec brings it back to Successful.
	w.Object["spec"] = map[string]any{"fail_with": ""}
	if err := op.c.Update(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	op.waitCondition("broken", "Successful", "True", 60*time.Second)
	if c := condition(w, "Failure"); c != nil {
		if w2, _ := op.widget(context.Background(), "broken"); condition(w2, "Failure")["status"] != "False" {
			t.Errorf("Failure after the fix = %v, want False", condition(w2, "Failure"))
		}
	}
}

func TestTheFinalizerRoleRunsOnDelete(t *testing.T) {
	op := startOperator(t)
	records := testcluster.Namespace(t, op.c, nil)
	w := op.createWidget("leaving", map[string]any{"record_namespace": records})
	op.waitCondition("leaving", "Successful", "True", 60*time.Second)
	w, _ = op.widget(context.Background(), "leaving")
	if fins := w.GetFinalizers(); len(fins) != 1 || fins[0] != "engine.test.theforeman.org/finalizer" {
		t.Fatalf("finalizers = %v, want the watch's finalizer", fins)
	}
	if err := op.c.Delete(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 60*time.Second, "widget gone after its finalizer ran", func(ctx context.Context) (bool, error) {
		_, err := op.widget(ctx, "leaving")
		return apierrors.IsNotFound(err), err
	})
	cm := &corev1.ConfigMap{}
	if err := op.c.Get(context.Background(), client.ObjectKey{Namespace: records, Name: "leaving-finalized"}, cm); err != nil {
		t.Errorf("the finalizer role's record: %v", err)
	}
	dir := filepath.Join(op.runnerDir, widgetGVK.Group, "v1", "Widget", op.ns, "leaving")
	testcluster.Eventually(t, 10*time.Second, "run directory removed with the CR", func(context.Context) (bool, error) {
		_, err := os.Stat(dir)
		return os.IsNotExist(err), err
	})
}

func TestADeletedOrEditedChildIsRestored(t *testing.T) {
	op := startOperator(t)
	op.createWidget("keeper", map[string]any{"motd": "original"})
	op.waitCondition("keeper", "Successful", "True", 60*time.Second)
	ctx := context.Background()

	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: op.ns, Name: "keeper-web"}}
	if err := op.c.Delete(ctx, dep); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 30*time.Second, "deleted Deployment restored", func(ctx context.Context) (bool, error) {
		err := op.c.Get(ctx, client.ObjectKeyFromObject(dep), dep)
		return err == nil && dep.DeletionTimestamp == nil, err
	})

	cm := &corev1.ConfigMap{}
	key := client.ObjectKey{Namespace: op.ns, Name: "keeper-settings"}
	if err := op.c.Get(ctx, key, cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["motd"] = "edited by hand"
	if err := op.c.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 30*time.Second, "edited ConfigMap restored", func(ctx context.Context) (bool, error) {
		if err := op.c.Get(ctx, key, cm); err != nil {
			return false, err
		}
		return cm.Data["motd"] == "original", fmt.Errorf("motd %q", cm.Data["motd"])
	})
}

func TestNoiseOnChildrenDoesNotRerunTheRole(t *testing.T) {
	op := startOperator(t)
	op.createWidget("calm", nil)
	op.waitCondition("calm", "Successful", "True", 60*time.Second)
	ctx := context.Background()
	// Let the Deployment settle (kwok makes its pods ready) before counting.
	time.Sleep(3 * time.Second)
	before := op.runs("calm")

	// Status churn and annotations added by "another controller".
	dep := &appsv1.Deployment{}
	key := client.ObjectKey{Namespace: op.ns, Name: "calm-web"}
	for i := range 10 {
		if err := op.c.Get(ctx, key, dep); err != nil {
			t.Fatal(err)
		}
		orig := dep.DeepCopy()
		dep.Status.ObservedGeneration = dep.Generation
		dep.Status.Conditions = append(dep.Status.Conditions[:0:0], appsv1.DeploymentCondition{
			Type: "Churn", Status: corev1.ConditionTrue, Reason: "Test", Message: fmt.Sprint(i),
		})
		if err := op.c.Status().Patch(ctx, dep, client.MergeFrom(orig)); err != nil {
			t.Fatal(err)
		}
		orig = dep.DeepCopy()
		dep.Annotations = map[string]string{"example.com/touched": fmt.Sprint(i)}
		if err := op.c.Patch(ctx, dep, client.MergeFrom(orig)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if after := op.runs("calm"); after != before {
		t.Errorf("runs went from %d to %d while only status and annotations of a child changed", before, after)
	}
}

// A role's custom status that the CRD's schema refuses ends in a Failure
// that says so, not in a CR left Running and run again.
func TestACustomStatusTheSchemaRefusesIsAFailure(t *testing.T) {
	op := startOperator(t)
	op.createWidget("refused", map[string]any{"bad_status": true})
	w := op.waitCondition("refused", "Failure", "True", 60*time.Second)
	c := condition(w, "Failure")
	if c["reason"] != "StatusRefused" || !strings.Contains(fmt.Sprint(c["message"]), "widgetCount") {
		t.Errorf("Failure = %v, want reason StatusRefused naming widgetCount", c)
	}
	if r := condition(w, "Running"); r["status"] != "False" {
		t.Errorf("Running = %v, want False", r)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(w.Object, "status", "widgetCount"); found {
		t.Error("the refused custom status was written anyway")
	}
	if !slices.Contains(op.eventReasons("refused"), "RunFailed") {
		t.Errorf("events %v, want a RunFailed", op.eventReasons("refused"))
	}
	// Fixed by the user: the next generation succeeds with its custom status.
	w.Object["spec"] = map[string]any{"bad_status": false}
	if err := op.c.Update(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	w = op.waitCondition("refused", "Successful", "True", 60*time.Second)
	if got, _, _ := unstructured.NestedString(w.Object, "status", "widgetConfigMap"); got != "refused-settings" {
		t.Errorf("custom status widgetConfigMap = %q after the fix, want refused-settings", got)
	}
}

func TestACRDeletedMidRun(t *testing.T) {
	op := startOperator(t)
	op.createWidget("brief", map[string]any{"sleep_seconds": int64(4)})
	op.waitCondition("brief", "Running", "True", 60*time.Second)
	w, err := op.widget(context.Background(), "brief")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.c.Delete(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 60*time.Second, "widget deleted mid-run is gone", func(ctx context.Context) (bool, error) {
		_, err := op.widget(ctx, "brief")
		return apierrors.IsNotFound(err), err
	})
	// The operator carries on.
	op.createWidget("after", nil)
	op.waitCondition("after", "Successful", "True", 60*time.Second)
}

func TestAReservedSpecKeyIsRefusedWithoutARun(t *testing.T) {
	op := startOperator(t)
	op.createWidget("sneaky", map[string]any{"ansiblePythonInterpreter": "/tmp/evil"})
	w := op.waitCondition("sneaky", "Failure", "True", 30*time.Second)
	c := condition(w, "Failure")
	if c["reason"] != "ReservedSpecKey" || !strings.Contains(fmt.Sprint(c["message"]), "ansible_python_interpreter") {
		t.Errorf("Failure = %v, want reason ReservedSpecKey naming ansible_python_interpreter", c)
	}
	if n := op.runs("sneaky"); n != 0 {
		t.Errorf("runs = %d, want none for a refused spec", n)
	}
	for _, r := range op.eventReasons("sneaky") {
		if r == "RunStarted" {
			t.Error("a run started for a refused spec")
		}
	}
}

func TestAJinjaExpressionInASpecStringStaysLiteral(t *testing.T) {
	op := startOperator(t)
	payload := "{{ lookup('pipe', 'id') }} {{ 6 * 7 }}"
	op.createWidget("literal", map[string]any{"motd": payload})
	op.waitCondition("literal", "Successful", "True", 60*time.Second)
	cm := &corev1.ConfigMap{}
	if err := op.c.Get(context.Background(), client.ObjectKey{Namespace: op.ns, Name: "literal-settings"}, cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["motd"] != payload {
		t.Errorf("motd = %q, want the spec's string unevaluated %q", cm.Data["motd"], payload)
	}
}

func TestAnInvalidWatchesFileStopsTheOperatorNamingEntryAndField(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "watches.yaml")
	content := "- version: v1\n  group: engine.test.theforeman.org\n  kind: Widget\n  role: no-such-role\n"
	if err := os.WriteFile(bad, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"--watches-file", bad, "--kubeconfig", "/nonexistent"})
	if err == nil {
		t.Fatal("run with a bad watches file returned no error")
	}
	for _, want := range []string{bad, "entry 1", `field "role"`, "no-such-role"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
