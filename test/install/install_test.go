package install_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authorizationv1 "k8s.io/api/authorization/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/theforeman/foreman-operator/internal/bundle"
	"github.com/theforeman/foreman-operator/internal/testcluster"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// `make install` and `make uninstall` on a kubeconfig of their own: an
// envtest API server, since uninstalling the CRDs from the shared local
// cluster would delete the Foremans of tests running beside this one.
func TestMakeInstallAndUninstallTheCRDs(t *testing.T) {
	kubectl(t)
	logf.SetLogger(logr.Discard())
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("Start envtest: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	c := testcluster.Client(t, cfg)
	ctx := context.Background()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	key := client.ObjectKey{Name: "foremen.app.theforeman.org"}

	makeTarget(t, []string{"KUBECONFIG=" + path}, "install")
	if err := c.Get(ctx, key, crd); err != nil {
		t.Fatalf("the Foreman CRD after make install: %v", err)
	}
	established := false
	for _, cond := range crd.Status.Conditions {
		established = established || (cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue)
	}
	if !established {
		t.Errorf("make install returned before the CRD was established: %+v", crd.Status.Conditions)
	}
	// Again: it converges, whoever applied the CRD before.
	makeTarget(t, []string{"KUBECONFIG=" + path}, "install")

	makeTarget(t, []string{"KUBECONFIG=" + path}, "uninstall")
	testcluster.Eventually(t, time.Minute, "the CRD gone", func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, key, &apiextensionsv1.CustomResourceDefinition{})
		return apierrors.IsNotFound(err), err
	})
}

// The all-namespaces config, applied under a name prefix of its own (its
// ClusterRole is cluster-wide): its ServiceAccount may reconcile Foremans
// in any namespace, still not exec into pods, and its leader election stays
// in its own namespace. The API server's SubjectAccessReview answers.
func TestTheAllNamespacesConfigGrantsEveryNamespace(t *testing.T) {
	cfg := testcluster.Config(t)
	c := testcluster.Client(t, cfg)
	ns := testcluster.Namespace(t, c, nil)
	elsewhere := testcluster.Namespace(t, c, nil)
	ctx := context.Background()

	dir := t.TempDir()
	prefix := "t" + rand.String(5) + "-"
	if err := os.Symlink(filepath.Join(testrepo.Root(t), "config", "all-namespaces"), filepath.Join(dir, "config")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "overlay"), 0o755); err != nil {
		t.Fatal(err)
	}
	overlay := fmt.Sprintf("resources:\n- ../config\nnamespace: %s\nnamePrefix: %s\n", ns, prefix)
	if err := os.WriteFile(filepath.Join(dir, "overlay", "kustomization.yaml"), []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := bundle.Kustomize(kubectl(t), filepath.Join(dir, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	var sa string
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			continue // no pod needed: the grants are what is tested
		}
		if o.GetKind() == "ServiceAccount" {
			sa = o.GetName()
		}
		o := o
		if err := c.Patch(ctx, o, client.Apply, client.ForceOwnership, client.FieldOwner("install-test")); err != nil {
			t.Fatalf("Apply %s %s: %v", o.GetKind(), o.GetName(), err)
		}
		if o.GetNamespace() == "" {
			t.Cleanup(func() { _ = c.Delete(context.Background(), o) })
		}
	}
	user := "system:serviceaccount:" + ns + ":" + sa
	can := func(namespace, group, resource, sub, verb string) bool {
		t.Helper()
		r := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: namespace, Group: group, Resource: resource,
				Subresource: sub, Verb: verb},
		}}
		if err := c.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r.Status.Allowed
	}
	for _, ok := range []struct {
		ns, group, resource, sub, verb string
		want                           bool
	}{
		{elsewhere, "app.theforeman.org", "foremen", "", "watch", true},
		{elsewhere, "app.theforeman.org", "foremen", "status", "patch", true},
		{elsewhere, "apps", "deployments", "", "create", true},
		{"", "app.theforeman.org", "foremen", "", "list", true}, // the cluster-wide informer
		{elsewhere, "", "pods", "exec", "create", false},
		{elsewhere, "", "persistentvolumeclaims", "", "delete", false}, // claims hold data
		{elsewhere, "", "secrets", "", "update", false},
		{elsewhere, "coordination.k8s.io", "leases", "", "update", false},
		{ns, "coordination.k8s.io", "leases", "", "update", true},
	} {
		if got := can(ok.ns, ok.group, ok.resource, ok.sub, ok.verb); got != ok.want {
			t.Errorf("%s %s/%s %s in %q: allowed %v, want %v", ok.verb, ok.group, ok.resource, ok.sub, ok.ns, got, ok.want)
		}
	}
}
