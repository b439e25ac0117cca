package crd_test

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

func TestTheCRDIsEstablishedStructuralAndHasAStatusSubresource(t *testing.T) {
	c := strictClient(t)
	var crd apiextensionsv1.CustomResourceDefinition
	if err := c.Get(context.Background(), client.ObjectKey{Name: "foremen.app.theforeman.org"}, &crd); err != nil {
		t.Fatalf("Get the Foreman CRD: %v", err)
	}
	conditions := map[apiextensionsv1.CustomResourceDefinitionConditionType]apiextensionsv1.ConditionStatus{}
	for _, cond := range crd.Status.Conditions {
		conditions[cond.Type] = cond.Status
	}
	if conditions[apiextensionsv1.Established] != apiextensionsv1.ConditionTrue {
		t.Errorf("The CRD is not Established: %+v", crd.Status.Conditions)
	}
	if s, ok := conditions[apiextensionsv1.NonStructuralSchema]; ok && s == apiextensionsv1.ConditionTrue {
		t.Errorf("The CRD's schema is not structural: %+v", crd.Status.Conditions)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Subresources == nil || crd.Spec.Versions[0].Subresources.Status == nil {
		t.Errorf("The CRD's version has no status subresource: %+v", crd.Spec.Versions)
	}
}

// kubectl get foremen shows Ready, Version, URL and Age, filled from the
// status the Go status reporter writes through the status subresource.
func TestKubectlGetShowsReadyVersionURLAndAge(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	ctx := context.Background()
	f := foreman(t, ns, "columns", "")
	if err := c.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	typed := get(t, c, ns, "columns")
	typed.Status = appv1alpha1.ForemanStatus{
		Conditions: []appv1alpha1.Condition{
			{Type: "Ready", Status: metav1.ConditionTrue, Reason: "AllComponentsReady", LastTransitionTime: metav1.Now()},
			{Type: "Degraded", Status: metav1.ConditionFalse, Reason: "AllComponentsReady", LastTransitionTime: metav1.Now()},
		},
		Version: "3.16",
		URL:     "https://columns.example.com",
	}
	if err := c.Status().Update(ctx, typed); err != nil {
		t.Fatalf("Update the status through its subresource: %v", err)
	}

	table := serverTable(t, ns)
	var columns []string
	for _, col := range table.ColumnDefinitions {
		columns = append(columns, col.Name)
	}
	if diff := cmp.Diff([]string{"Name", "Ready", "Version", "URL", "Age"}, columns); diff != "" {
		t.Errorf("Columns of kubectl get foremen (-want +got):\n%s", diff)
	}
	if len(table.Rows) != 1 {
		t.Fatalf("kubectl get foremen shows %d rows, want 1", len(table.Rows))
	}
	cells := table.Rows[0].Cells
	if len(cells) != 5 {
		t.Fatalf("The row has %d cells, want 5: %v", len(cells), cells)
	}
	if diff := cmp.Diff([]any{"columns", "True", "3.16", "https://columns.example.com"}, cells[:4]); diff != "" {
		t.Errorf("Cells of kubectl get foremen (-want +got):\n%s", diff)
	}
}

// serverTable asks the API server for the table kubectl prints of foremen.
func serverTable(t *testing.T, ns string) *metav1.Table {
	t.Helper()
	return serverTableOf(t, ns, "foremen")
}

// serverTableOf asks the API server for the table kubectl prints of a
// resource.
func serverTableOf(t *testing.T, ns, resource string) *metav1.Table {
	t.Helper()
	cfg := rest.CopyConfig(config(t))
	cfg.GroupVersion = &appv1alpha1.GroupVersion
	cfg.APIPath = "/apis"
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	rc, err := rest.RESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rc.Get().Namespace(ns).Resource(resource).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		DoRaw(context.Background())
	if err != nil {
		t.Fatalf("Get the table of %s: %v", resource, err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatalf("Parse the table of %s: %v\n%s", resource, err, raw)
	}
	return &table
}

// What the README and `make demo` do: kubectl applies the CRD server-side
// (it is too large for client-side apply) and the samples' kustomization.
func TestKubectlAppliesTheCRDAndTheSamples(t *testing.T) {
	c := strictClient(t)
	ctx := context.Background()
	for _, name := range []string{"foreman", "foreman-proxy"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	kubectl := testEnv.ControlPlane.KubeCtl()
	for _, dir := range []string{filepath.Join("..", "..", "config", "crd"), samplesDir} {
		stdout, stderr, err := kubectl.Run("apply", "--server-side", "--field-manager=crd-test", "-k", dir)
		if err != nil {
			out, _ := io.ReadAll(stdout)
			msg, _ := io.ReadAll(stderr)
			t.Fatalf("kubectl apply --server-side -k %s: %v\n%s%s", dir, err, out, msg)
		}
	}
	var list appv1alpha1.ForemanList
	if err := c.List(ctx, &list, client.InNamespace("foreman")); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range list.Items {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"foreman-external-db", "foreman-tls", "foreman-transitional", "myforeman"}, names); diff != "" {
		t.Errorf("Foremen in namespace foreman after applying the samples (-want +got):\n%s", diff)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "foreman-proxy", Name: "proxy"}, &appv1alpha1.SmartProxy{}); err != nil {
		t.Errorf("The SmartProxy sample after applying the samples: %v", err)
	}
}
