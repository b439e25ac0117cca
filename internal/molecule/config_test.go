package molecule

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func TestInterpolate(t *testing.T) {
	env := map[string]string{"NAME": "default", "EMPTY": "", "DIR": "/work"}
	for name, tt := range map[string]struct {
		in, want, err string
	}{
		"A braced variable is substituted":                {in: "ns: molecule-${NAME}", want: "ns: molecule-default"},
		"A bare variable is substituted":                  {in: "dir: $DIR/roles", want: "dir: /work/roles"},
		"An unset variable is empty":                      {in: "x: ${UNSET}y", want: "x: y"},
		"The :- default replaces unset and empty":         {in: "${UNSET:-a} ${EMPTY:-b} ${NAME:-c}", want: "a b default"},
		"The - default replaces only unset":               {in: "${UNSET-a} [${EMPTY-b}]", want: "a []"},
		"An empty default is allowed":                     {in: "image: \"${UNSET:-}\"", want: "image: \"\""},
		"Two dollars are one":                             {in: "cost: $$5 $${NAME}", want: "cost: $5 ${NAME}"},
		"A dollar before no name stays":                   {in: "a $ b $1", want: "a $ b $1"},
		"Jinja is left alone":                             {in: "x: \"{{ lookup('env', 'HOME') }}\"", want: "x: \"{{ lookup('env', 'HOME') }}\""},
		"An unclosed brace is an error naming the line":   {in: "a: 1\nb: ${NAME", err: "line 2: ${ without a closing }"},
		"An invalid name is an error naming the variable": {in: "a: ${1X}", err: "invalid substitution ${1X}"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Interpolate(tt.in, env)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMergeIsMolecules(t *testing.T) {
	base := map[string]any{"a": map[string]any{"x": 1, "keep": true, "list": []any{1, 2}}, "b": "base"}
	over := map[string]any{"a": map[string]any{"x": 2, "list": []any{3}}, "c": "new"}
	want := map[string]any{"a": map[string]any{"x": 2, "keep": true, "list": []any{3}}, "b": "base", "c": "new"}
	if diff := cmp.Diff(want, Merge(base, over)); diff != "" {
		t.Errorf("maps merge deeply, lists are replaced (-want +got):\n%s", diff)
	}
	if base["a"].(map[string]any)["x"] != 1 {
		t.Error("Merge changed its input")
	}
}

func TestLoad(t *testing.T) {
	project, _ := filepath.Abs(filepath.Join("testdata", "project"))
	for name, tt := range map[string]struct {
		scenario string
		err      string
	}{
		"Molecule 5's delegated driver is refused, naming Molecule 6's": {"delegated", "delegated is Molecule 5's name; Molecule 6 calls it default"},
		"A key outside Molecule 6's schema is refused":                  {"unknown-key", `unknown field "lint"`},
		"A scenario named apart from its directory is refused":          {"renamed", `scenario.name: "something-else", but the directory is molecule/renamed`},
		"Inventory links, which this runner lacks, are refused":         {"links", "provisioner.inventory.links: not implemented"},
		"An action this runner lacks is refused":                        {"bad-sequence", `scenario.test_sequence: "lint" is not an action`},
		"A missing scenario is an error":                                {"absent", "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(project, tt.scenario, t.TempDir(), nil)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}

	t.Run("The scenario merges over the base, interpolated", func(t *testing.T) {
		eph := t.TempDir()
		s, err := Load(project, "good", eph, map[string]string{"SCENARIO_VALUE": "the environment"})
		if err != nil {
			t.Fatal(err)
		}
		vars := s.Config.Provisioner.Inventory.GroupVars["all"]
		want := map[string]any{"base_only": "kept", "overridden": "by the environment", "listed": []any{"c"}, "dollar": "$HOME"}
		if diff := cmp.Diff(want, vars); diff != "" {
			t.Errorf("group_vars.all (-want +got):\n%s", diff)
		}
		if got := s.Config.Provisioner.Env["FROM_BASE"]; got != "good" {
			t.Errorf("the base's ${MOLECULE_SCENARIO_NAME} became %q, want good", got)
		}
		if got := s.Playbook("converge"); got != filepath.Join(project, "molecule", "shared", "converge.yml") {
			t.Errorf("converge playbook %q, want provisioner.playbooks.converge, relative to the scenario", got)
		}
		if got := s.Playbook("prepare"); got != "" {
			t.Errorf("prepare playbook %q, want none: the scenario has no prepare.yml", got)
		}
		seq, err := s.Sequence("test")
		if err != nil || !slices.Equal(seq, []string{"create", "converge", "idempotence", "verify", "destroy"}) {
			t.Errorf("test sequence %v, %v", seq, err)
		}
		if seq, _ := s.Sequence("converge"); !slices.Equal(seq, []string{"dependency", "create", "prepare", "converge"}) {
			t.Errorf("converge sequence %v", seq)
		}
		if _, err := s.Sequence("login"); err == nil {
			t.Error("an unknown command was accepted")
		}
	})
}

func TestScenariosListsDefaultFirst(t *testing.T) {
	got, err := Scenarios(filepath.Join("testdata", "project"))
	want := []string{"bad-sequence", "delegated", "good", "links", "renamed", "unknown-key"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v, %v; want %v (shared/ has no molecule.yml)", got, err, want)
	}
}

func TestTheDefaultTestSequenceIsMolecule6s(t *testing.T) {
	want := []string{"dependency", "cleanup", "destroy", "syntax", "create", "prepare", "converge",
		"idempotence", "side_effect", "verify", "cleanup", "destroy"}
	if !slices.Equal(DefaultTestSequence, want) {
		t.Errorf("default test sequence %v", DefaultTestSequence)
	}
}

func TestTheInventoryIsMolecules(t *testing.T) {
	project, _ := filepath.Abs(filepath.Join("testdata", "project"))
	s, err := Load(project, "good", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	inv := s.Inventory()
	data, _ := yaml.Marshal(inv)
	all := inv["all"].(map[string]any)
	if h := all["hosts"].(map[string]any)["cluster"]; !cmp.Equal(h, map[string]any{"ansible_connection": "local"}) {
		t.Errorf("host cluster %v, want its host_vars", h)
	}
	vars := all["vars"].(map[string]any)
	if vars["base_only"] != "kept" || vars["molecule_ephemeral_directory"] == nil {
		t.Errorf("all.vars lacks group_vars.all or Molecule's own variables:\n%s", data)
	}
	children := all["children"].(map[string]any)
	if _, ok := children["ungrouped"].(map[string]any)["hosts"].(map[string]any)["cluster"]; !ok {
		t.Errorf("a platform without groups is not ungrouped:\n%s", data)
	}
	if v := children["workers"].(map[string]any)["vars"]; !cmp.Equal(v, map[string]any{"queue": "default"}) {
		t.Errorf("group workers vars %v", v)
	}
}

func TestAnsibleConfig(t *testing.T) {
	project, _ := filepath.Abs(filepath.Join("testdata", "project"))
	s, err := Load(project, "good", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.AnsibleConfig("/eph/plugins/callback")
	for _, want := range []string{
		"[defaults]\n",
		"callback_result_format = yaml\n",
		"callbacks_enabled = " + StatsCallback + "\n",
		"callback_plugins = /eph/plugins/callback:",
		"retry_files_enabled = False\n",
		"[ssh_connection]\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("ansible.cfg lacks %q:\n%s", want, cfg)
		}
	}
	s.Config.Provisioner.ConfigOptions["defaults"]["callbacks_enabled"] = "ansible.posix.profile_tasks"
	if cfg := s.AnsibleConfig("/x"); !strings.Contains(cfg, "callbacks_enabled = "+StatsCallback+",ansible.posix.profile_tasks\n") {
		t.Errorf("the scenario's callbacks are not kept beside the runner's:\n%s", cfg)
	}
}

func TestOptionArgs(t *testing.T) {
	got := OptionArgs(map[string]any{"diff": true, "vvv": true, "check": false, "extra-vars": "a=b", "e": "x=1", "limit": nil})
	want := []string{"--diff", "-e=x=1", "--extra-vars=a=b", "-vvv"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.json")
	for name, tt := range map[string]struct {
		json string
		err  string
	}{
		"Nothing changed: idempotent": {json: `{"hosts": {"localhost": {"ok": 5, "changed": 0}}, "changed": []}`},
		"A changed task is named with its file": {
			json: `{"hosts": {"localhost": {"ok": 5, "changed": 1}}, "changed": [{"host": "localhost", "task": "Touch", "path": "/p/converge.yml:7"}]}`,
			err:  `not idempotent: the second converge changed 1 task(s): "Touch" on localhost (/p/converge.yml:7)`,
		},
		"Changes on every host count": {
			json: `{"hosts": {"a": {"changed": 1}, "b": {"changed": 2}}, "changed": []}`,
			err:  "changed 3 task(s)",
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := ReadStats(path)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Idempotent()
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("got %v, want %q", err, tt.err)
			}
		})
	}
	if _, err := ReadStats(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), StatsCallback) {
		t.Errorf("missing statistics: %v, want an error naming the callback", err)
	}
}
