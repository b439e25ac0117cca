package crd_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// allInOne is what the API server stores for an empty spec: an all-in-one
// Foreman with a managed PostgreSQL and Valkey. Version is the default the
// operator release pins; bump it here with the +kubebuilder:default marker.
var allInOne = appv1alpha1.ForemanSpec{
	Version:             "3.16",
	Admin:               appv1alpha1.AdminSpec{Username: "admin"},
	InitialOrganization: "Default Organization",
	InitialLocation:     "Default Location",
	DynflowWorkers:      ptr.To[int32](1),
	Database: appv1alpha1.DatabaseSpec{
		Mode:    "managed",
		Managed: &appv1alpha1.ManagedDatabase{StorageSize: ptr.To(resource.MustParse("10Gi"))},
	},
	Redis:   appv1alpha1.RedisSpec{Mode: "managed"},
	Ingress: appv1alpha1.IngressSpec{Type: "auto"},
}

func TestAnEmptySpecGetsTheAllInOneDefaults(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	for _, tc := range []struct {
		name string
		cr   string
		spec string
	}{
		{name: "A CR without a spec is an all-in-one Foreman", cr: "no-spec", spec: ""},
		{name: "A CR with spec {} is an all-in-one Foreman", cr: "empty-spec", spec: "{}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := foreman(t, ns, tc.cr, tc.spec)
			if err := c.Create(context.Background(), f); err != nil {
				t.Fatalf("The API server refused an empty spec: %v", err)
			}
			got := get(t, c, ns, f.GetName())
			if diff := cmp.Diff(allInOne, got.Spec, cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })); diff != "" {
				t.Errorf("The defaulted spec is not the all-in-one one (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultsFillInWhatAnExternalDatabaseLeavesOut(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	f := foreman(t, ns, "external", `
database:
  mode: external
  external:
    host: db.example.com
    credentials_secret: {name: foreman-db}
`)
	if err := c.Create(context.Background(), f); err != nil {
		t.Fatalf("The API server refused an external database: %v", err)
	}
	got := get(t, c, ns, f.GetName()).Spec.Database.External
	want := &appv1alpha1.ExternalDatabase{
		Host: "db.example.com",
		Port: 5432,
		Name: "foreman",
		CredentialsSecret: appv1alpha1.CredentialsSecret{
			Name: "foreman-db", UsernameKey: "username", PasswordKey: "password",
		},
		SSLMode: "prefer",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("The defaulted external database differs (-want +got):\n%s", diff)
	}
}
