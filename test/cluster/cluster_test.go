// Package cluster_test proves that the local cluster behaves like a real one
// in the ways the operator's tests rely on: workloads become Available, Jobs
// complete, RBAC confines a ServiceAccount to its namespace, and namespaces
// come and go.
package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/internal/testcluster"
)

func podSpec() corev1.PodSpec {
	return corev1.PodSpec{
		Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}},
	}
}

func TestADeploymentBecomesAvailable(t *testing.T) {
	cfg := testcluster.Config(t)
	c := testcluster.Client(t, cfg)
	ns := testcluster.Namespace(t, c, nil)
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec()},
		},
	}
	if err := c.Create(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 60*time.Second, "Deployment Available with 2 ready replicas", func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(dep), dep); err != nil {
			return false, err
		}
		for _, cond := range dep.Status.Conditions {
			if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
				return dep.Status.ReadyReplicas == 2, fmt.Errorf("ready replicas %d", dep.Status.ReadyReplicas)
			}
		}
		return false, fmt.Errorf("conditions %v", dep.Status.Conditions)
	})
}

func TestAJobCompletes(t *testing.T) {
	cfg := testcluster.Config(t)
	c := testcluster.Client(t, cfg)
	ns := testcluster.Namespace(t, c, nil)
	spec := podSpec()
	spec.RestartPolicy = corev1.RestartPolicyNever
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: ns},
		Spec:       batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}},
	}
	if err := c.Create(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 60*time.Second, "Job Complete", func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(job), job); err != nil {
			return false, err
		}
		for _, cond := range job.Status.Conditions {
			if cond.Type == batchv1.JobComplete && cond.Status == corev1.ConditionTrue {
				return job.Status.Succeeded == 1, fmt.Errorf("succeeded %d", job.Status.Succeeded)
			}
		}
		return false, fmt.Errorf("conditions %v", job.Status.Conditions)
	})
}

func TestAServiceAccountWithANamespaceRoleIsConfinedToItsNamespace(t *testing.T) {
	cfg := testcluster.Config(t)
	c := testcluster.Client(t, cfg)
	ns := testcluster.Namespace(t, c, nil)
	other := testcluster.Namespace(t, c, nil)
	ctx := context.Background()

	objs := []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "operator", Namespace: ns}},
		&rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "operator", Namespace: ns},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create", "get"}}},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "operator", Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "operator"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "operator", Namespace: ns}},
		},
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	admin := kubernetes.NewForConfigOrDie(cfg)
	tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "operator",
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	saCfg := rest.AnonymousClientConfig(cfg)
	saCfg.BearerToken = tr.Status.Token
	sa := testcluster.Client(t, saCfg)

	mine := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}}
	// RBAC caches refresh quickly, but a fresh binding may need a moment.
	testcluster.Eventually(t, 10*time.Second, "create a ConfigMap in its own namespace", func(ctx context.Context) (bool, error) {
		err := sa.Create(ctx, mine.DeepCopy())
		return err == nil || apierrors.IsAlreadyExists(err), err
	})
	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: other}}
	if err := sa.Create(ctx, theirs); !apierrors.IsForbidden(err) {
		t.Fatalf("create a ConfigMap in namespace %s: want 403 Forbidden, got %v", other, err)
	}
	if err := sa.Delete(ctx, mine); !apierrors.IsForbidden(err) {
		t.Fatalf("delete without the delete verb: want 403 Forbidden, got %v", err)
	}
}

func TestANamespaceCanBeCreatedAndDeleted(t *testing.T) {
	cfg := testcluster.Config(t)
	c := testcluster.Client(t, cfg)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "lifecycle-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "content", Namespace: ns.Name}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, ns); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 60*time.Second, "namespace "+ns.Name+" gone", func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(ns), ns)
		return apierrors.IsNotFound(err), fmt.Errorf("phase %s, err %v", ns.Status.Phase, err)
	})
}
