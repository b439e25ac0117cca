package watches_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/theforeman/foreman-operator/pkg/watches"
)

// newFixture builds a project in a temporary directory and returns its root and Options
// that see nothing of the machine: Cwd is root/project, the roles path root/rolespath,
// the collections path root/collections, and the environment is FIXTURE=root only.
//
//	project/roles/{foreman,cleanup,candlepin}, project/playbooks/{foreman,uninstall}.yml
//	rolespath/pulp, rolespath/roles/{pulp,candlepin}, rolespath/theforeman.operator.smartproxy
//	collections/ansible_collections/theforeman/operator/roles/smartproxy
//	home/.ansible/collections/ansible_collections/theforeman/operator/roles/smartproxy
func newFixture(tb testing.TB) (string, watches.Options) {
	tb.Helper()
	root := tb.TempDir()
	smartproxy := filepath.Join("ansible_collections", "theforeman", "operator", "roles", "smartproxy")
	for _, dir := range []string{
		"project/roles/foreman/tasks",
		"project/roles/cleanup/tasks",
		"project/roles/candlepin/tasks",
		"project/playbooks",
		"rolespath/pulp/tasks",
		"rolespath/roles/pulp/tasks",
		"rolespath/roles/candlepin/tasks",
		"rolespath/theforeman.operator.smartproxy/tasks",
		filepath.Join("collections", smartproxy, "tasks"),
		filepath.Join("home/.ansible/collections", smartproxy, "tasks"),
	} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	for _, file := range []string{"project/playbooks/foreman.yml", "project/playbooks/uninstall.yml"} {
		if err := os.WriteFile(filepath.Join(root, file), []byte("- hosts: localhost\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root, watches.Options{
		Getenv:          env(map[string]string{"FIXTURE": root}),
		Cwd:             filepath.Join(root, "project"),
		RolesPath:       []string{filepath.Join(root, "rolespath")},
		CollectionsPath: []string{filepath.Join(root, "collections")},
	}
}

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadValidFiles(t *testing.T) {
	root, fixture := newFixture(t)
	project := filepath.Join(root, "project")
	foremanRole := filepath.Join(project, "roles", "foreman")

	// watch returns an entry of group app.theforeman.org, version v1alpha1 with the defaults.
	watch := func(kind string, edit func(*watches.Watch)) watches.Watch {
		w := watches.Watch{
			GroupVersionKind:        schema.GroupVersionKind{Group: "app.theforeman.org", Version: "v1alpha1", Kind: kind},
			ManageStatus:            true,
			WatchDependentResources: true,
			SnakeCaseParameters:     true,
			MarkUnsafe:              true,
			MaxRunnerArtifacts:      20,
		}
		edit(&w)
		return w
	}
	role := func(path string) func(*watches.Watch) {
		return func(w *watches.Watch) { w.Role = path }
	}

	tests := []struct {
		name     string
		file     string
		env      map[string]string
		options  func(*watches.Options)
		want     []watches.Watch
		warnings []string
	}{
		{
			name: "a minimal entry gets upstream's defaults, except markUnsafe, which is true",
			file: "valid_defaults.yaml",
			want: []watches.Watch{watch("Foreman", role(foremanRole))},
		},
		{
			name: "every field in the file overrides its default",
			file: "valid_overrides.yaml",
			want: []watches.Watch{{
				GroupVersionKind: schema.GroupVersionKind{Group: "app.theforeman.org", Version: "v1alpha1", Kind: "Foreman"},
				Role:             foremanRole,
				Vars: map[string]any{
					"foreman_replicas":  int64(2),
					"foreman_cpu_ratio": 0.5,
					"foreman_plugins":   []any{"remote_execution", "ansible"},
				},
				ReconcilePeriod:             new(30 * time.Minute),
				WatchClusterScopedResources: true,
				WatchAnnotationsChanges:     true,
				MaxRunnerArtifacts:          5,
				Blacklist: []schema.GroupVersionKind{
					{Version: "v1", Kind: "Secret"},
					{Group: "apps", Version: "v1", Kind: "Deployment"},
				},
				Selector: metav1.LabelSelector{
					MatchLabels: map[string]string{"app.kubernetes.io/managed-by": "foreman-operator"},
					MatchExpressions: []metav1.LabelSelectorRequirement{
						{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "worker"}},
					},
				},
				Finalizer: &watches.Finalizer{
					Name:     "app.theforeman.org/finalizer",
					Playbook: filepath.Join(project, "playbooks", "uninstall.yml"),
					Vars:     map[string]any{"state": "absent"},
				},
				MaxConcurrentReconciles: 3,
				AnsibleVerbosity:        new(4),
			}},
		},
		{
			name: "${VAR} is replaced from the environment and an undefined one stays as written",
			file: "valid_env.yaml",
			env: map[string]string{
				"FOREMAN_VERSION": "v1alpha1",
				"FOREMAN_ROLE":    "foreman",
				"FOREMAN_IMAGE":   "quay.io/foreman/foreman:3.14",
			},
			want: []watches.Watch{watch("Foreman", func(w *watches.Watch) {
				w.Role = foremanRole
				w.Vars = map[string]any{
					"image":     "quay.io/foreman/foreman:3.14",
					"undefined": "${NOT_SET}",
					"no_braces": "$FOREMAN_IMAGE",
				}
			})},
		},
		{
			name: "an ns.coll.role name is found in the collections path before the roles path",
			file: "valid_fqcn_role.yaml",
			want: []watches.Watch{watch("SmartProxy",
				role(filepath.Join(root, "collections/ansible_collections/theforeman/operator/roles/smartproxy")))},
		},
		{
			name: "a roles path entry is tried as <p>/<role>, then <p>/roles/<role>, and <cwd>/roles/<role> comes last",
			file: "valid_roles_path.yaml",
			want: []watches.Watch{
				watch("Pulp", role(filepath.Join(root, "rolespath/pulp"))),
				watch("Candlepin", role(filepath.Join(root, "rolespath/roles/candlepin"))),
				watch("Foreman", role(foremanRole)),
			},
		},
		{
			name:    "ANSIBLE_ROLES_PATH is read when Options.RolesPath is nil, relative entries against the working directory",
			file:    "valid_roles_path.yaml",
			env:     map[string]string{"ANSIBLE_ROLES_PATH": "/does/not/exist:../rolespath"},
			options: func(o *watches.Options) { o.RolesPath = nil },
			want: []watches.Watch{
				watch("Pulp", role(filepath.Join(root, "rolespath/pulp"))),
				watch("Candlepin", role(filepath.Join(root, "rolespath/roles/candlepin"))),
				watch("Foreman", role(foremanRole)),
			},
		},
		{
			name:    "ANSIBLE_COLLECTIONS_PATH is read when Options.CollectionsPath is nil, with ~ as HOME",
			file:    "valid_fqcn_role.yaml",
			env:     map[string]string{"ANSIBLE_COLLECTIONS_PATH": "~/collections", "HOME": root},
			options: func(o *watches.Options) { o.CollectionsPath = nil },
			want: []watches.Watch{watch("SmartProxy",
				role(filepath.Join(root, "collections/ansible_collections/theforeman/operator/roles/smartproxy")))},
		},
		{
			name:    "without ANSIBLE_COLLECTIONS_PATH, ~/.ansible/collections is searched",
			file:    "valid_fqcn_role.yaml",
			env:     map[string]string{"HOME": filepath.Join(root, "home")},
			options: func(o *watches.Options) { o.CollectionsPath = nil },
			want: []watches.Watch{watch("SmartProxy",
				role(filepath.Join(root, "home/.ansible/collections/ansible_collections/theforeman/operator/roles/smartproxy")))},
		},
		{
			name: "an absolute role is used as given, a relative playbook is joined with the working directory, and a playbook wins over a role",
			file: "valid_paths.yaml",
			want: []watches.Watch{
				watch("Foreman", role(foremanRole)),
				watch("SmartProxy", func(w *watches.Watch) { w.Playbook = filepath.Join(project, "playbooks/foreman.yml") }),
				watch("Pulp", func(w *watches.Watch) { w.Playbook = filepath.Join(project, "playbooks/foreman.yml") }),
			},
			warnings: []string{`entry 3 (app.theforeman.org/v1alpha1, Kind=Pulp): field "role": role "foreman" is ignored because playbook is set`},
		},
		{
			name: "a zero reconcilePeriod means the flag and a zero maxRunnerArtifacts means 20",
			file: "valid_zero_values.yaml",
			want: []watches.Watch{watch("Foreman", role(foremanRole))},
		},
		{
			name: "a finalizer runs its own role, or the watch's with its vars, also when its role is missing",
			file: "valid_finalizers.yaml",
			want: []watches.Watch{
				watch("Foreman", func(w *watches.Watch) {
					w.Role = foremanRole
					w.Finalizer = &watches.Finalizer{Name: "app.theforeman.org/foreman", Vars: map[string]any{"state": "absent"}}
				}),
				watch("SmartProxy", func(w *watches.Watch) {
					w.Role = foremanRole
					w.Finalizer = &watches.Finalizer{Name: "app.theforeman.org/smartproxy", Role: filepath.Join(project, "roles/cleanup")}
				}),
				watch("Pulp", func(w *watches.Watch) {
					w.Role = foremanRole
					w.Finalizer = &watches.Finalizer{Name: "app.theforeman.org/pulp", Vars: map[string]any{"state": "absent"}}
				}),
			},
			warnings: []string{`entry 3 (app.theforeman.org/v1alpha1, Kind=Pulp): field "finalizer.role": role "no-such-role" not found`},
		},
		{
			name: "a core kind, with an empty group, can be watched",
			file: "valid_core_kind.yaml",
			want: []watches.Watch{watch("Secret", func(w *watches.Watch) {
				w.GroupVersionKind = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
				w.Role = foremanRole
			})},
		},
		{
			name: "unknown keys are ignored with a warning each, nested ones too",
			file: "valid_unknown_keys.yaml",
			want: []watches.Watch{watch("Foreman", func(w *watches.Watch) {
				w.Role = foremanRole
				w.Finalizer = &watches.Finalizer{Name: "app.theforeman.org/foreman", Role: filepath.Join(project, "roles/cleanup")}
			})},
			warnings: []string{
				`field "finalizer": unknown key "timeout" is ignored`,
				`field "manageStatuss": unknown key is ignored`,
				`field "maxWorkers": unknown key is ignored`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture
			vars := map[string]string{"FIXTURE": root}
			for k, v := range tt.env {
				vars[k] = v
			}
			opts.Getenv = env(vars)
			if tt.options != nil {
				tt.options(&opts)
			}
			path := filepath.Join("testdata", tt.file)

			got, warnings, err := watches.Load(path, opts)
			if err != nil {
				t.Fatalf("Load(%s) failed: %v", path, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load(%s) watches (-want +got):\n%s", path, diff)
			}
			if len(warnings) != len(tt.warnings) {
				t.Errorf("Load(%s) gave %d warnings, want %d: %v", path, len(warnings), len(tt.warnings), warnings)
			}
			for i, want := range tt.warnings {
				if i < len(warnings) && !strings.Contains(warnings[i].String(), want) {
					t.Errorf("warning %d is %q, want it to contain %q", i, warnings[i], want)
				}
			}
		})
	}
}

func TestLoadInvalidFiles(t *testing.T) {
	_, opts := newFixture(t)
	const smartProxy = `entry 2 (app.theforeman.org/v1alpha1, Kind=SmartProxy)`

	tests := []struct {
		name string
		file string
		want []string // substrings of the error, which must hold exactly one FieldError
	}{
		{"a tab in the indentation is invalid YAML, with its line", "invalid_yaml.yaml",
			[]string{"invalid YAML", "line 4"}},
		{"a file that is one mapping is not a list", "invalid_not_a_list.yaml",
			[]string{"invalid_not_a_list.yaml: must be a list, not mapping"}},
		{"a file without entries watches nothing", "invalid_empty.yaml",
			[]string{"invalid_empty.yaml: has no entries"}},
		{"an entry that is a string is not a mapping", "invalid_entry_not_a_mapping.yaml",
			[]string{"entry 2: must be a mapping, not string"}},
		{"an entry without version", "invalid_empty_version.yaml",
			[]string{`entry 2 (app.theforeman.org/, Kind=SmartProxy): field "version": must not be empty`}},
		{"an entry without kind", "invalid_empty_kind.yaml",
			[]string{`entry 2 (app.theforeman.org/v1alpha1, Kind=): field "kind": must not be empty`}},
		{"a group with an underscore", "invalid_group.yaml",
			[]string{`entry 2 (app_theforeman.org/v1alpha1, Kind=SmartProxy): field "group": invalid group "app_theforeman.org"`}},
		{"a version with a dot", "invalid_version.yaml",
			[]string{`entry 2 (app.theforeman.org/v1.alpha1, Kind=SmartProxy): field "version": invalid version "v1.alpha1"`}},
		{"a kind with an underscore", "invalid_kind.yaml",
			[]string{`entry 2 (app.theforeman.org/v1alpha1, Kind=Smart_Proxy): field "kind": invalid kind "Smart_Proxy"`}},
		{"a GVK watched twice names both entries", "invalid_duplicate_gvk.yaml",
			[]string{`entry 2 (app.theforeman.org/v1alpha1, Kind=Foreman): field "kind": duplicate GVK: entry 1 watches app.theforeman.org/v1alpha1, Kind=Foreman too`}},
		{"an entry with neither role nor playbook", "invalid_no_role_or_playbook.yaml",
			[]string{smartProxy + `: field "role": neither role nor playbook is set`}},
		{"a role that is nowhere", "invalid_role_not_found.yaml",
			[]string{smartProxy + `: field "role": role "foremann" not found (looked in: `}},
		{"a playbook that does not exist", "invalid_playbook_not_found.yaml",
			[]string{smartProxy + `: field "playbook": playbook "playbooks/smartproxy.yml" not found`}},
		{"a finalizer without a name", "invalid_finalizer_no_name.yaml",
			[]string{smartProxy + `: field "finalizer.name": must not be empty`}},
		{"a finalizer with none of role, playbook and vars", "invalid_finalizer_empty.yaml",
			[]string{smartProxy + `: field "finalizer": must set at least one of role, playbook or vars`}},
		{"a finalizer role that is nowhere, without vars", "invalid_finalizer_role_not_found.yaml",
			[]string{smartProxy + `: field "finalizer.role": role "cleanupp" not found`}},
		{"a reconcilePeriod that is not a Go duration", "invalid_reconcile_period.yaml",
			[]string{smartProxy + `: field "reconcilePeriod": must be a Go duration`, `"10 minutes"`}},
		{"a negative reconcilePeriod", "invalid_reconcile_period_negative.yaml",
			[]string{smartProxy + `: field "reconcilePeriod": must not be negative, got -5m`}},
		{"a negative maxRunnerArtifacts", "invalid_max_runner_artifacts.yaml",
			[]string{smartProxy + `: field "maxRunnerArtifacts": must not be negative, got -1`}},
		{"a maxConcurrentReconciles of 0", "invalid_max_concurrent_reconciles.yaml",
			[]string{smartProxy + `: field "maxConcurrentReconciles": must be at least 1, got 0`}},
		{"an ansibleVerbosity above 7", "invalid_ansible_verbosity.yaml",
			[]string{smartProxy + `: field "ansibleVerbosity": must be between 0 and 7, got 8`}},
		{"a selector with an unknown operator", "invalid_selector.yaml",
			[]string{smartProxy + `: field "selector": `, `"Equals" is not a valid label selector operator`}},
		{"a blacklist entry without kind", "invalid_blacklist.yaml",
			[]string{smartProxy + `: field "blacklist[1].kind": must not be empty`}},
		{"a manageStatus that is a string", "invalid_type.yaml",
			[]string{smartProxy + `: field "manageStatus": must be a boolean, not string`}},
	}

	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "invalid_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		if !covered[filepath.Base(path)] {
			t.Errorf("%s has no test case", path)
		}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			got, _, err := watches.Load(path, opts)
			if err == nil {
				t.Fatalf("Load(%s) = %d watches, want an error", path, len(got))
			}
			if got != nil {
				t.Errorf("Load(%s) returned %d watches with its error, want none", path, len(got))
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error %q does not start with the file name %q", err, path)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if n := len(fieldErrors(t, err)); n != 1 {
				t.Errorf("error holds %d FieldErrors, want 1: %v", n, err)
			}
		})
	}
}

func TestFieldErrorNamesFileEntryFieldAndWhereItLooked(t *testing.T) {
	root, opts := newFixture(t)
	path := filepath.Join("testdata", "invalid_role_not_found.yaml")
	want := path + `: entry 2 (app.theforeman.org/v1alpha1, Kind=SmartProxy): field "role": role "foremann" not found (looked in: ` +
		filepath.Join(root, "rolespath/foremann") + ", " +
		filepath.Join(root, "rolespath/roles/foremann") + ", " +
		filepath.Join(root, "project/roles/foremann") + ")"

	_, _, err := watches.Load(path, opts)
	if err == nil || err.Error() != want {
		t.Errorf("Load(%s) error:\n got %v\nwant %s", path, err, want)
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, opts := newFixture(t)
	// Each mistake is reported once: a field of the wrong type is not also "empty".
	data := []byte(`
- group: app.theforeman.org
  version: 1
  kind: Foreman
  role: foreman
  manageStatus: maybe
  blacklist:
    - version: 1
      kind: Secret
- group: app.theforeman.org
  kind: SmartProxy
  role: smartproxy
  finalizer:
    name: 5
`)
	type where struct {
		Index int
		Field string
	}
	want := []where{
		{1, "version"}, {1, "manageStatus"}, {1, "blacklist.version"},
		{2, "finalizer.name"}, {2, "version"}, {2, "role"},
	}

	_, _, err := watches.Parse(data, "watches.yaml", opts)
	var got []where
	for _, fe := range fieldErrors(t, err) {
		got = append(got, where{fe.Index, fe.Field})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse reported (-want +got):\n%s", diff)
	}
}

func TestLoadWrapsReadErrors(t *testing.T) {
	_, opts := newFixture(t)
	_, _, err := watches.Load(filepath.Join(t.TempDir(), "watches.yaml"), opts)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: error %v, want one that wraps fs.ErrNotExist", err)
	}
}

// fieldErrors flattens an error from Load or Parse; every error in it must be a *FieldError.
func fieldErrors(t *testing.T, err error) []*watches.FieldError {
	t.Helper()
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	var out []*watches.FieldError
	for _, e := range errs {
		fe, ok := e.(*watches.FieldError)
		if !ok {
			t.Fatalf("error %v (%T) is not a *FieldError", e, e)
		}
		out = append(out, fe)
	}
	return out
}
