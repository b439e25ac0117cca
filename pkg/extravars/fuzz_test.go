package extravars

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/theforeman/foreman-operator/pkg/paramconv"
)

// mustRefuse is the fuzz test's own statement of what Build must refuse,
// written from the rules rather than from reservedNames, so that a name dropped
// from that table is caught. It is a subset: Build may refuse more.
func mustRefuse(key string) bool {
	if strings.HasPrefix(key, "ansible_") || strings.HasPrefix(key, "_app_theforeman_org_foreman") {
		return true
	}
	switch key {
	case "hostvars", "groups", "group_names", "inventory_hostname", "inventory_hostname_short",
		"inventory_dir", "inventory_file", "playbook_dir", "play_hosts", "role_name", "role_path",
		"role_names", "omit", "environment", "vars", "item",
		"lookup", "query", "q", "range", "dict", "loop", "self",
		"true", "false", "none", "True", "False", "None":
		return true
	}
	return false
}

// FuzzBuild decodes the fuzz input as JSON and uses it as a Foreman CR's spec,
// with one more top-level key, and checks that Build never panics, always refuses
// a reserved key, never changes the object, and with markUnsafe leaves no string
// from the CR unwrapped. The seed corpus is in testdata/fuzz/FuzzBuild.
func FuzzBuild(f *testing.F) {
	f.Fuzz(func(t *testing.T, specJSON []byte, extraKey string, snakeCase, markUnsafe bool) {
		var decoded any
		if err := json.Unmarshal(specJSON, &decoded); err != nil {
			decoded = map[string]any{}
		}
		spec, isMap := decoded.(map[string]any)
		if isMap {
			if spec == nil {
				spec = map[string]any{}
			}
			spec[extraKey] = "extra"
			decoded = spec
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "app.theforeman.org/v1alpha1",
			"kind":       "Foreman",
			"metadata":   map[string]any{"name": "fuzz", "namespace": "fuzz"},
			"spec":       decoded,
		}}
		before := runtime.DeepCopyJSON(u.Object)

		vars, err := Build(Input{Object: u, SnakeCase: snakeCase, MarkUnsafe: markUnsafe})

		if diff := cmp.Diff(before, u.Object); diff != "" {
			t.Fatalf("Build changed the object (-before +after):\n%s", diff)
		}

		converted := map[string]string{} // top-level variable -> spec key
		for k := range spec {
			key := k
			if snakeCase {
				key = paramconv.ToSnake(k)
			}
			converted[key] = k
		}

		if err != nil {
			var rke *ReservedKeyError
			if !errors.As(err, &rke) {
				t.Fatalf("Build() error = %v, want only *ReservedKeyError for a spec", err)
			}
			if vars != nil {
				t.Fatalf("Build() returned vars with its error: %v", vars)
			}
			k, ok := converted[rke.Key]
			if !ok || rke.Path != specPath(k) {
				t.Fatalf("ReservedKeyError %+v names no key of the spec %v", *rke, spec)
			}
			return
		}
		for key, k := range converted {
			if mustRefuse(key) {
				t.Fatalf("Build accepted spec key %q, which becomes reserved variable %q", k, key)
			}
			if _, ok := vars[key]; !ok {
				t.Fatalf("spec key %q did not become variable %q", k, key)
			}
		}
		if _, err := json.Marshal(vars); err != nil {
			t.Fatalf("extra vars do not marshal to JSON: %v", err)
		}
		if markUnsafe {
			for k, v := range vars {
				if k == MetaKey {
					continue
				}
				if path, ok := bareString(v, k); ok {
					t.Fatalf("markUnsafe left the string at %s unwrapped", path)
				}
			}
		}
	})
}

// bareString finds a string in v that is not the value of an unsafe wrapper.
func bareString(v any, path string) (string, bool) {
	switch v := v.(type) {
	case string:
		return path, true
	case map[string]any:
		if _, ok := v[UnsafeKey].(string); ok && len(v) == 1 {
			return "", false
		}
		for k, e := range v {
			if p, ok := bareString(e, path+"."+k); ok {
				return p, true
			}
		}
	case []any:
		for i, e := range v {
			if p, ok := bareString(e, path+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	}
	return "", false
}
