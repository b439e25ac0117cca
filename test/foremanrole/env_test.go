package foremanrole_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/internal/testoperator"
	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(appv1alpha1.AddToScheme(s))
	return s
}()

// Timeouts: a first run waits for PostgreSQL and the migration Job, whose
// pods kwok completes in about ten seconds; the machine may be loaded.
const (
	firstRun = 5 * time.Minute
	laterRun = 3 * time.Minute
)

// env is one operator process running watches.yaml's Foreman entry for one
// namespace that enforces the restricted Pod Security Standard.
type env struct {
	t         *testing.T
	c         client.Client
	ns        string
	runnerDir string
	op        *testoperator.Process
}

// operatorArgs are the operator's command line and environment for the
// namespace ns, with its runs' artifacts in runnerDir.
func operatorArgs(root, ns, runnerDir string) ([]string, []string) {
	return []string{
			"--watches-file", filepath.Join(root, "watches.yaml"),
			"--kubeconfig", os.Getenv(testcluster.KubeconfigEnv),
			"--proxy-port", "0", "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
			"--runner-dir", runnerDir, "--zap-log-level", "info",
		}, []string{
			"WATCH_NAMESPACE=" + ns,
			"ANSIBLE_GATHERING=explicit",
			"ANSIBLE_ROLES_PATH=" + filepath.Join(root, "roles"),
		}
}

// restartOperator stops the operator (SIGTERM, as a rollout does) and
// starts another one on the same namespace.
func (e *env) restartOperator() {
	e.t.Helper()
	if !e.op.Stop(time.Minute) {
		e.t.Fatal("the operator did not stop within a minute of SIGTERM")
	}
	args, environ := operatorArgs(testrepo.Root(e.t), e.ns, e.runnerDir)
	e.op = testoperator.Start(e.t, args, environ...)
}

// startOperator makes the namespace and starts the operator on it; both go
// when the test ends.
func startOperator(t *testing.T) *env {
	t.Helper()
	cfg := testcluster.Config(t)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	installCRD(t, c)
	// A client made after the CRD exists maps the Foreman kind at once.
	if c, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		t.Fatal(err)
	}
	ns := testcluster.Namespace(t, c, map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	})
	e := &env{t: t, c: c, ns: ns, runnerDir: t.TempDir()}
	e.start()
	return e
}

// start runs an operator process on the namespace: the first, or the next
// one after a test killed the last.
func (e *env) start() {
	args, environ := operatorArgs(testrepo.Root(e.t), e.ns, e.runnerDir)
	e.op = testoperator.Start(e.t, args, environ...)
}

func (e *env) create(obj client.Object) {
	e.t.Helper()
	obj.SetNamespace(e.ns)
	if err := e.c.Create(context.Background(), obj); err != nil {
		e.t.Fatalf("Create %T %s: %v", obj, obj.GetName(), err)
	}
}

func (e *env) foreman(name string) *appv1alpha1.Foreman {
	e.t.Helper()
	f := &appv1alpha1.Foreman{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, f); err != nil {
		e.t.Fatalf("Get Foreman %s: %v", name, err)
	}
	return f
}

func (e *env) smartProxy(name string) *appv1alpha1.SmartProxy {
	e.t.Helper()
	sp := &appv1alpha1.SmartProxy{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, sp); err != nil {
		e.t.Fatalf("Get SmartProxy %s: %v", name, err)
	}
	return sp
}

// update changes the Foreman's spec (or metadata) with mutate, retrying on
// conflicts with the operator's status writes.
func (e *env) update(name string, mutate func(*appv1alpha1.Foreman)) {
	e.t.Helper()
	for i := 0; ; i++ {
		f := e.foreman(name)
		mutate(f)
		err := e.c.Update(context.Background(), f)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) || i == 10 {
			e.t.Fatalf("Update Foreman %s: %v", name, err)
		}
	}
}

func condition(f *appv1alpha1.Foreman, typ string) *appv1alpha1.Condition {
	return findCondition(f.Status.Conditions, typ)
}

func findCondition(cs []appv1alpha1.Condition, typ string) *appv1alpha1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}

// waitRun waits until a run that finished after since (a Successful
// condition's ansibleResult.completion, or "" for any) set condition typ to
// True for the Foreman's current generation, and returns the Foreman.
func (e *env) waitRun(name, typ, since string, timeout time.Duration) *appv1alpha1.Foreman {
	e.t.Helper()
	var f *appv1alpha1.Foreman
	testcluster.Eventually(e.t, timeout, fmt.Sprintf("Foreman %s %s=True", name, typ), func(ctx context.Context) (bool, error) {
		f = &appv1alpha1.Foreman{}
		if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, f); err != nil {
			return false, err
		}
		c := condition(f, typ)
		if c == nil {
			return false, fmt.Errorf("no %s condition yet; conditions %+v", typ, f.Status.Conditions)
		}
		if c.Status != metav1.ConditionTrue || c.ObservedGeneration != f.Generation {
			return false, fmt.Errorf("%s is %s for generation %d of %d: %s", typ, c.Status, c.ObservedGeneration, f.Generation, c.Message)
		}
		if since != "" && (c.AnsibleResult == nil || c.AnsibleResult.Completion == since) {
			return false, fmt.Errorf("no run finished since %s", since)
		}
		return true, nil
	})
	return f
}

// completion is the time the last run finished, from the Successful or
// Failure condition.
func completion(f *appv1alpha1.Foreman) string {
	for _, typ := range []string{"Successful", "Failure"} {
		if c := condition(f, typ); c != nil && c.AnsibleResult != nil && c.Status == metav1.ConditionTrue {
			return c.AnsibleResult.Completion
		}
	}
	return ""
}

// children lists the objects of a Foreman instance by kind. Jobs are the
// migration Jobs; OtherJobs the rest (Katello's).
type children struct {
	Deployments  []appsv1.Deployment
	StatefulSets []appsv1.StatefulSet
	Jobs         []batchv1.Job
	CronJobs     []batchv1.CronJob
	Services     []corev1.Service
	ConfigMaps   []corev1.ConfigMap
	Secrets      []corev1.Secret
	Ingresses    []networkingv1.Ingress
	OtherJobs    []batchv1.Job
	Claims       []corev1.PersistentVolumeClaim
}

func (e *env) children(instance string) children {
	e.t.Helper()
	ctx := context.Background()
	opts := []client.ListOption{client.InNamespace(e.ns), client.MatchingLabels{"app.kubernetes.io/instance": instance}}
	var (
		d   appsv1.DeploymentList
		s   appsv1.StatefulSetList
		j   batchv1.JobList
		cj  batchv1.CronJobList
		svc corev1.ServiceList
		cm  corev1.ConfigMapList
		sec corev1.SecretList
		ing networkingv1.IngressList
		pvc corev1.PersistentVolumeClaimList
	)
	for _, l := range []client.ObjectList{&d, &s, &j, &cj, &svc, &cm, &sec, &ing, &pvc} {
		if err := e.c.List(ctx, l, opts...); err != nil {
			e.t.Fatalf("List %T: %v", l, err)
		}
	}
	var migrations, others []batchv1.Job
	for _, job := range j.Items {
		if job.Labels["app.kubernetes.io/component"] == "migration" {
			migrations = append(migrations, job)
		} else {
			others = append(others, job)
		}
	}
	return children{d.Items, s.Items, migrations, cj.Items, svc.Items, cm.Items, sec.Items, ing.Items, others, pvc.Items}
}

// names lists the names of objects.
func names[T any, P interface {
	*T
	client.Object
}](objs []T) []string {
	out := make([]string, 0, len(objs))
	for i := range objs {
		out = append(out, P(&objs[i]).GetName())
	}
	return out
}

func (c children) deployment(name string) *appsv1.Deployment {
	for i := range c.Deployments {
		if c.Deployments[i].Name == name {
			return &c.Deployments[i]
		}
	}
	return nil
}

// versions records what identifies each child's state: the generation of
// workloads (their status changes as pods come and go) and the
// resourceVersion of everything else.
func (c children) versions() map[string]string {
	out := map[string]string{}
	gen := func(kind string, o client.Object) {
		out[kind+"/"+o.GetName()] = fmt.Sprintf("generation %d", o.GetGeneration())
	}
	rv := func(kind string, o client.Object) {
		out[kind+"/"+o.GetName()] = "resourceVersion " + o.GetResourceVersion()
	}
	for i := range c.Deployments {
		gen("Deployment", &c.Deployments[i])
	}
	for i := range c.StatefulSets {
		gen("StatefulSet", &c.StatefulSets[i])
	}
	for i := range c.Jobs {
		gen("Job", &c.Jobs[i])
	}
	for i := range c.OtherJobs {
		gen("Job", &c.OtherJobs[i])
	}
	for i := range c.CronJobs {
		gen("CronJob", &c.CronJobs[i])
	}
	for i := range c.Services {
		rv("Service", &c.Services[i])
	}
	for i := range c.ConfigMaps {
		rv("ConfigMap", &c.ConfigMaps[i])
	}
	for i := range c.Secrets {
		rv("Secret", &c.Secrets[i])
	}
	for i := range c.Ingresses {
		rv("Ingress", &c.Ingresses[i])
	}
	return out
}

// changedVersions lists the children whose version differs between a and b,
// or that only one has.
func changedVersions(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// waitWorkloads waits until every Deployment of the instance is available
// with all its replicas and the StatefulSets are ready: their pods were
// admitted by the namespace's restricted Pod Security Standard and kwok made
// them ready.
func (e *env) waitWorkloads(instance string, timeout time.Duration) {
	e.t.Helper()
	testcluster.Eventually(e.t, timeout, "every workload of "+instance+" available", func(ctx context.Context) (bool, error) {
		c := e.children(instance)
		for _, d := range c.Deployments {
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			if d.Status.ObservedGeneration != d.Generation || d.Status.UpdatedReplicas != want || d.Status.AvailableReplicas != want {
				return false, fmt.Errorf("Deployment %s: %d of %d available, %d updated; conditions %+v",
					d.Name, d.Status.AvailableReplicas, want, d.Status.UpdatedReplicas, d.Status.Conditions)
			}
		}
		for _, s := range c.StatefulSets {
			if s.Status.ReadyReplicas != *s.Spec.Replicas {
				return false, fmt.Errorf("StatefulSet %s: %d of %d ready", s.Name, s.Status.ReadyReplicas, *s.Spec.Replicas)
			}
		}
		return true, nil
	})
}

// podTemplates are the pod templates of every workload of the instance,
// by kind and name.
func (c children) podTemplates() map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for _, d := range c.Deployments {
		out["Deployment/"+d.Name] = d.Spec.Template
	}
	for _, s := range c.StatefulSets {
		// The StatefulSet controller adds a volume per claim template.
		tpl := *s.Spec.Template.DeepCopy()
		for _, vct := range s.Spec.VolumeClaimTemplates {
			tpl.Spec.Volumes = append(tpl.Spec.Volumes, corev1.Volume{Name: vct.Name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: vct.Name + "-" + s.Name + "-0"}}})
		}
		out["StatefulSet/"+s.Name] = tpl
	}
	for _, j := range append(append([]batchv1.Job{}, c.Jobs...), c.OtherJobs...) {
		out["Job/"+j.Name] = j.Spec.Template
	}
	for _, cj := range c.CronJobs {
		out["CronJob/"+cj.Name] = cj.Spec.JobTemplate.Spec.Template
	}
	return out
}

// checkRestrictedPods waits for the instance's workloads, then checks
// every pod template (checkPodTemplates), reporting to t.
func (e *env) checkRestrictedPods(t *testing.T, instance string) {
	sub := *e
	sub.t = t
	sub.waitWorkloads(instance, 2*time.Minute)
	sub.checkPodTemplates(sub.children(instance))
}

// checkSecondRunChangesNothing makes the operator run the instance again
// (a new reconcile period is an annotation: the generation stays) after the
// run completed at last, fails t if that run changed anything, and returns
// its completion.
func (e *env) checkSecondRunChangesNothing(t *testing.T, instance, last string) string {
	e.update(instance, func(f *appv1alpha1.Foreman) {
		metav1.SetMetaDataAnnotation(&f.ObjectMeta, "ansible.sdk.operatorframework.io/reconcile-period", "5h")
	})
	f := e.waitRun(instance, "Successful", last, laterRun)
	if r := condition(f, "Successful").AnsibleResult; r.Changed != 0 {
		t.Errorf("the second run changed %d things (ok %d)", r.Changed, r.Ok)
	}
	return completion(f)
}

// checkPodTemplates checks each pod template against the house's security
// defaults and asks the API server, with a dry run, whether a pod made from
// it is admitted by the namespace's restricted Pod Security Standard (which
// covers the CronJobs, whose pods do not exist yet).
func (e *env) checkPodTemplates(c children) {
	e.t.Helper()
	templates := c.podTemplates()
	if len(templates) == 0 {
		e.t.Fatal("no pod templates found")
	}
	for where, tpl := range templates {
		spec := tpl.Spec
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			e.t.Errorf("%s: automountServiceAccountToken is not false", where)
		}
		for _, ctr := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
			r := ctr.Resources
			if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Cpu().IsZero() || r.Limits.Memory().IsZero() {
				e.t.Errorf("%s container %s: want CPU and memory requests and limits, have %v", where, ctr.Name, r)
			}
			sc := ctr.SecurityContext
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				e.t.Errorf("%s container %s: want allowPrivilegeEscalation false and capabilities drop ALL, have %+v", where, ctr.Name, sc)
			}
		}
		if psc := spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
			psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			e.t.Errorf("%s: want runAsNonRoot and seccompProfile RuntimeDefault on the pod, have %+v", where, psc)
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "restricted-check-", Namespace: e.ns, Labels: map[string]string{"check": "restricted"}},
			Spec:       *spec.DeepCopy(),
		}
		if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways || pod.Spec.RestartPolicy == "" {
			pod.Spec.RestartPolicy = corev1.RestartPolicyAlways
		}
		if err := e.c.Create(context.Background(), pod, client.DryRunAll); err != nil {
			e.t.Errorf("%s: a pod of this template is refused: %v", where, err)
		}
	}
}

// secretData reads one key of a Secret.
func (e *env) secretData(name, key string) string {
	e.t.Helper()
	s := &corev1.Secret{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, s); err != nil {
		e.t.Fatalf("Get Secret %s: %v", name, err)
	}
	return string(s.Data[key])
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func hasPrefix(list []string, prefix string) []string {
	var out []string
	for _, e := range list {
		if strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}
