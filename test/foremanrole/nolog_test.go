package foremanrole_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// The house rule: every task that reads or writes a Secret has no_log: true,
// because kubernetes.core puts Secret data in its results, and the engine
// logs results. secretTasksWithoutNoLog finds the tasks that break it.
//
// A task touches a Secret when its arguments (anything but its name):
//   - hold kind: Secret (a definition, or k8s_info/k8s_json_patch arguments),
//     or a lookup with kind='Secret';
//   - render a template of the role whose text has kind: Secret;
//   - draw a password (the password lookup);
//   - use a variable registered by a task that touches a Secret.
//
// no_log: true on an enclosing block counts.

// roleTask is one task of a role, out of any blocks, with the no_log it has
// or inherits.
type roleTask struct {
	file  string
	name  string
	args  map[string]any
	noLog bool
}

var (
	kindSecretArg  = regexp.MustCompile(`kind\s*[=:]\s*['"]?Secret\b`)
	kindSecretLine = regexp.MustCompile(`(?m)^\s*kind:\s*["']?Secret["']?\s*$`)
	passwordLookup = regexp.MustCompile(`(lookup|query)\(\s*['"](ansible\.builtin\.)?password['"]`)
	// A template path, possibly computed ('secret/\1.yaml.j2'): then
	// every template of its directory counts.
	templateRef = regexp.MustCompile(`([A-Za-z0-9_][A-Za-z0-9_./-]*)([^'"\s]*\.j2)\b`)
)

// secretTasksWithoutNoLog returns one line per offending task of the roles
// under rolesDir: file, task name and why the task touches a Secret.
func secretTasksWithoutNoLog(rolesDir string) ([]string, error) {
	roles, err := os.ReadDir(rolesDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range roles {
		if !r.IsDir() {
			continue
		}
		found, err := checkRole(filepath.Join(rolesDir, r.Name()))
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", r.Name(), err)
		}
		out = append(out, found...)
	}
	return out, nil
}

func checkRole(dir string) ([]string, error) {
	tasks, err := loadRoleTasks(dir)
	if err != nil {
		return nil, err
	}
	secretTemplates, err := templatesWithSecrets(filepath.Join(dir, "templates"))
	if err != nil {
		return nil, err
	}
	// Registered variables of Secret tasks make their users Secret tasks:
	// iterate until nothing new is found, whatever the file order.
	registered := map[string]*regexp.Regexp{}
	reasons := make([]string, len(tasks))
	for changed := true; changed; {
		changed = false
		for i, t := range tasks {
			if reasons[i] != "" {
				continue
			}
			if reasons[i] = secretReason(t, secretTemplates, registered); reasons[i] == "" {
				continue
			}
			if reg, ok := t.args["register"].(string); ok && registered[reg] == nil {
				registered[reg] = regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(reg) + `($|[^A-Za-z0-9_])`)
				changed = true
			}
		}
	}
	var out []string
	for i, t := range tasks {
		if reasons[i] != "" && !t.noLog {
			out = append(out, fmt.Sprintf("%s: task %q %s but has no no_log: true", t.file, t.name, reasons[i]))
		}
	}
	return out, nil
}

// loadRoleTasks reads tasks/ and handlers/ of a role.
func loadRoleTasks(dir string) ([]roleTask, error) {
	var tasks []roleTask
	for _, sub := range []string{"tasks", "handlers"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.y*ml"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			var items []any
			if err := yaml.Unmarshal(data, &items); err != nil {
				return nil, fmt.Errorf("parse %s: %w", f, err)
			}
			rel := filepath.Join(filepath.Base(dir), sub, filepath.Base(f))
			tasks = append(tasks, flattenTasks(rel, items, false)...)
		}
	}
	return tasks, nil
}

// flattenTasks lists the tasks of items, going into block, rescue and always.
func flattenTasks(file string, items []any, inherited bool) []roleTask {
	var out []roleTask
	for _, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		noLog := inherited || m["no_log"] == true
		if _, isBlock := m["block"]; isBlock {
			for _, key := range []string{"block", "rescue", "always"} {
				if list, ok := m[key].([]any); ok {
					out = append(out, flattenTasks(file, list, noLog)...)
				}
			}
			continue
		}
		name, _ := m["name"].(string)
		args := map[string]any{}
		for k, v := range m {
			if k != "name" && k != "no_log" {
				args[k] = v
			}
		}
		out = append(out, roleTask{file: file, name: name, args: args, noLog: noLog})
	}
	return out
}

// templatesWithSecrets maps each template (path under templates/) whose
// text has kind: Secret to true.
func templatesWithSecrets(dir string) (map[string]bool, error) {
	out := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if kindSecretLine.Match(data) {
			rel, _ := filepath.Rel(dir, path)
			out[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return out, err
}

// secretReason says why t touches a Secret, or "" when it does not.
func secretReason(t roleTask, secretTemplates map[string]bool, registered map[string]*regexp.Regexp) string {
	var reason string
	walk(t.args, func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			if v["kind"] == "Secret" {
				reason = "has kind: Secret in its arguments"
			}
		case string:
			switch {
			case kindSecretArg.MatchString(v):
				reason = "reads or writes kind Secret"
			case passwordLookup.MatchString(v):
				reason = "draws a password"
			}
			for _, m := range templateRef.FindAllStringSubmatch(v, -1) {
				if m[2] == ".j2" {
					if secretTemplates[m[1]+m[2]] {
						reason = fmt.Sprintf("renders template %s, which holds a Secret", m[1]+m[2])
					}
					continue
				}
				dir := m[1][:strings.LastIndex(m[1], "/")+1]
				for _, tpl := range sortedKeys(secretTemplates) {
					if dir != "" && strings.HasPrefix(tpl, dir) {
						reason = fmt.Sprintf("renders a template of %s, where %s holds a Secret", dir, tpl)
						break
					}
				}
			}
			for _, name := range sortedKeys(registered) {
				if registered[name].MatchString(v) {
					reason = fmt.Sprintf("uses %s, registered by a task that touches a Secret", name)
				}
			}
		}
		return reason == ""
	})
	return reason
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// walk calls fn on v and everything inside it, depth first, while fn
// returns true.
func walk(v any, fn func(any) bool) bool {
	if !fn(v) {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if !walk(v[k], fn) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !walk(e, fn) {
				return false
			}
		}
	}
	return true
}

func TestEveryTaskThatTouchesASecretHasNoLog(t *testing.T) {
	found, err := secretTasksWithoutNoLog(filepath.Join(testrepo.Root(t), "roles"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Error(f)
	}
}

// TestTheNoLogCheck checks the check itself, on roles written for each case.
func TestTheNoLogCheck(t *testing.T) {
	secretTemplate := "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n"
	configMapTemplate := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	tests := []struct {
		name  string
		tasks string
		want  []string // substrings of the findings, in order
	}{
		{
			name: "a k8s task with kind Secret in its definition and no no_log is found",
			tasks: `
- name: Apply
  kubernetes.core.k8s:
    definition: {apiVersion: v1, kind: Secret, metadata: {name: x}}
`,
			want: []string{`task "Apply" has kind: Secret in its arguments`},
		},
		{
			name: "a k8s_info read of Secrets is found",
			tasks: `
- name: Read
  kubernetes.core.k8s_info: {kind: Secret, namespace: ns}
`,
			want: []string{`task "Read" has kind: Secret`},
		},
		{
			name: "a lookup of Secrets is found",
			tasks: `
- name: Look up
  ansible.builtin.set_fact:
    x: "{{ query('kubernetes.core.k8s', kind='Secret', namespace='ns') }}"
`,
			want: []string{`task "Look up" reads or writes kind Secret`},
		},
		{
			name: "a task rendering a template that holds a Secret is found",
			tasks: `
- name: Render
  kubernetes.core.k8s:
    definition: "{{ lookup('ansible.builtin.template', 'secret/x.yaml.j2') | from_yaml }}"
`,
			want: []string{`task "Render" renders template secret/x.yaml.j2`},
		},
		{
			name: "a task rendering a template whose name is computed, in a directory with a Secret, is found",
			tasks: `
- name: Render
  kubernetes.core.k8s:
    definition: >-
      {{ query('ansible.builtin.template', *(names | map('regex_replace', '^(.*)$', 'secret/\\1.yaml.j2'))) }}
`,
			want: []string{`task "Render" renders a template of secret/, where secret/x.yaml.j2 holds a Secret`},
		},
		{
			name: "a password lookup is found",
			tasks: `
- name: Draw
  ansible.builtin.set_fact:
    x: "{{ lookup('ansible.builtin.password', '/dev/null') }}"
`,
			want: []string{`task "Draw" draws a password`},
		},
		{
			name: "a task using what a Secret read registered is found, wherever it is",
			tasks: `
- name: Use
  ansible.builtin.debug:
    msg: "{{ found.resources }}"
- name: Read
  kubernetes.core.k8s_info: {kind: Secret}
  register: found
  no_log: true
`,
			want: []string{`task "Use" uses found, registered by a task that touches a Secret`},
		},
		{
			name: "no_log on the enclosing block is enough",
			tasks: `
- name: Secrets
  no_log: true
  block:
    - name: Apply
      kubernetes.core.k8s:
        definition: "{{ lookup('ansible.builtin.template', 'secret/x.yaml.j2') | from_yaml }}"
`,
		},
		{
			name: "no_log: false is not enough",
			tasks: `
- name: Read
  kubernetes.core.k8s_info: {kind: Secret}
  no_log: false
`,
			want: []string{`task "Read" has kind: Secret`},
		},
		{
			name: "a task about a ConfigMap is not found",
			tasks: `
- name: Apply
  kubernetes.core.k8s:
    definition: "{{ lookup('ansible.builtin.template', 'configmap/x.yaml.j2') | from_yaml }}"
- name: Read
  kubernetes.core.k8s_info: {kind: ConfigMap}
  register: found
- name: Use
  ansible.builtin.debug: {var: found}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roles := t.TempDir()
			for path, text := range map[string]string{
				"r/tasks/main.yml":                tt.tasks,
				"r/templates/secret/x.yaml.j2":    secretTemplate,
				"r/templates/configmap/x.yaml.j2": configMapTemplate,
			} {
				p := filepath.Join(roles, path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := secretTasksWithoutNoLog(roles)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings:\n%s\nwant %d matching %q", strings.Join(got, "\n"), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %q does not contain %q", got[i], w)
				}
			}
		})
	}
}
