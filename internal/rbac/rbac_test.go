package rbac

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// committed reads the rules of the Role in config/rbac/<file>.
func committed(t *testing.T, file string) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testrepo.Root(t), "config", "rbac", file))
	if err != nil {
		t.Fatal(err)
	}
	role, err := ReadRole(data)
	if err != nil {
		t.Fatalf("config/rbac/%s: %v", file, err)
	}
	return role.Rules
}

func TestConfigRBACGrantsExactlyWhatTheOperatorUses(t *testing.T) {
	p, err := Derive(testrepo.Root(t))
	if err != nil {
		t.Fatalf("Derive the permissions: %v", err)
	}
	for file, rules := range map[string][]Rule{"role.yaml": p.Manager, "leader_election_role.yaml": p.LeaderElection} {
		missing, unused := Compare(committed(t, file), rules)
		for _, m := range missing {
			t.Errorf("config/rbac/%s does not grant %s: run `make manifests`", file, m)
		}
		for _, u := range unused {
			t.Errorf("config/rbac/%s grants %s, which nothing uses: run `make manifests`", file, u)
		}
	}
}

// TestTheRolesNeedWhatTheDesignSays pins a few rules against the design: a
// Role of plain verbs, the workloads and their configuration, nothing that
// runs commands in pods, nothing cluster-scoped.
func TestTheRolesNeedWhatTheDesignSays(t *testing.T) {
	p, err := Derive(testrepo.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	need := map[string]bool{}
	for _, g := range Needed(p.Manager) {
		need[g.String()] = true
		if why := Policy(g); why != "" {
			t.Errorf("%s: %s", g, why)
		}
	}
	for _, want := range []string{
		"create apps deployments", "delete apps deployments", "patch apps statefulsets", "create batch jobs",
		"create core secrets", "patch core persistentvolumeclaims", "watch app.theforeman.org foremen",
		"patch app.theforeman.org foremen/status", "update app.theforeman.org foremen/finalizers", "create core events",
	} {
		if !need[want] {
			t.Errorf("the derived Role lacks %s", want)
		}
	}
	// Claims hold data and are never deleted; Secrets are, but only the
	// configuration Secrets a role made (Katello's, when it is turned off):
	// cleanup.yml names them, never a generated or user Secret.
	for _, never := range []string{"delete core persistentvolumeclaims", "create core pods", "update apps deployments"} {
		if need[never] {
			t.Errorf("the derived Role has %s, which no role or code does", never)
		}
	}
}

// fixture copies what Derive reads (watches.yaml, roles/, the CRDs) into a
// temporary repository and adds files to it.
func fixture(t *testing.T, add map[string]string) string {
	t.Helper()
	src, dir := testrepo.Root(t), t.TempDir()
	for _, sub := range []string{"roles", filepath.Join("config", "crd", "bases")} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(src, sub))); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(src, "watches.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	add["watches.yaml"] = string(data)
	for name, content := range add {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A role that starts using an API that config/rbac does not grant makes the
// comparison fail, naming the API and the file that needs it.
func TestARoleThatStartsUsingAnUngrantedAPIIsCaught(t *testing.T) {
	const tasks = "roles/foreman/tasks/extra.yml"
	cases := []struct {
		name  string
		add   map[string]string
		wants []string // substrings of missing grants
	}{
		{
			name: "a task that applies a new kind",
			add: map[string]string{tasks: `
- name: extra | Apply a NetworkPolicy
  kubernetes.core.k8s:
    state: present
    apply: true
    definition:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: x, namespace: y}
`},
			wants: []string{"create networking.k8s.io networkpolicies, needed by " + tasks, "patch networking.k8s.io networkpolicies"},
		},
		{
			name: "a template of a new kind",
			add: map[string]string{"roles/foreman/templates/poddisruptionbudget/web.yaml.j2": `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ __foreman_instance }}-web
`},
			wants: []string{"create policy poddisruptionbudgets, needed by roles/foreman/templates/poddisruptionbudget/web.yaml.j2"},
		},
		{
			name: "a lookup that reads a new kind",
			add: map[string]string{tasks: `
- name: extra | Read the Pods
  ansible.builtin.set_fact:
    __pods: "{{ query('kubernetes.core.k8s', api_version='v1', kind='Pod', namespace=ns) }}"
`},
			wants: []string{"list core pods, needed by " + tasks},
		},
		{
			name: "a task that deletes a kind the role only applied",
			add: map[string]string{tasks: `
- name: extra | Delete a claim
  kubernetes.core.k8s:
    state: absent
    api_version: v1
    kind: PersistentVolumeClaim
    namespace: "{{ ns }}"
    name: old
`},
			wants: []string{"delete core persistentvolumeclaims"},
		},
		{
			name: "a task that replaces templated objects",
			add: map[string]string{tasks: `
- name: extra | Replace the web Deployment
  kubernetes.core.k8s:
    state: present
    force: true
    definition: "{{ lookup('ansible.builtin.template', 'deployment/web.yaml.j2') | from_yaml }}"
`},
			wants: []string{"update apps deployments"},
		},
		{
			name: "a loop over kinds it deletes",
			add: map[string]string{tasks: `
- name: extra | Delete old objects
  kubernetes.core.k8s:
    state: absent
    api_version: "{{ item.api_version }}"
    kind: "{{ item.kind }}"
    name: "{{ item.name }}"
  loop: "{{ [{'api_version': 'autoscaling/v2', 'kind': 'HorizontalPodAutoscaler', 'name': 'x'}] }}"
`},
			wants: []string{"delete autoscaling horizontalpodautoscalers"},
		},
		{
			name: "a loop over kinds a set_fact listed",
			add: map[string]string{tasks: `
- name: extra | List old objects
  ansible.builtin.set_fact:
    __old: "{{ [{'api_version': 'autoscaling/v2', 'kind': 'HorizontalPodAutoscaler', 'name': 'x'}] }}"

- name: extra | Delete old objects
  kubernetes.core.k8s:
    state: absent
    api_version: "{{ item.api_version }}"
    kind: "{{ item.kind }}"
    name: "{{ item.name }}"
  loop: "{{ __old | rejectattr('kind', 'equalto', 'Secret') | list }}"
`},
			wants: []string{"delete autoscaling horizontalpodautoscalers"},
		},
		{
			name: "a command in a pod",
			add: map[string]string{tasks: `
- name: extra | Run rake
  kubernetes.core.k8s_exec:
    namespace: "{{ ns }}"
    pod: web
    command: foreman-rake db:migrate
`},
			wants: []string{"create core pods/exec"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Derive(fixture(t, c.add))
			if err != nil {
				t.Fatalf("Derive: %v", err)
			}
			missing, _ := Compare(committed(t, "role.yaml"), p.Manager)
			for _, want := range c.wants {
				if !slices.ContainsFunc(missing, func(m string) bool { return strings.Contains(m, want) }) {
					t.Errorf("missing grants %q lack %q", missing, want)
				}
			}
		})
	}
}

func TestTheDerivationRefusesWhatItCannotRead(t *testing.T) {
	const tasks = "roles/foreman/tasks/extra.yml"
	cases := []struct {
		name, file, content, want string
	}{
		{"a kind from a variable", tasks, `
- name: extra | Apply something
  kubernetes.core.k8s:
    state: patched
    definition: "{{ __something }}"
`, `task "extra | Apply something": cannot tell which kind it acts on`},
		{"a delete of templated objects", tasks, `
- name: extra | Delete the templates
  kubernetes.core.k8s:
    state: absent
    definition: "{{ lookup('ansible.builtin.template', 'deployment/web.yaml.j2') }}"
`, "cannot tell which kind it acts on"},
		{"a lookup of a variable kind", tasks, `
- name: extra | Read something
  ansible.builtin.set_fact:
    x: "{{ query('kubernetes.core.k8s', api_version='v1', kind=some_kind) }}"
`, "give api_version and kind as quoted literals"},
		{"a module it does not know", tasks, `
- name: extra | Install a chart
  kubernetes.core.helm:
    name: x
    chart_ref: y
`, "module helm: its API calls are unknown"},
		{"free-form arguments", tasks, `
- name: extra | Free form
  kubernetes.core.k8s: state=absent kind=Pod name=x
`, "give its arguments as a YAML mapping"},
		{"a template whose kind is templated", "roles/foreman/templates/x/y.yaml.j2", `
apiVersion: v1
kind: {{ some_kind }}
`, "want one literal apiVersion and kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Derive(fixture(t, map[string]string{c.file: c.content}))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Derive error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestPolicyRefusesWildcardsExecAndEscalation(t *testing.T) {
	cases := []struct {
		name  string
		grant Grant
		ok    bool
	}{
		{"a verb on a named resource is allowed", Grant{"apps", "deployments", "patch"}, true},
		{"a wildcard verb is refused", Grant{"apps", "deployments", "*"}, false},
		{"a wildcard resource is refused", Grant{"", "*", "get"}, false},
		{"a wildcard group is refused", Grant{"*", "secrets", "get"}, false},
		{"pods/exec is refused", Grant{"", "pods/exec", "create"}, false},
		{"pods/attach is refused", Grant{"", "pods/attach", "create"}, false},
		{"escalate is refused", Grant{"rbac.authorization.k8s.io", "roles", "escalate"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Policy(c.grant) == ""; got != c.ok {
				t.Errorf("Policy(%s) = %q", c.grant, Policy(c.grant))
			}
		})
	}
}

// config/rbac holds Roles only: running in one namespace needs no
// ClusterRole, and nothing it grants is against the policy.
func TestConfigRBACIsNamespacedAndWithinPolicy(t *testing.T) {
	dir := filepath.Join(testrepo.Root(t), "config", "rbac")
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	for _, r := range k.Resources {
		raw, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			t.Fatal(err)
		}
		var obj struct {
			Kind  string              `json:"kind"`
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if strings.HasPrefix(obj.Kind, "Cluster") {
			t.Errorf("config/rbac/%s is a %s: one namespace must need no cluster-scoped RBAC", r, obj.Kind)
		}
		for _, g := range Grants(obj.Rules) {
			if why := Policy(g); why != "" {
				t.Errorf("config/rbac/%s grants %s: %s", r, g, why)
			}
		}
	}
}

func TestK8sLookupArguments(t *testing.T) {
	cases := []struct {
		name, text string
		want       []map[string]string
	}{
		{"one lookup with keyword arguments",
			`{{ query('kubernetes.core.k8s', api_version='apps/v1', kind='Deployment', namespace=ns, label_selector=sel ~ ',a=b') }}`,
			[]map[string]string{{"api_version": "'apps/v1'", "kind": "'Deployment'", "namespace": "ns", "label_selector": "sel ~ ',a=b'"}}},
		{"parentheses and commas inside arguments",
			`{{ lookup("k8s", kind="Secret", api_version="v1", resource_name=(x | default('a,b'))) | length }}`,
			[]map[string]string{{"kind": `"Secret"`, "api_version": `"v1"`, "resource_name": "(x | default('a,b'))"}}},
		{"two lookups", `{{ query('k8s', kind='A', api_version='v1') + query('kubernetes.core.k8s', kind='B', api_version='v1') }}`,
			[]map[string]string{{"kind": "'A'", "api_version": "'v1'"}, {"kind": "'B'", "api_version": "'v1'"}}},
		{"another lookup is ignored", `{{ lookup('ansible.builtin.env', 'HOME') }}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := k8sLookups(c.text)
			if len(calls) != len(c.want) {
				t.Fatalf("found %d lookups %q, want %d", len(calls), calls, len(c.want))
			}
			for i, call := range calls {
				got := keywordArgs(call)
				for k, v := range c.want[i] {
					if got[k] != v {
						t.Errorf("lookup %d: %s = %q, want %q", i, k, got[k], v)
					}
				}
			}
		})
	}
}
