package extravars

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from Build's output")

// object decodes a CR written as YAML the way the API machinery does, so that
// integers are int64 as in a CR fetched from the cluster.
func object(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("convert test object to JSON: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("decode test object: %v", err)
	}
	return u
}

func unsafe(s string) map[string]any { return map[string]any{UnsafeKey: s} }

const foremanCR = `
apiVersion: app.theforeman.org/v1alpha1
kind: Foreman
metadata:
  name: foreman
  namespace: foreman
  generation: 3
  uid: 1b4e28ba-2fa1-11d2-883f-0016d3cca427
spec:
  dynflow_workers: 2
  plugins:
    katello: true
    remote_execution: true
`

const camelCR = `
apiVersion: app.theforeman.org/v1alpha1
kind: Foreman
metadata:
  name: camel
  namespace: foreman
spec:
  dynflowWorkers: 3
  adminUser: admin
  externalIPs: [192.0.2.10, 192.0.2.11]
  smartProxies:
  - proxyName: tftp
    listenURL: https://tftp.example.com:8443
    featureFlags: [tftp, dhcp]
    extraEnv:
    - envName: PROXY_LOG_LEVEL
      envValue: debug
  nestedLists:
  - - cellValue: a1
  - []
`

const templatedCR = `
apiVersion: app.theforeman.org/v1alpha1
kind: Foreman
metadata:
  name: templated
  namespace: foreman
  labels:
    app.kubernetes.io/name: foreman
spec:
  motd: "{{ lookup('pipe', 'id') }}"
  dynflowWorkers: 2
  debugEnabled: false
  proxyRef: null
  banners:
  - text: "{{ hostvars }}"
    priority: 1
  - plain
  settings:
    outerMap:
      innerText: "{% raw %}{{ x }}{% endraw %}"
      innerList: ["{{ omit }}", 2.5, true]
  emptyList: []
status:
  phase: Ready
`

const cacheCR = `
apiVersion: cache.example.com/v1alpha1
kind: Memcached
metadata:
  name: memcached
  namespace: default
spec:
  size: 3
  image: memcached:1.6
`

const secretObject = `
apiVersion: v1
kind: Secret
metadata:
  name: foreman-db
  namespace: foreman
type: Opaque
data:
  password: cGFzc3dvcmQ=
`

const noSpecCR = `
apiVersion: app.theforeman.org/v1alpha1
kind: ForemanProxy
metadata:
  name: bare
  namespace: foreman
`

func TestBuildGolden(t *testing.T) {
	tests := []struct {
		golden string
		in     Input
	}{
		{"foreman", Input{Object: object(t, foremanCR), SnakeCase: true, MarkUnsafe: true}},
		{"camelcase_nested_lists", Input{Object: object(t, camelCR), SnakeCase: true}},
		{"mark_unsafe_on", Input{Object: object(t, templatedCR), SnakeCase: true, MarkUnsafe: true}},
		{"mark_unsafe_off", Input{Object: object(t, templatedCR), SnakeCase: true}},
		{"watch_vars_override_spec", Input{
			Object:    object(t, cacheCR),
			SnakeCase: true, MarkUnsafe: true,
			WatchVars: map[string]any{"image": "quay.io/example/memcached:1.6.38", "state": "present"},
		}},
		{"finalizer_not_deleting", Input{
			Object:        object(t, cacheCR),
			SnakeCase:     true,
			WatchVars:     map[string]any{"state": "present"},
			FinalizerVars: map[string]any{"state": "absent", "cleanup": true},
		}},
		{"finalizer_deleting", Input{
			Object:        object(t, cacheCR),
			SnakeCase:     true,
			WatchVars:     map[string]any{"state": "present"},
			FinalizerVars: map[string]any{"state": "absent", "cleanup": true},
			Deleting:      true,
		}},
		{"core_secret", Input{Object: object(t, secretObject), SnakeCase: true, MarkUnsafe: true}},
		{"no_spec", Input{Object: object(t, noSpecCR), SnakeCase: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			vars, err := Build(tt.in)
			if err != nil {
				t.Fatalf("Build() error: %v", err)
			}
			got, err := json.MarshalIndent(vars, "", "  ")
			if err != nil {
				t.Fatalf("marshal extra vars: %v", err)
			}
			got = append(got, '\n')

			path := filepath.Join("testdata", tt.golden+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatalf("update golden file: %v", err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create it): %v", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("extra vars differ from %s (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
			}
		})
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		// want holds the expected value of each listed top-level variable.
		want map[string]any
		// absent lists top-level variables that must not be set.
		absent []string
	}{
		{
			name:   "spec keys become variables as written when snakeCase is off",
			in:     Input{Object: object(t, camelCR)},
			want:   map[string]any{"dynflowWorkers": int64(3), "adminUser": "admin"},
			absent: []string{"dynflow_workers", "admin_user"},
		},
		{
			name:   "spec keys are snake_cased when snakeCase is on",
			in:     Input{Object: object(t, camelCR), SnakeCase: true},
			want:   map[string]any{"dynflow_workers": int64(3), "external_ips": []any{"192.0.2.10", "192.0.2.11"}},
			absent: []string{"dynflowWorkers", "externalIPs"},
		},
		{
			name: "the meta holds only the name and the namespace",
			in:   Input{Object: object(t, foremanCR)},
			want: map[string]any{MetaKey: map[string]any{"name": "foreman", "namespace": "foreman"}},
		},
		{
			name: "a cluster-scoped object has an empty namespace in the meta",
			in: Input{Object: object(t, `
apiVersion: app.theforeman.org/v1alpha1
kind: Foreman
metadata: {name: global}
spec: {}`)},
			want: map[string]any{MetaKey: map[string]any{"name": "global", "namespace": ""}},
		},
		{
			name: "the object variable holds the whole object unconverted",
			in:   Input{Object: object(t, cacheCR), SnakeCase: true},
			want: map[string]any{"_cache_example_com_memcached": map[string]any{
				"apiVersion": "cache.example.com/v1alpha1",
				"kind":       "Memcached",
				"metadata":   map[string]any{"name": "memcached", "namespace": "default"},
				"spec":       map[string]any{"size": int64(3), "image": "memcached:1.6"},
			}},
		},
		{
			name: "the spec variable holds the spec unconverted",
			in:   Input{Object: object(t, camelCR), SnakeCase: true},
			want: map[string]any{"_app_theforeman_org_foreman_spec": object(t, camelCR).Object["spec"]},
		},
		{
			name: "dashes in the group become underscores",
			in: Input{Object: object(t, `
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: ca}
spec: {ca: {secretName: root}}`)},
			want: map[string]any{"_cert_manager_io_clusterissuer_spec": map[string]any{"ca": map[string]any{"secretName": "root"}}},
		},
		{
			name:   "a core-group object gets a double underscore and an empty spec",
			in:     Input{Object: object(t, secretObject)},
			want:   map[string]any{"__secret_spec": map[string]any{}},
			absent: []string{"data", "type"},
		},
		{
			name: "a spec that is not a map counts as an empty spec",
			in: Input{Object: object(t, `
apiVersion: app.theforeman.org/v1alpha1
kind: Foreman
metadata: {name: odd, namespace: foreman}
spec: [not, a, map]`)},
			want: map[string]any{
				"_app_theforeman_org_foreman_spec": map[string]any{},
				"_app_theforeman_org_foreman": map[string]any{
					"apiVersion": "app.theforeman.org/v1alpha1",
					"kind":       "Foreman",
					"metadata":   map[string]any{"name": "odd", "namespace": "foreman"},
					"spec":       map[string]any{},
				},
			},
		},
		{
			name: "a watch var overrides a spec key",
			in:   Input{Object: object(t, cacheCR), WatchVars: map[string]any{"size": int64(1)}},
			want: map[string]any{"size": int64(1), "image": "memcached:1.6"},
		},
		{
			name: "a watch var overrides even the CR's own variables, as upstream",
			in:   Input{Object: object(t, cacheCR), WatchVars: map[string]any{"_cache_example_com_memcached_spec": "watch"}},
			want: map[string]any{"_cache_example_com_memcached_spec": "watch"},
		},
		{
			name:   "finalizer vars are ignored when the CR is not being deleted",
			in:     Input{Object: object(t, cacheCR), FinalizerVars: map[string]any{"state": "absent", "size": int64(0)}},
			want:   map[string]any{"size": int64(3)},
			absent: []string{"state"},
		},
		{
			name: "finalizer vars override spec keys and watch vars when the CR is being deleted",
			in: Input{
				Object:        object(t, cacheCR),
				WatchVars:     map[string]any{"state": "present", "image": "watch"},
				FinalizerVars: map[string]any{"state": "absent", "size": int64(0)},
				Deleting:      true,
			},
			want: map[string]any{"state": "absent", "size": int64(0), "image": "watch"},
		},
		{
			name: "markUnsafe wraps the spec's strings but not the meta or the watch vars",
			in: Input{
				Object:     object(t, cacheCR),
				MarkUnsafe: true,
				WatchVars:  map[string]any{"state": "present"},
			},
			want: map[string]any{
				"image":                             unsafe("memcached:1.6"),
				"size":                              int64(3),
				MetaKey:                             map[string]any{"name": "memcached", "namespace": "default"},
				"state":                             "present",
				"_cache_example_com_memcached_spec": map[string]any{"size": int64(3), "image": unsafe("memcached:1.6")},
			},
		},
		{
			name: "markUnsafe does not wrap the finalizer vars",
			in: Input{
				Object: object(t, cacheCR), MarkUnsafe: true,
				FinalizerVars: map[string]any{"state": "absent"}, Deleting: true,
			},
			want: map[string]any{"state": "absent"},
		},
		{
			name: "markUnsafe wraps strings deep in lists and maps and leaves other values alone",
			in:   Input{Object: object(t, templatedCR), SnakeCase: true, MarkUnsafe: true},
			want: map[string]any{
				"banners": []any{
					map[string]any{"text": unsafe("{{ hostvars }}"), "priority": int64(1)},
					unsafe("plain"),
				},
				"settings": map[string]any{"outer_map": map[string]any{
					"inner_text": unsafe("{% raw %}{{ x }}{% endraw %}"),
					"inner_list": []any{unsafe("{{ omit }}"), 2.5, true},
				}},
				"debug_enabled": false,
				"proxy_ref":     nil,
				"empty_list":    []any{},
			},
		},
		{
			name: "markUnsafe wraps every string of the object variable, metadata included",
			in:   Input{Object: object(t, cacheCR), MarkUnsafe: true},
			want: map[string]any{"_cache_example_com_memcached": map[string]any{
				"apiVersion": unsafe("cache.example.com/v1alpha1"),
				"kind":       unsafe("Memcached"),
				"metadata":   map[string]any{"name": unsafe("memcached"), "namespace": unsafe("default")},
				"spec":       map[string]any{"size": int64(3), "image": unsafe("memcached:1.6")},
			}},
		},
		{
			name: "markUnsafe wraps string maps and lists a Go caller built",
			in: Input{Object: &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "app.theforeman.org/v1alpha1",
				"kind":       "Foreman",
				"spec": map[string]any{
					"labels": map[string]string{"tier": "{{ x }}"},
					"hosts":  []string{"{{ y }}"},
				},
			}}, MarkUnsafe: true},
			want: map[string]any{
				"labels": map[string]any{"tier": unsafe("{{ x }}")},
				"hosts":  []any{unsafe("{{ y }}")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Build(tt.in)
			if err != nil {
				t.Fatalf("Build() error: %v", err)
			}
			for k, want := range tt.want {
				v, ok := got[k]
				if !ok {
					t.Errorf("variable %q is missing", k)
					continue
				}
				if diff := cmp.Diff(want, v); diff != "" {
					t.Errorf("variable %q mismatch (-want +got):\n%s", k, diff)
				}
			}
			for _, k := range tt.absent {
				if v, ok := got[k]; ok {
					t.Errorf("variable %q is set to %v, want it absent", k, v)
				}
			}
		})
	}
}

func TestBuildNeitherChangesNorSharesTheObject(t *testing.T) {
	for _, markUnsafe := range []bool{false, true} {
		for _, snakeCase := range []bool{false, true} {
			u := object(t, templatedCR)
			before := runtime.DeepCopyJSON(u.Object)
			watchVars := map[string]any{"shared": map[string]any{"k": "v"}}
			vars, err := Build(Input{Object: u, SnakeCase: snakeCase, MarkUnsafe: markUnsafe, WatchVars: watchVars})
			if err != nil {
				t.Fatalf("Build() error: %v", err)
			}
			scribble(vars)
			if diff := cmp.Diff(before, u.Object); diff != "" {
				t.Errorf("snakeCase=%t markUnsafe=%t: the object changed through the extra vars (-before +after):\n%s",
					snakeCase, markUnsafe, diff)
			}
			if diff := cmp.Diff(map[string]any{"shared": map[string]any{"k": "v"}}, watchVars); diff != "" {
				t.Errorf("snakeCase=%t markUnsafe=%t: the watch vars changed through the extra vars (-before +after):\n%s",
					snakeCase, markUnsafe, diff)
			}
		}
	}
}

// scribble overwrites every map entry and list element it can reach.
func scribble(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			scribble(e)
			v[k] = "scribbled"
		}
		v["added"] = true
	case []any:
		for i, e := range v {
			scribble(e)
			v[i] = "scribbled"
		}
	}
}

func TestBuildRejectsUnusableInput(t *testing.T) {
	tests := []struct {
		name string
		in   Input
	}{
		{"an input without an object is an error", Input{}},
		{"an object without a kind is an error", Input{Object: &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "metadata": map[string]any{"name": "x"},
		}}}},
		{"an object with a malformed apiVersion is an error", Input{Object: &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "a/b/c", "kind": "Foo",
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, err := Build(tt.in)
			if err == nil {
				t.Fatalf("Build() = %v, want an error", vars)
			}
			var rke *ReservedKeyError
			if errors.As(err, &rke) {
				t.Errorf("Build() error = %v, want an error other than a reserved key", err)
			}
			if vars != nil {
				t.Errorf("Build() returned vars %v with its error", vars)
			}
		})
	}
}

func TestObjectVar(t *testing.T) {
	tests := []struct {
		name string
		gk   schema.GroupKind
		want string
	}{
		{"a dotted group becomes underscores and the kind is lowercased", schema.GroupKind{Group: "cache.example.com", Kind: "Memcached"}, "_cache_example_com_memcached"},
		{"the core group gives a double underscore", schema.GroupKind{Kind: "Secret"}, "__secret"},
		{"dashes in the group become underscores", schema.GroupKind{Group: "cert-manager.io", Kind: "Certificate"}, "_cert_manager_io_certificate"},
		{"the Foreman group and kind", schema.GroupKind{Group: "app.theforeman.org", Kind: "Foreman"}, "_app_theforeman_org_foreman"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ObjectVar(tt.gk); got != tt.want {
				t.Errorf("ObjectVar(%v) = %q, want %q", tt.gk, got, tt.want)
			}
		})
	}
}
