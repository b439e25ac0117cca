package extravars

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// foremanWithSpec returns a Foreman CR with the given spec.
func foremanWithSpec(spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "app.theforeman.org/v1alpha1",
		"kind":       "Foreman",
		"metadata":   map[string]any{"name": "foreman", "namespace": "foreman"},
		"spec":       spec,
	}}
}

func TestBuildRefusesReservedKeys(t *testing.T) {
	tests := []struct {
		name      string
		object    *unstructured.Unstructured
		snakeCase bool
		want      ReservedKeyError
	}{
		// Names starting with ansible_.
		{"a key starting with ansible_ is refused", foremanWithSpec(map[string]any{"ansible_host": "evil"}), false,
			ReservedKeyError{Key: "ansible_host", Path: "spec.ansible_host"}},
		{"a camelCase key that converts to ansible_python_interpreter is refused",
			foremanWithSpec(map[string]any{"ansiblePythonInterpreter": "/tmp/evil"}), true,
			ReservedKeyError{Key: "ansible_python_interpreter", Path: "spec.ansiblePythonInterpreter"}},
		{"a camelCase key that converts to ansible_become is refused", foremanWithSpec(map[string]any{"ansibleBecome": true}), true,
			ReservedKeyError{Key: "ansible_become", Path: "spec.ansibleBecome"}},
		{"the operator's own meta variable is refused", foremanWithSpec(map[string]any{"ansibleOperatorMeta": map[string]any{}}), true,
			ReservedKeyError{Key: "ansible_operator_meta", Path: "spec.ansibleOperatorMeta"}},
		{"a prefixed magic variable is refused", foremanWithSpec(map[string]any{"ansible_check_mode": true}), false,
			ReservedKeyError{Key: "ansible_check_mode", Path: "spec.ansible_check_mode"}},

		// Magic variables without the prefix.
		{"hostvars is refused", foremanWithSpec(map[string]any{"hostvars": map[string]any{}}), false,
			ReservedKeyError{Key: "hostvars", Path: "spec.hostvars"}},
		{"omit is refused", foremanWithSpec(map[string]any{"omit": "x"}), true,
			ReservedKeyError{Key: "omit", Path: "spec.omit"}},
		{"a camelCase key that converts to inventory_hostname is refused", foremanWithSpec(map[string]any{"inventoryHostname": "x"}), true,
			ReservedKeyError{Key: "inventory_hostname", Path: "spec.inventoryHostname"}},
		{"playbook_dir is refused", foremanWithSpec(map[string]any{"playbook_dir": "/"}), false,
			ReservedKeyError{Key: "playbook_dir", Path: "spec.playbook_dir"}},
		{"a camelCase key that converts to role_path is refused", foremanWithSpec(map[string]any{"rolePath": "/"}), true,
			ReservedKeyError{Key: "role_path", Path: "spec.rolePath"}},
		{"the loop variable item is refused", foremanWithSpec(map[string]any{"item": 1}), false,
			ReservedKeyError{Key: "item", Path: "spec.item"}},
		{"environment is refused", foremanWithSpec(map[string]any{"environment": map[string]any{}}), false,
			ReservedKeyError{Key: "environment", Path: "spec.environment"}},
		{"vars is refused", foremanWithSpec(map[string]any{"vars": map[string]any{}}), false,
			ReservedKeyError{Key: "vars", Path: "spec.vars"}},

		// Template globals.
		{"lookup is refused", foremanWithSpec(map[string]any{"lookup": "x"}), false,
			ReservedKeyError{Key: "lookup", Path: "spec.lookup"}},
		{"query is refused", foremanWithSpec(map[string]any{"query": "x"}), true,
			ReservedKeyError{Key: "query", Path: "spec.query"}},
		{"q is refused", foremanWithSpec(map[string]any{"q": "x"}), false,
			ReservedKeyError{Key: "q", Path: "spec.q"}},
		{"range is refused", foremanWithSpec(map[string]any{"range": []any{}}), false,
			ReservedKeyError{Key: "range", Path: "spec.range"}},
		{"dict is refused", foremanWithSpec(map[string]any{"dict": map[string]any{}}), false,
			ReservedKeyError{Key: "dict", Path: "spec.dict"}},

		// Names Jinja binds itself.
		{"loop is refused", foremanWithSpec(map[string]any{"loop": []any{}}), false,
			ReservedKeyError{Key: "loop", Path: "spec.loop"}},
		{"self is refused", foremanWithSpec(map[string]any{"self": "x"}), false,
			ReservedKeyError{Key: "self", Path: "spec.self"}},

		// Jinja literals and operators.
		{"lowercase true is refused", foremanWithSpec(map[string]any{"true": "x"}), false,
			ReservedKeyError{Key: "true", Path: "spec.true"}},
		{"capitalised False is refused when kept as written", foremanWithSpec(map[string]any{"False": "x"}), false,
			ReservedKeyError{Key: "False", Path: "spec.False"}},
		{"None is refused when kept as written", foremanWithSpec(map[string]any{"None": "x"}), false,
			ReservedKeyError{Key: "None", Path: "spec.None"}},
		{"none is refused", foremanWithSpec(map[string]any{"none": "x"}), true,
			ReservedKeyError{Key: "none", Path: "spec.none"}},
		{"not is refused", foremanWithSpec(map[string]any{"not": "x"}), false,
			ReservedKeyError{Key: "not", Path: "spec.not"}},

		// The CR's own variables.
		{"the CR's object variable is refused", foremanWithSpec(map[string]any{"_app_theforeman_org_foreman": "x"}), false,
			ReservedKeyError{Key: "_app_theforeman_org_foreman", Path: "spec._app_theforeman_org_foreman"}},
		{"the CR's spec variable is refused", foremanWithSpec(map[string]any{"_app_theforeman_org_foreman_spec": "x"}), true,
			ReservedKeyError{Key: "_app_theforeman_org_foreman_spec", Path: "spec._app_theforeman_org_foreman_spec"}},
		{"any key under the CR's variable prefix is refused", foremanWithSpec(map[string]any{"_app_theforeman_org_foreman_status": "x"}), false,
			ReservedKeyError{Key: "_app_theforeman_org_foreman_status", Path: "spec._app_theforeman_org_foreman_status"}},
		{"a capitalised key that snake_cases to the CR's variable is refused", foremanWithSpec(map[string]any{"AppTheforemanOrgForeman": "x"}), true,
			ReservedKeyError{Key: "_app_theforeman_org_foreman", Path: "spec.AppTheforemanOrgForeman"}},
		{"a core-group object's own spec variable is refused", &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "web"},
			"spec": map[string]any{"__service_spec": "x"},
		}}, false, ReservedKeyError{Key: "__service_spec", Path: "spec.__service_spec"}},

		// Reporting.
		{"the first refused key in sort order is reported", foremanWithSpec(map[string]any{"lookup": 1, "hostvars": 2, "ansible_user": 3, "size": 4}), false,
			ReservedKeyError{Key: "ansible_user", Path: "spec.ansible_user"}},
		{"a key that is not a plain name is quoted in the path", foremanWithSpec(map[string]any{"ansible_x.y": 1}), false,
			ReservedKeyError{Key: "ansible_x.y", Path: `spec["ansible_x.y"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, err := Build(Input{Object: tt.object, SnakeCase: tt.snakeCase, MarkUnsafe: true})
			var rke *ReservedKeyError
			if !errors.As(err, &rke) {
				t.Fatalf("Build() error = %v, want a *ReservedKeyError", err)
			}
			if diff := cmp.Diff(tt.want, *rke); diff != "" {
				t.Errorf("ReservedKeyError mismatch (-want +got):\n%s", diff)
			}
			if vars != nil {
				t.Errorf("Build() returned vars with its error: %v", vars)
			}
		})
	}
}

func TestBuildAcceptsKeysThatAreNotReserved(t *testing.T) {
	tests := []struct {
		name      string
		spec      map[string]any
		snakeCase bool
		watchVars map[string]any
		// wantVar is a top-level variable that must be set.
		wantVar string
	}{
		{"a camelCase ansible key is harmless when snakeCase is off",
			map[string]any{"ansiblePythonInterpreter": "/usr/bin/python3"}, false, nil, "ansiblePythonInterpreter"},
		{"a capitalised Ansible key gets a leading underscore and is harmless",
			map[string]any{"AnsibleHost": "x"}, true, nil, "_ansible_host"},
		{"a key named ansible alone is allowed", map[string]any{"ansible": "x"}, false, nil, "ansible"},
		{"a playbook keyword such as port is allowed", map[string]any{"port": int64(443)}, true, nil, "port"},
		{"a playbook keyword such as timeout is allowed", map[string]any{"timeout": "5m"}, true, nil, "timeout"},
		{"a playbook keyword such as name is allowed", map[string]any{"name": "foreman"}, true, nil, "name"},
		{"a capitalised Lookup is not the lookup global", map[string]any{"Lookup": "x"}, false, nil, "Lookup"},
		{"a capitalised Lookup snake_cases to a harmless name", map[string]any{"Lookup": "x"}, true, nil, "_lookup"},
		{"an upper-case ANSIBLE_HOST is not a connection variable", map[string]any{"ANSIBLE_HOST": "x"}, false, nil, "ANSIBLE_HOST"},
		{"reserved names nested in a map are allowed",
			map[string]any{"database": map[string]any{"ansible_host": "x", "lookup": "y", "hostvars": "z"}}, true, nil, "database"},
		{"another kind's object variable is allowed", map[string]any{"_cache_example_com_memcached": "x"}, false, nil, "_cache_example_com_memcached"},
		{"a name that only starts like the CR's variable without its underscore is allowed",
			map[string]any{"app_theforeman_org_foreman": "x"}, false, nil, "app_theforeman_org_foreman"},
		{"watch vars may set reserved names", map[string]any{"size": int64(1)}, true,
			map[string]any{"ansible_python_interpreter": "/usr/bin/python3"}, "ansible_python_interpreter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, err := Build(Input{Object: foremanWithSpec(tt.spec), SnakeCase: tt.snakeCase, WatchVars: tt.watchVars})
			if err != nil {
				t.Fatalf("Build() error: %v", err)
			}
			if _, ok := vars[tt.wantVar]; !ok {
				t.Errorf("variable %q is missing from %v", tt.wantVar, vars)
			}
		})
	}
}

func TestReservedKeyErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *ReservedKeyError
		want string
	}{
		{"a converted ansible_ key names both forms",
			&ReservedKeyError{Key: "ansible_python_interpreter", Path: "spec.ansiblePythonInterpreter"},
			`spec.ansiblePythonInterpreter would become the Ansible variable "ansible_python_interpreter", which is reserved: names starting with ansible_ belong to Ansible and the operator`},
		{"a magic variable says so",
			&ReservedKeyError{Key: "hostvars", Path: "spec.hostvars"},
			`spec.hostvars would become the Ansible variable "hostvars", which is reserved: Ansible sets it as a magic variable`},
		{"a template global says so",
			&ReservedKeyError{Key: "lookup", Path: "spec.lookup"},
			`spec.lookup would become the Ansible variable "lookup", which is reserved: it would hide a function that every template can call`},
		{"a key under the CR's own prefix says so",
			&ReservedKeyError{Key: "_app_theforeman_org_foreman_spec", Path: "spec._app_theforeman_org_foreman_spec"},
			`spec._app_theforeman_org_foreman_spec would become the Ansible variable "_app_theforeman_org_foreman_spec", which is reserved: it would shadow the variables that hold the CR itself`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			// The controller wraps the error; it must still be found.
			var rke *ReservedKeyError
			if !errors.As(fmt.Errorf("reconcile: %w", tt.err), &rke) || rke != tt.err {
				t.Errorf("errors.As did not find the wrapped *ReservedKeyError")
			}
		})
	}
}
