package crd_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// smartProxy builds a SmartProxy named name in ns from the YAML of its
// spec, sent to the API server exactly as written.
func smartProxy(t *testing.T, ns, name, specYAML string) *unstructured.Unstructured {
	t.Helper()
	var spec map[string]any
	if err := yaml.Unmarshal([]byte(specYAML), &spec); err != nil {
		t.Fatalf("Parse the spec of %s: %v\n%s", name, err, specYAML)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": appv1alpha1.GroupVersion.String(),
		"kind":       "SmartProxy",
		"metadata":   map[string]any{"name": name, "namespace": ns},
	}}
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

// external is the Foreman part of a valid SmartProxy for a Foreman elsewhere.
const external = `foreman: {url: "https://foreman.example.com", oauth_secret: {name: o}, ca_secret: {name: ca}}`

func TestInvalidSmartProxiesAreRefusedWithAReadableMessage(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	for i, tc := range []struct {
		name string
		kind string // SmartProxy unless Foreman
		spec string
		want []string // substrings of the API server's message
	}{
		{
			name: "A SmartProxy without a Foreman is refused",
			spec: `features: [remote_execution_ssh]`,
			want: []string{"spec.foreman: Required value"},
		},
		{
			name: "A Foreman that is neither named nor at a URL is refused",
			spec: `foreman: {}`,
			want: []string{"spec.foreman", "foreman needs name (a Foreman in this namespace) or url (a Foreman elsewhere), and not both"},
		},
		{
			name: "A Foreman both named and at a URL is refused",
			spec: `foreman: {name: f, url: "https://foreman.example.com", oauth_secret: {name: o}, ca_secret: {name: ca}}`,
			want: []string{"spec.foreman", "and not both"},
		},
		{
			name: "A Foreman URL without its OAuth and CA Secrets is refused",
			spec: `foreman: {url: "https://foreman.example.com"}`,
			want: []string{"spec.foreman", "foreman.url needs oauth_secret", "and ca_secret"},
		},
		{
			name: "A Foreman URL that is not http(s) is refused",
			spec: `foreman: {url: "foreman.example.com", oauth_secret: {name: o}, ca_secret: {name: ca}}`,
			want: []string{"spec.foreman.url", "url must be http(s)://host[:port][/path]"},
		},
		{
			name: "An unknown feature is refused, listing the known ones",
			spec: external + "\nfeatures: [remote_execution_ssh, dhcp]",
			want: []string{"spec.features[1]", `Unsupported value: "dhcp"`, `"remote_execution_ssh"`, `"templates"`},
		},
		{
			name: "A feature named twice is refused",
			spec: external + "\nfeatures: [ansible, ansible]",
			want: []string{"spec.features[1]", `Duplicate value: "ansible"`},
		},
		{
			name: "No feature at all is refused",
			spec: external + "\nfeatures: []",
			want: []string{"spec.features", "should have at least 1 items"},
		},
		{
			name: "Two replicas are refused: remote execution's state is in the process",
			spec: external + "\nreplicas: 2",
			want: []string{"spec.replicas", "a Smart Proxy runs one replica (0 stops it)"},
		},
		{
			name: "A load balancer without a hostname is refused",
			spec: external + "\ningress: {type: loadbalancer}",
			want: []string{"spec.hostname", "ingress.type loadbalancer, nodeport, ingress and route need hostname"},
		},
		{
			name: "An unknown exposure is refused",
			spec: external + "\nhostname: proxy.example.com\ningress: {type: gateway}",
			want: []string{"spec.ingress.type", `Unsupported value: "gateway"`},
		},
		{
			name: "A Foreman's external Smart Proxy with features for a child is refused",
			kind: "Foreman",
			spec: `{plugins: {remote_execution: true}, smart_proxy: {external: true, features: [templates]}}`,
			want: []string{"spec.smart_proxy.features", "with smart_proxy.external true it makes none"},
		},
		{
			name: "A Foreman's child with an unknown feature is refused",
			kind: "Foreman",
			spec: `{smart_proxy: {features: [puppetca]}}`,
			want: []string{"spec.smart_proxy.features[0]", `Unsupported value: "puppetca"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := smartProxy(t, ns, fmt.Sprintf("invalid-%d", i), tc.spec)
			if tc.kind == "Foreman" {
				obj = foreman(t, ns, fmt.Sprintf("invalid-%d", i), tc.spec)
			}
			err := c.Create(context.Background(), obj)
			if err == nil {
				t.Fatalf("The API server accepted spec %s", tc.spec)
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Fatalf("The API server refused spec %s for another reason than validation: %v", tc.spec, err)
			}
			t.Logf("Refused: %v", err)
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("The message does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestASmartProxyBesideItsForemanGetsTheDefaults(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	if err := c.Create(context.Background(), smartProxy(t, ns, "beside", `foreman: {name: myforeman}`)); err != nil {
		t.Fatalf("The API server refused a SmartProxy naming its Foreman: %v", err)
	}
	var got appv1alpha1.SmartProxy
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "beside"}, &got); err != nil {
		t.Fatal(err)
	}
	want := appv1alpha1.SmartProxySpec{
		Foreman:  appv1alpha1.ForemanRef{Name: "myforeman"},
		Features: []string{"remote_execution_ssh"},
		Version:  "3.16",
		Ingress:  appv1alpha1.SmartProxyIngress{Type: "none"},
	}
	if diff := cmp.Diff(want, got.Spec); diff != "" {
		t.Errorf("The defaulted spec (-want +got):\n%s", diff)
	}
}

// kubectl get smartproxies shows Ready, Registered, Foreman and Age, and
// with -o wide the proxy's URL and features.
func TestKubectlGetShowsReadyRegisteredAndForeman(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	ctx := context.Background()
	if err := c.Create(ctx, smartProxy(t, ns, "columns", external)); err != nil {
		t.Fatal(err)
	}
	var sp appv1alpha1.SmartProxy
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "columns"}, &sp); err != nil {
		t.Fatal(err)
	}
	sp.Status = appv1alpha1.SmartProxyStatus{
		Conditions: []appv1alpha1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "AllComponentsReady", LastTransitionTime: metav1.Now()}},
		Registered: true, ForemanURL: "https://foreman.example.com", URL: "https://columns.example.com:8443",
		Features: []string{"dynflow", "remote_execution_ssh"},
	}
	if err := c.Status().Update(ctx, &sp); err != nil {
		t.Fatalf("Update the status through its subresource: %v", err)
	}
	table := serverTableOf(t, ns, "smartproxies")
	var columns []string
	for _, col := range table.ColumnDefinitions {
		columns = append(columns, fmt.Sprintf("%s/%d", col.Name, col.Priority))
	}
	if diff := cmp.Diff([]string{"Name/0", "Ready/0", "Registered/0", "Foreman/0", "URL/1", "Features/1", "Age/0"}, columns); diff != "" {
		t.Errorf("Columns (name/priority) of kubectl get smartproxies (-want +got):\n%s", diff)
	}
	if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 7 {
		t.Fatalf("kubectl get smartproxies rows %+v, want one of 7 cells", table.Rows)
	}
	if diff := cmp.Diff([]any{"columns", "True", true, "https://foreman.example.com", "https://columns.example.com:8443"},
		table.Rows[0].Cells[:5]); diff != "" {
		t.Errorf("Cells of kubectl get smartproxies (-want +got):\n%s", diff)
	}
}
