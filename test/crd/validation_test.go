package crd_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const knownPlugins = "the known plugins are ansible, bootdisk, discovery, katello, openscap, puppet, remote_execution, rh_cloud, templates and webhooks"

func TestInvalidForemenAreRefusedWithAReadableMessage(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	for i, tc := range []struct {
		name string
		spec string
		want []string // substrings of the API server's message
	}{
		{
			name: "Negative dynflow_workers are refused",
			spec: `dynflow_workers: -1`,
			want: []string{"spec.dynflow_workers", "should be greater than or equal to 0"},
		},
		{
			name: "More than 100 Dynflow workers are refused",
			spec: `dynflow_workers: 101`,
			want: []string{"spec.dynflow_workers", "should be less than or equal to 100"},
		},
		{
			name: "An unknown plugin is refused, naming it and listing the known ones",
			spec: `plugins: {remote_execution: true, foreman_bogus: true}`,
			want: []string{"spec.plugins", "unknown plugin foreman_bogus: " + knownPlugins},
		},
		{
			name: "ansible with remote_execution set to false is refused",
			spec: `plugins: {ansible: true, remote_execution: false}`,
			want: []string{"spec.plugins", "ansible needs remote_execution, which is set to false"},
		},
		{
			name: "openscap with ansible set to false is refused",
			spec: `plugins: {openscap: true, ansible: false}`,
			want: []string{"spec.plugins", "openscap needs ansible, which is set to false"},
		},
		{
			name: "rh_cloud with katello set to false is refused",
			spec: `plugins: {rh_cloud: true, katello: false}`,
			want: []string{"spec.plugins", "rh_cloud needs katello and ansible"},
		},
		{
			name: "An external database mode without the external database is refused",
			spec: `database: {mode: external}`,
			want: []string{"spec.database", "database.mode external needs database.external with host and credentials_secret"},
		},
		{
			name: "An external database without credentials_secret is refused",
			spec: `database: {mode: external, external: {host: db.example.com}}`,
			want: []string{"spec.database.external.credentials_secret: Required value"},
		},
		{
			name: "An external database without host is refused",
			spec: `database: {mode: external, external: {credentials_secret: {name: foreman-db}}}`,
			want: []string{"spec.database.external.host: Required value"},
		},
		{
			name: "sslmode verify-full without ca_secret is refused",
			spec: `database: {mode: external, external: {host: db.example.com, credentials_secret: {name: foreman-db}, sslmode: verify-full}}`,
			want: []string{"spec.database.external", "sslmode verify-ca and verify-full need ca_secret"},
		},
		{
			name: "An unknown sslmode is refused, listing the known ones",
			spec: `database: {mode: external, external: {host: db.example.com, credentials_secret: {name: foreman-db}, sslmode: strict}}`,
			want: []string{"spec.database.external.sslmode", `Unsupported value: "strict"`, `"verify-full"`},
		},
		{
			name: "An external database port above 65535 is refused",
			spec: `database: {mode: external, external: {host: db.example.com, port: 65536, credentials_secret: {name: foreman-db}}}`,
			want: []string{"spec.database.external.port", "should be less than or equal to 65535"},
		},
		{
			name: "A second replica of the managed PostgreSQL is refused",
			spec: `database: {managed: {replicas: 2}}`,
			want: []string{"spec.database.managed.replicas", "the managed PostgreSQL runs one replica"},
		},
		{
			name: "A version that is neither X.Y nor nightly is refused",
			spec: `version: "3.16.1"`,
			want: []string{"spec.version", "version must be a Foreman release stream such as 3.16, or nightly"},
		},
		{
			name: "A hostname with capitals and an underscore is refused",
			spec: `hostname: Foreman_1.example.com`,
			want: []string{"spec.hostname", "hostname must be a lower-case DNS name such as foreman.example.com"},
		},
		{
			name: "An unknown ingress type is refused, listing the known ones",
			spec: `ingress: {type: gateway}`,
			want: []string{"spec.ingress.type", `Unsupported value: "gateway"`, `"auto", "none", "ingress", "route", "loadbalancer", "nodeport"`},
		},
		{
			name: "An external Redis URL with a database path is refused",
			spec: `redis: {mode: external, external: {url: "redis://redis.example.com:6379/2"}}`,
			want: []string{"spec.redis.external.url", "without a database path"},
		},
		{
			name: "An external Redis URL of another scheme is refused",
			spec: `redis: {mode: external, external: {url: "http://redis.example.com:6379"}}`,
			want: []string{"spec.redis.external.url", "url must be redis://host[:port] or rediss://host[:port]"},
		},
		{
			name: "An external Redis mode without the external Redis is refused",
			spec: `redis: {mode: external}`,
			want: []string{"spec.redis", "redis.mode external needs redis.external with url"},
		},
		{
			name: "A second replica of the managed Valkey is refused",
			spec: `redis: {managed: {replicas: 2}}`,
			want: []string{"spec.redis.managed.replicas", "the managed Valkey runs one replica"},
		},
		{
			name: "Negative replicas of the web Deployment are refused",
			spec: `web: {replicas: -1}`,
			want: []string{"spec.web.replicas", "should be greater than or equal to 0"},
		},
		{
			name: "Dynflow replicas are refused in favour of dynflow_workers",
			spec: `dynflow: {replicas: 3}`,
			want: []string{"spec.dynflow.replicas", "dynflow.replicas is not used: set dynflow_workers"},
		},
		{
			name: "An empty admin username is refused",
			spec: `admin: {username: ""}`,
			want: []string{"spec.admin.username", "should be at least 1 chars long"},
		},
		{
			name: "A camelCase field is refused as unknown under strict validation",
			spec: `dynflowWorkers: 2`,
			want: []string{`unknown field "spec.dynflowWorkers"`},
		},
		{
			name: "A Kubernetes-style camelCase component field is refused as unknown under strict validation",
			spec: `web: {nodeSelector: {disk: ssd}}`,
			want: []string{`unknown field "spec.web.nodeSelector"`},
		},
		{
			name: "An external Candlepin mode without the external Candlepin is refused",
			spec: `candlepin: {mode: external}`,
			want: []string{"spec.candlepin", "candlepin.mode external needs candlepin.external with url and credentials_secret"},
		},
		{
			name: "A second Candlepin replica is refused",
			spec: `candlepin: {managed: {replicas: 2}}`,
			want: []string{"spec.candlepin.managed.replicas", "Candlepin runs one replica"},
		},
		{
			name: "An external Candlepin URL over plain HTTP is refused",
			spec: `candlepin: {mode: external, external: {url: "http://old.example.com:23443/candlepin", credentials_secret: {name: cp}}}`,
			want: []string{"spec.candlepin.external.url", "url must be https://host[:port]/path"},
		},
		{
			name: "An external Pulp mode without the external Pulp is refused",
			spec: `pulp: {mode: external}`,
			want: []string{"spec.pulp", "pulp.mode external needs pulp.external with url"},
		},
		{
			name: "An external Pulp URL with a path is refused",
			spec: `pulp: {mode: external, external: {url: "https://old.example.com/pulp/api/v3"}}`,
			want: []string{"spec.pulp.external.url", "url must be https://host[:port], without a path"},
		},
		{
			name: "Object storage without its Secret is refused",
			spec: `pulp: {managed: {storage: {type: object}}}`,
			want: []string{"spec.pulp.managed.storage", "storage.type object needs object_storage_secret"},
		},
		{
			name: "An unknown Pulp storage access mode is refused",
			spec: `pulp: {managed: {storage: {access_mode: ReadOnlyMany}}}`,
			want: []string{"spec.pulp.managed.storage.access_mode", `Unsupported value: "ReadOnlyMany"`},
		},
		{
			name: "Katello on an external database without a database for Candlepin is refused",
			spec: `{plugins: {katello: true}, database: {mode: external, external: {host: db.example.com, credentials_secret: {name: db}}},
			        pulp: {mode: external, external: {url: "https://old.example.com"}}}`,
			want: []string{"spec.candlepin", "katello with database.mode external needs candlepin.managed.database or candlepin.mode external"},
		},
		{
			name: "rh_cloud (which turns Katello on) on an external database without a database for Pulp is refused",
			spec: `{plugins: {rh_cloud: true}, database: {mode: external, external: {host: db.example.com, credentials_secret: {name: db}}},
			        candlepin: {mode: external, external: {url: "https://old.example.com:23443/candlepin", credentials_secret: {name: cp}}}}`,
			want: []string{"spec.pulp", "katello with database.mode external needs pulp.managed.database or pulp.mode external"},
		},
		{
			name: "A Candlepin database without a host is refused while the Foreman database is managed",
			spec: `candlepin: {managed: {database: {credentials_secret: {name: cp-db}}}}`,
			want: []string{"spec.candlepin.managed.database.host", "candlepin.managed.database.host is required unless database.mode is external"},
		},
		{
			name: "A Pulp database without a host is refused while the Foreman database is managed",
			spec: `pulp: {managed: {database: {credentials_secret: {name: pulp-db}}}}`,
			want: []string{"spec.pulp.managed.database.host", "pulp.managed.database.host is required unless database.mode is external"},
		},
		{
			name: "A memory limit that is not a quantity is refused",
			spec: `web: {resources: {limits: {memory: lots}}}`,
			want: []string{"spec.web.resources.limits.memory", `Invalid value: "lots"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := foreman(t, ns, fmt.Sprintf("invalid-%d", i), tc.spec)
			err := c.Create(context.Background(), f)
			if err == nil {
				t.Fatalf("The API server accepted spec %s", tc.spec)
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Fatalf("The API server refused spec %s for another reason than validation: %v", tc.spec, err)
			}
			t.Logf("Refused: %v", err) // go test -v shows what a user reads
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("The message does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

// An unknown plugin is a map key, not an unknown field: the CEL rule on the
// map refuses it whatever field validation the client asks for, while an
// unknown field (the control) passes a lax client and is pruned.
func TestAnUnknownPluginIsRefusedWithoutStrictValidation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		validation string
	}{
		{name: "A client that asks for nothing gets the server's default", validation: ""},
		{name: "A client that asks to ignore unknown fields", validation: metav1.FieldValidationIgnore},
		{name: "A client that asks for warnings", validation: metav1.FieldValidationWarn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.validation)
			ns := namespace(t, c)

			control := foreman(t, ns, "unknown-field", `{dynflowWorkers: 2}`)
			if err := c.Create(context.Background(), control); err != nil {
				t.Fatalf("The control case, an unknown field, was refused too, so this client validates strictly: %v", err)
			}
			if got := get(t, c, ns, "unknown-field").Spec.DynflowWorkers; got == nil || *got != 1 {
				t.Errorf("dynflow_workers of the control case = %v, want the default 1 (the unknown field pruned)", got)
			}

			f := foreman(t, ns, "unknown-plugin", `plugins: {foreman_bogus: true}`)
			err := c.Create(context.Background(), f)
			if err == nil {
				t.Fatal("The API server accepted an unknown plugin from a lax client")
			}
			if want := "unknown plugin foreman_bogus: " + knownPlugins; !strings.Contains(err.Error(), want) {
				t.Errorf("The message does not say %q:\n%v", want, err)
			}
		})
	}
}
