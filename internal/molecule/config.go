package molecule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// BaseConfig is where Molecule finds a project's shared configuration,
// relative to the project (the VCS root).
const BaseConfig = ".config/molecule/config.yml"

// Config is a scenario's molecule.yml merged over the base configuration:
// the part of Molecule 6's schema this runner implements. Unknown keys are
// refused when it is decoded.
type Config struct {
	Dependency    Dependency   `json:"dependency"`
	Driver        Driver       `json:"driver"`
	Platforms     []Platform   `json:"platforms"`
	Provisioner   Provisioner  `json:"provisioner"`
	Scenario      ScenarioSpec `json:"scenario"`
	Verifier      Verifier     `json:"verifier"`
	Log           *bool        `json:"log,omitempty"`
	Prerun        *bool        `json:"prerun,omitempty"`
	RoleNameCheck *int         `json:"role_name_check,omitempty"`
	SharedState   *bool        `json:"shared_state,omitempty"`
}

// Dependency installs roles and collections before a run (Molecule's galaxy
// or shell dependency). This runner leaves it to what is installed.
type Dependency struct {
	Name    string            `json:"name"`
	Enabled *bool             `json:"enabled,omitempty"`
	Command string            `json:"command,omitempty"`
	Options map[string]any    `json:"options,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// Driver provisions the instances; only Molecule 6's default driver, which
// works against what exists (here, a cluster), is supported.
type Driver struct {
	Name      string         `json:"name"`
	Options   *DriverOptions `json:"options,omitempty"`
	SafeFiles []string       `json:"safe_files,omitempty"`
}

// DriverOptions of the default driver.
type DriverOptions struct {
	Managed                  *bool             `json:"managed,omitempty"`
	AnsibleConnectionOptions map[string]string `json:"ansible_connection_options,omitempty"`
	LoginCmdTemplate         string            `json:"login_cmd_template,omitempty"`
}

// Managed reports whether create and destroy run (Molecule's default: yes).
func (d Driver) Managed() bool {
	return d.Options == nil || d.Options.Managed == nil || *d.Options.Managed
}

// Platform is an instance: its name and groups; other keys are the
// driver's, as Molecule allows.
type Platform map[string]any

// Name of the instance.
func (p Platform) Name() string { s, _ := p["name"].(string); return s }

// Groups the instance is in.
func (p Platform) Groups() []string {
	var out []string
	if gs, ok := p["groups"].([]any); ok {
		for _, g := range gs {
			if s, ok := g.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// Provisioner is Ansible, and how it is run.
type Provisioner struct {
	Name              string                    `json:"name"`
	Log               *bool                     `json:"log,omitempty"`
	ConfigOptions     map[string]map[string]any `json:"config_options,omitempty"`
	ConnectionOptions map[string]any            `json:"connection_options,omitempty"`
	Options           map[string]any            `json:"options,omitempty"`
	Env               map[string]string         `json:"env,omitempty"`
	Inventory         Inventory                 `json:"inventory"`
	Playbooks         map[string]string         `json:"playbooks,omitempty"`
	AnsibleArgs       []string                  `json:"ansible_args,omitempty"`
}

// Inventory additions: hosts merged over the generated inventory, and
// variables of groups and hosts.
type Inventory struct {
	Hosts     map[string]any            `json:"hosts,omitempty"`
	HostVars  map[string]map[string]any `json:"host_vars,omitempty"`
	GroupVars map[string]map[string]any `json:"group_vars,omitempty"`
	Links     map[string]string         `json:"links,omitempty"`
}

// ScenarioSpec names the scenario and its sequences.
type ScenarioSpec struct {
	Name               string   `json:"name,omitempty"`
	TestSequence       []string `json:"test_sequence,omitempty"`
	CheckSequence      []string `json:"check_sequence,omitempty"`
	CleanupSequence    []string `json:"cleanup_sequence,omitempty"`
	ConvergeSequence   []string `json:"converge_sequence,omitempty"`
	CreateSequence     []string `json:"create_sequence,omitempty"`
	DependencySequence []string `json:"dependency_sequence,omitempty"`
	DestroySequence    []string `json:"destroy_sequence,omitempty"`
	IdempotenceSeq     []string `json:"idempotence_sequence,omitempty"`
	PrepareSequence    []string `json:"prepare_sequence,omitempty"`
	SideEffectSequence []string `json:"side_effect_sequence,omitempty"`
	SyntaxSequence     []string `json:"syntax_sequence,omitempty"`
	VerifySequence     []string `json:"verify_sequence,omitempty"`
}

// Verifier runs verify; only Ansible's.
type Verifier struct {
	Name    string            `json:"name"`
	Enabled *bool             `json:"enabled,omitempty"`
	Options map[string]any    `json:"options,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// Scenario is one molecule/<name>/ directory of a project, configured.
type Scenario struct {
	Name      string
	Dir       string // molecule/<name>, absolute
	Project   string // the project's root, absolute
	Ephemeral string // the scenario's state directory
	Config    Config
}

// Playbooks are the actions that run a playbook, with the file Molecule
// looks for when provisioner.playbooks does not name one.
var Playbooks = []string{"cleanup", "create", "converge", "destroy", "prepare", "side_effect", "verify"}

// Scenarios lists the scenarios of a project: molecule/*/molecule.yml,
// default first, then by name.
func Scenarios(project string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(project, "molecule", "*", "molecule.yml"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(filepath.Dir(f)))
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "default") != (names[j] == "default") {
			return names[i] == "default"
		}
		return names[i] < names[j]
	})
	return names, nil
}

// Env is the MOLECULE_* environment of a scenario, as Molecule exports it
// to interpolation and to every playbook.
func Env(project, name, ephemeral string) map[string]string {
	dir := filepath.Join(project, "molecule", name)
	return map[string]string{
		"MOLECULE_PROJECT_DIRECTORY":       project,
		"MOLECULE_SCENARIO_DIRECTORY":      dir,
		"MOLECULE_SCENARIO_NAME":           name,
		"MOLECULE_FILE":                    filepath.Join(dir, "molecule.yml"),
		"MOLECULE_EPHEMERAL_DIRECTORY":     ephemeral,
		"MOLECULE_INVENTORY_FILE":          filepath.Join(ephemeral, "inventory", "ansible_inventory.yml"),
		"MOLECULE_INSTANCE_CONFIG":         filepath.Join(ephemeral, "instance_config.yml"),
		"MOLECULE_STATE_FILE":              filepath.Join(ephemeral, "state.yml"),
		"MOLECULE_ENV_FILE":                filepath.Join(project, ".env.yml"),
		"MOLECULE_DRIVER_NAME":             "default",
		"MOLECULE_VERIFIER_TEST_DIRECTORY": filepath.Join(dir, "tests"),
	}
}

// Load reads scenario name of project: the base configuration, if the
// project has one, with molecule/<name>/molecule.yml merged over it, both
// interpolated with env (the MOLECULE_* variables of Env added), then
// checked.
func Load(project, name, ephemeral string, env map[string]string) (*Scenario, error) {
	project, err := filepath.Abs(project)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	for k, v := range Env(project, name, ephemeral) {
		vars[k] = v
	}
	merged := map[string]any{}
	for _, path := range []string{filepath.Join(project, BaseConfig), filepath.Join(project, "molecule", name, "molecule.yml")} {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && path != filepath.Join(project, "molecule", name, "molecule.yml") {
			continue
		}
		if err != nil {
			return nil, err
		}
		text, err := Interpolate(string(data), vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		merged = Merge(merged, m)
	}
	cfg, err := decode(merged)
	if err != nil {
		return nil, fmt.Errorf("scenario %s (molecule.yml over %s): %w", name, BaseConfig, err)
	}
	s := &Scenario{Name: name, Dir: filepath.Join(project, "molecule", name), Project: project, Ephemeral: ephemeral, Config: *cfg}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	return s, nil
}

// Merge merges b over a as Molecule merges configurations: maps deeply,
// anything else (lists included) replaced.
func Merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		am, aok := out[k].(map[string]any)
		bm, bok := v.(map[string]any)
		if aok && bok {
			out[k] = Merge(am, bm)
			continue
		}
		out[k] = v
	}
	return out
}

func decode(m map[string]any) (*Config, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	cfg := &Config{}
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("not Molecule 6's schema: %w", err)
	}
	return cfg, nil
}

// Actions of Molecule's sequences.
var actions = []string{"dependency", "cleanup", "destroy", "syntax", "create", "prepare", "converge", "idempotence", "side_effect", "verify"}

func (s *Scenario) check() error {
	c := s.Config
	var errs []error
	switch c.Driver.Name {
	case "default":
	case "delegated":
		errs = append(errs, errors.New("driver.name: delegated is Molecule 5's name; Molecule 6 calls it default"))
	default:
		errs = append(errs, fmt.Errorf("driver.name: %q: this runner implements only the default driver", c.Driver.Name))
	}
	if len(c.Platforms) == 0 {
		errs = append(errs, errors.New("platforms: at least one is required"))
	}
	for i, p := range c.Platforms {
		if p.Name() == "" {
			errs = append(errs, fmt.Errorf("platforms[%d]: name is required", i))
		}
	}
	if c.Provisioner.Name != "" && c.Provisioner.Name != "ansible" {
		errs = append(errs, fmt.Errorf("provisioner.name: %q, want ansible", c.Provisioner.Name))
	}
	if c.Verifier.Name != "" && c.Verifier.Name != "ansible" {
		errs = append(errs, fmt.Errorf("verifier.name: %q: this runner implements only the ansible verifier", c.Verifier.Name))
	}
	if c.Dependency.Name != "" && c.Dependency.Name != "galaxy" && c.Dependency.Name != "shell" {
		errs = append(errs, fmt.Errorf("dependency.name: %q, want galaxy or shell", c.Dependency.Name))
	}
	if c.Scenario.Name != "" && c.Scenario.Name != s.Name {
		errs = append(errs, fmt.Errorf("scenario.name: %q, but the directory is molecule/%s", c.Scenario.Name, s.Name))
	}
	if len(c.Provisioner.Inventory.Links) > 0 {
		errs = append(errs, errors.New("provisioner.inventory.links: not implemented by this runner; use hosts, group_vars and host_vars"))
	}
	for k := range c.Provisioner.Playbooks {
		if !slices.Contains(Playbooks, k) {
			errs = append(errs, fmt.Errorf("provisioner.playbooks.%s: not an action with a playbook (%s)", k, strings.Join(Playbooks, ", ")))
		}
	}
	for key, seq := range c.Scenario.sequences() {
		for _, a := range seq {
			if !slices.Contains(actions, a) {
				errs = append(errs, fmt.Errorf("scenario.%s: %q is not an action this runner implements (%s)", key, a, strings.Join(actions, ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

func (sc ScenarioSpec) sequences() map[string][]string {
	return map[string][]string{
		"test_sequence": sc.TestSequence, "check_sequence": sc.CheckSequence, "cleanup_sequence": sc.CleanupSequence,
		"converge_sequence": sc.ConvergeSequence, "create_sequence": sc.CreateSequence, "dependency_sequence": sc.DependencySequence,
		"destroy_sequence": sc.DestroySequence, "idempotence_sequence": sc.IdempotenceSeq, "prepare_sequence": sc.PrepareSequence,
		"side_effect_sequence": sc.SideEffectSequence, "syntax_sequence": sc.SyntaxSequence, "verify_sequence": sc.VerifySequence,
	}
}

// Playbook is the playbook of action, or "" when the scenario has none.
func (s *Scenario) Playbook(action string) string {
	p := s.Config.Provisioner.Playbooks[action]
	if p == "" {
		p = action + ".yml"
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(s.Dir, p)
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return filepath.Clean(p)
}

// DefaultTestSequence is Molecule 6's.
var DefaultTestSequence = []string{"dependency", "cleanup", "destroy", "syntax", "create", "prepare", "converge",
	"idempotence", "side_effect", "verify", "cleanup", "destroy"}

// Sequence is what a Molecule command runs.
func (s *Scenario) Sequence(command string) ([]string, error) {
	sc := s.Config.Scenario
	pick := func(custom, def []string) []string {
		if len(custom) > 0 {
			return custom
		}
		return def
	}
	switch command {
	case "test":
		return pick(sc.TestSequence, DefaultTestSequence), nil
	case "converge":
		return pick(sc.ConvergeSequence, []string{"dependency", "create", "prepare", "converge"}), nil
	case "create":
		return pick(sc.CreateSequence, []string{"dependency", "create", "prepare"}), nil
	case "destroy":
		return pick(sc.DestroySequence, []string{"dependency", "cleanup", "destroy"}), nil
	case "cleanup", "dependency", "syntax", "prepare", "idempotence", "side_effect", "verify":
		return []string{command}, nil
	}
	return nil, fmt.Errorf("command %q: want test, converge, create, prepare, idempotence, side_effect, verify, cleanup, destroy, syntax or dependency", command)
}
