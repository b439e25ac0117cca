package foremanstatus_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
	"github.com/theforeman/foreman-operator/pkg/foremanstatus"
)

// kwokFast makes kwok move the pods through its stages in 100 ms instead of
// 1 to 6 s each.
var kwokFast = func() map[string]string {
	a := map[string]string{}
	for _, stage := range []string{"pod-create", "pod-init-container-running", "pod-init-container-completed", "pod-ready", "pod-complete"} {
		a[stage+".stage.kwok.x-k8s.io/delay"] = "100ms"
		a[stage+".stage.kwok.x-k8s.io/jitter-delay"] = "100ms"
	}
	return a
}()

// nowhere is a node selector no node matches: pods stay Pending.
var nowhere = map[string]string{"foremanstatus.test.theforeman.org/nowhere": "true"}

// TestReporterOnTheLocalCluster lets the cluster's own controllers and kwok
// write the workloads' status: Deployments and the StatefulSet become
// available, Jobs complete, a Deployment that cannot schedule runs past its
// progress deadline, and a Job past its active deadline fails.
func TestReporterOnTheLocalCluster(t *testing.T) {
	cfg := testcluster.Config(t)
	ensureCRD(t, newClient(t, cfg))
	// A client made after the CRD exists maps the Foreman kind at once.
	c := newClient(t, cfg)
	ns := testcluster.Namespace(t, c, nil)
	startReporter(t, cfg, ns)
	ctx := context.Background()

	fm := &v1alpha1.Foreman{ObjectMeta: metav1.ObjectMeta{Name: "kwok", Namespace: ns}}
	if err := c.Create(ctx, fm); err != nil {
		t.Fatalf("Create Foreman: %v", err)
	}
	f := &fixture{t: t, c: c, owner: fm, timeout: time.Minute}
	f.engine(succeed(1))
	f.expectPrefix("no workloads yet", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingComponents,
		"postgresql: StatefulSet not found")

	sts := &appsv1.StatefulSet{ObjectMeta: f.meta("foreman-postgresql", "postgresql"), Spec: appsv1.StatefulSetSpec{
		Replicas: ptr.To[int32](1), ServiceName: "foreman-postgresql", Template: kwokPod("postgresql"),
		Selector: &metav1.LabelSelector{MatchLabels: kwokPod("postgresql").Labels}}}
	f.createOrGet(sts)
	for _, component := range []string{"redis", "web", "dynflow-orchestrator", "dynflow-worker"} {
		f.createOrGet(kwokDeployment(f, component))
	}
	f.createOrGet(kwokJob(f, "foreman-migrate-1"))
	f.expect("kwok brings every component up", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady,
		"All 6 components are ready; generation 1 is reconciled")

	// web's new pods cannot schedule; the deployment controller gives up after 2 s.
	f.changeDeployment("foreman-web", func(d *appsv1.Deployment) {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](2)
		d.Spec.Template.Spec.NodeSelector = nowhere
	})
	f.expectPrefix("web's rollout stuck", foremanstatus.StateDegraded, foremanstatus.ReasonComponentFailed,
		"web: Deployment foreman-web exceeded its progress deadline: ReplicaSet")
	f.changeDeployment("foreman-web", func(d *appsv1.Deployment) { d.Spec.Template.Spec.NodeSelector = nil })
	f.expect("web rolled back", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady, "")

	// A newer migration Job that cannot run fails at its active deadline.
	j := kwokJob(f, "foreman-migrate-2")
	j.Spec.ActiveDeadlineSeconds = ptr.To[int64](1)
	j.Spec.Template.Spec.NodeSelector = nowhere
	f.createOrGet(j)
	f.expectPrefix("the migration failed", foremanstatus.StateDegraded, foremanstatus.ReasonComponentFailed,
		"migration: Job foreman-migrate-2 failed: DeadlineExceeded")
}

// ensureCRD creates the Foreman CRD from config/crd/bases unless the cluster
// has it, and waits until it is established. It is left in place: other
// tests on the shared cluster may use it.
func ensureCRD(t *testing.T, c client.Client) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "app.theforeman.org_foremen.yaml"))
	if err != nil {
		t.Fatalf("Read the CRD: %v", err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatalf("Decode the CRD: %v", err)
	}
	if err := c.Create(context.Background(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("Create the CRD: %v", err)
	}
	testcluster.Eventually(t, 30*time.Second, "the Foreman CRD is established", func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(crd), crd); err != nil {
			return false, err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

func kwokPod(component string) corev1.PodTemplateSpec {
	p := podTemplate(component)
	p.Annotations = kwokFast
	return p
}

func kwokDeployment(f *fixture, component string) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: f.meta("foreman-"+component, component), Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](1), Template: kwokPod(component),
		Selector: &metav1.LabelSelector{MatchLabels: kwokPod(component).Labels}}}
}

func kwokJob(f *fixture, name string) *batchv1.Job {
	tmpl := kwokPod("migration")
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	return &batchv1.Job{ObjectMeta: f.meta(name, "migration"), Spec: batchv1.JobSpec{Template: tmpl, BackoffLimit: ptr.To[int32](0)}}
}

func (f *fixture) changeDeployment(name string, change func(*appsv1.Deployment)) {
	f.t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(testBackoff, func() error {
		d := &appsv1.Deployment{}
		if err := f.c.Get(ctx, client.ObjectKey{Namespace: f.owner.GetNamespace(), Name: name}, d); err != nil {
			return err
		}
		change(d)
		return f.c.Update(ctx, d)
	})
	if err != nil {
		f.t.Fatalf("Change Deployment %s: %v", name, err)
	}
}
