package extravars

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// ansiblePlaybook is Debian's ansible-core; its shebang picks the system Python,
// which can import ansible (the first python3 on PATH may not).
const ansiblePlaybook = "/usr/bin/ansible-playbook"

// runPlaybook runs playbook on localhost with vars as its extra-vars file, the
// way the runner passes them, and returns the directory holding the playbook,
// which is the playbook's playbook_dir.
func runPlaybook(t *testing.T, playbook string, vars map[string]any) string {
	t.Helper()
	if _, err := os.Stat(ansiblePlaybook); err != nil {
		t.Skipf("Ansible integration test needs %s (Debian package ansible-core): %v", ansiblePlaybook, err)
	}
	dir := t.TempDir()
	js, err := json.Marshal(vars)
	if err != nil {
		t.Fatalf("marshal extra vars: %v", err)
	}
	files := map[string]string{
		"extravars.json": string(js),
		"playbook.yml":   playbook,
		"ansible.cfg":    "",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ansiblePlaybook,
		"-i", "localhost,", "-c", "local",
		"-e", "@"+filepath.Join(dir, "extravars.json"),
		filepath.Join(dir, "playbook.yml"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"ANSIBLE_CONFIG="+filepath.Join(dir, "ansible.cfg"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp-local"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, "tmp-remote"),
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3",
		"ANSIBLE_LOCALHOST_WARNING=false",
		"ANSIBLE_NOCOLOR=true",
		"ANSIBLE_RETRY_FILES_ENABLED=false",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", ansiblePlaybook, err, out)
	}
	t.Logf("ansible-playbook output:\n%s", out)
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read Ansible's output: %v", err)
	}
	return string(b)
}

// TestMarkUnsafeWithAnsible proves against real Ansible that markUnsafe stops
// Jinja in a CR from running, at the top level, deep in the spec and in the
// object variable, and that without it the same CR does run it (so the test
// can fail).
func TestMarkUnsafeWithAnsible(t *testing.T) {
	const payload = "{{ lookup('pipe', 'echo pwned') }}"
	const playbook = `
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the motd
      ansible.builtin.copy:
        content: "{{ motd }}"
        dest: "{{ playbook_dir }}/motd.txt"
        mode: "0600"
    - name: Write a banner from a list in the spec
      ansible.builtin.copy:
        content: "{{ banners[0].text }}"
        dest: "{{ playbook_dir }}/banner.txt"
        mode: "0600"
    - name: Write the motd from the object variable
      ansible.builtin.copy:
        content: "{{ _app_theforeman_org_foreman.spec.motd }}"
        dest: "{{ playbook_dir }}/object.txt"
        mode: "0600"
`
	cr := foremanWithSpec(map[string]any{
		"motd":    payload,
		"banners": []any{map[string]any{"text": payload}},
	})

	tests := []struct {
		name       string
		markUnsafe bool
		want       string
	}{
		{"with markUnsafe the Jinja in the CR comes out as written", true, payload},
		{"without markUnsafe Ansible runs the Jinja in the CR", false, "pwned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars, err := Build(Input{Object: cr, SnakeCase: true, MarkUnsafe: tt.markUnsafe})
			if err != nil {
				t.Fatalf("Build() error: %v", err)
			}
			dir := runPlaybook(t, playbook, vars)
			for _, file := range []string{"motd.txt", "banner.txt", "object.txt"} {
				got := readFile(t, filepath.Join(dir, file))
				if got != tt.want {
					t.Errorf("%s = %q, want %q", file, got, tt.want)
				}
			}
		})
	}
}

// TestReservedNamesCoverInstalledAnsible asks the installed Ansible which
// variables it sets itself and which globals its templates have, and checks that
// a spec key can set none of them.
func TestReservedNamesCoverInstalledAnsible(t *testing.T) {
	const role = `
- name: Write the names of all variables
  ansible.builtin.copy:
    content: "{{ vars.keys() | list | to_json }}"
    dest: "{{ playbook_dir }}/vars.json"
    mode: "0600"
`
	// Magic variables such as role_path exist only inside a role.
	roleDir := filepath.Join(t.TempDir(), "dump")
	if err := os.MkdirAll(filepath.Join(roleDir, "tasks"), 0o700); err != nil {
		t.Fatalf("create role: %v", err)
	}
	if err := os.WriteFile(filepath.Join(roleDir, "tasks", "main.yml"), []byte(role), 0o600); err != nil {
		t.Fatalf("write role: %v", err)
	}
	playbook := fmt.Sprintf(`
- hosts: localhost
  gather_facts: false
  roles:
    - role: %q
`, roleDir)

	dir := runPlaybook(t, playbook, map[string]any{"user_var": "x"})
	var names []string
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "vars.json"))), &names); err != nil {
		t.Fatalf("decode variable names: %v", err)
	}
	if !slices.Contains(names, "user_var") || !slices.Contains(names, "role_path") {
		t.Fatalf("Ansible's variables lack the extra var or role_path, so the dump did not work: %v", names)
	}

	globals, err := exec.CommandContext(t.Context(), "/usr/bin/python3", "-c",
		"import json; from ansible.template import Templar; from ansible.parsing.dataloader import DataLoader; "+
			"print(json.dumps(sorted(Templar(loader=DataLoader()).environment.globals)))").Output()
	if err != nil {
		t.Fatalf("list Ansible's template globals: %v", err)
	}
	var globalNames []string
	if err := json.Unmarshal(globals, &globalNames); err != nil {
		t.Fatalf("decode template globals: %v", err)
	}
	if !slices.Contains(globalNames, "lookup") {
		t.Fatalf("Ansible's template globals lack lookup, so the listing did not work: %v", globalNames)
	}

	for _, name := range append(names, globalNames...) {
		if name == "user_var" {
			continue
		}
		if reservedReason(name, "_app_theforeman_org_foreman") == "" {
			t.Errorf("Ansible sets %q, but a spec key may set it too; add it to reservedNames", name)
		}
	}
}
