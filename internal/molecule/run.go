package molecule

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

// Options of a run of one scenario.
type Options struct {
	// Project is the repository root, holding molecule/ and .config/molecule.
	Project string
	// Scenario is the name of the directory under molecule/.
	Scenario string
	// Command is Molecule's: test (the default), converge, create, prepare,
	// idempotence, side_effect, verify, cleanup, destroy, syntax, dependency.
	Command string
	// Ephemeral is the scenario's state directory; EphemeralDir by default.
	Ephemeral string
	// Env is added to this process's environment (KEY=VALUE), for
	// interpolation and every playbook.
	Env []string
	// DestroyNever keeps what a failed test made (Molecule's --destroy never).
	DestroyNever bool
	// OnFailure is a playbook, relative to Project, run when a step fails,
	// before cleanup and destroy: the project's dump of what went wrong.
	OnFailure string
	// AnsiblePlaybook is the executable; /usr/bin/ansible-playbook by default.
	AnsiblePlaybook string
	// AnsibleArgs are added to every ansible-playbook command line.
	AnsibleArgs []string
	// Out receives the runner's and Ansible's output.
	Out io.Writer
}

// Step is one action of a run and how it went.
type Step struct {
	Action   string
	Playbook string // the playbook run, if any
	Skipped  string // why it did nothing, if it did nothing
	Duration time.Duration
	Err      error
}

// Report is what a run did.
type Report struct {
	Scenario string
	Steps    []Step
	Duration time.Duration
}

// String is a line per step with its duration.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s: %s\n", r.Scenario, r.Duration.Round(100*time.Millisecond))
	for _, s := range r.Steps {
		state := "ok"
		switch {
		case s.Err != nil:
			state = "FAILED"
		case s.Skipped != "":
			state = "skipped: " + s.Skipped
		}
		fmt.Fprintf(&b, "  %-12s %7s  %s\n", s.Action, s.Duration.Round(100*time.Millisecond), state)
	}
	return b.String()
}

// EphemeralDir is where a scenario's state lives between commands when
// Options.Ephemeral is empty: under the project's cache
// ($FOREMAN_OPERATOR_CACHE, else $XDG_CACHE_HOME/foreman-operator), one
// directory per checkout and scenario.
func EphemeralDir(project, scenario string) string {
	root := os.Getenv("FOREMAN_OPERATOR_CACHE")
	if root == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		root = filepath.Join(cache, "foreman-operator")
	}
	sum := sha256.Sum256([]byte(project))
	return filepath.Join(root, "molecule", filepath.Base(project)+"-"+hex.EncodeToString(sum[:])[:8], scenario)
}

// state is what Molecule records between commands.
type state struct {
	Created   bool `json:"created"`
	Prepared  bool `json:"prepared"`
	Converged bool `json:"converged"`
}

type run struct {
	o     Options
	s     *Scenario
	env   []string
	state state
}

// Run runs a Molecule command on one scenario and reports each step. The
// error names the step that failed; a failed test has already run the
// on-failure playbook, cleanup and destroy (unless DestroyNever).
func Run(ctx context.Context, o Options) (*Report, error) {
	start := time.Now()
	if o.Command == "" {
		o.Command = "test"
	}
	if o.AnsiblePlaybook == "" {
		o.AnsiblePlaybook = "/usr/bin/ansible-playbook"
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	project, err := filepath.Abs(o.Project)
	if err != nil {
		return nil, err
	}
	o.Project = project
	if o.Ephemeral == "" {
		o.Ephemeral = EphemeralDir(project, o.Scenario)
	}
	report := &Report{Scenario: o.Scenario}
	defer func() { report.Duration = time.Since(start) }()

	base := environ(os.Environ(), o.Env)
	s, err := Load(project, o.Scenario, o.Ephemeral, envMap(base))
	if err != nil {
		return report, err
	}
	seq, err := s.Sequence(o.Command)
	if err != nil {
		return report, err
	}
	if err := s.writeFiles(); err != nil {
		return report, fmt.Errorf("scenario %s: lay out %s: %w", s.Name, o.Ephemeral, err)
	}
	r := &run{o: o, s: s}
	r.env = r.environment(base)
	r.loadState()

	for _, action := range seq {
		step := r.step(ctx, action)
		report.Steps = append(report.Steps, step)
		if step.Err == nil {
			continue
		}
		failed := fmt.Errorf("scenario %s: %s: %w", s.Name, action, step.Err)
		if o.OnFailure != "" {
			r.printf("--> %s: %s failed; running %s\n", s.Name, action, o.OnFailure)
			if _, err := r.playbook(ctx, "on-failure", filepath.Join(project, o.OnFailure)); err != nil {
				r.printf("--> %s: %s: %v\n", s.Name, o.OnFailure, err)
			}
		}
		if o.Command == "test" && !o.DestroyNever {
			r.printf("--> %s: cleaning up after the failure\n", s.Name)
			for _, a := range []string{"cleanup", "destroy"} {
				st := r.step(ctx, a)
				report.Steps = append(report.Steps, st)
				if st.Err != nil {
					failed = errors.Join(failed, fmt.Errorf("scenario %s: %s after the failure: %w", s.Name, a, st.Err))
				}
			}
		}
		return report, failed
	}
	return report, nil
}

func (r *run) printf(format string, args ...any) { fmt.Fprintf(r.o.Out, format, args...) }

// step runs one action.
func (r *run) step(ctx context.Context, action string) Step {
	st := Step{Action: action}
	start := time.Now()
	r.printf("--> %s: %s\n", r.s.Name, action)
	st.Skipped, st.Playbook, st.Err = r.act(ctx, action)
	st.Duration = time.Since(start)
	if st.Skipped != "" {
		r.printf("    skipped: %s\n", st.Skipped)
	}
	return st
}

func (r *run) act(ctx context.Context, action string) (skipped, playbook string, err error) {
	c := r.s.Config
	switch action {
	case "dependency":
		if c.Dependency.Enabled != nil && !*c.Dependency.Enabled {
			return "disabled", "", nil
		}
		return "this runner uses the collections installed (Molecule's " + c.Dependency.Name + " step would install them)", "", nil
	case "syntax":
		pb := r.s.Playbook("converge")
		if pb == "" {
			return "", "", errors.New("no converge playbook")
		}
		_, err := r.playbook(ctx, action, pb, "--syntax-check")
		return "", pb, err
	case "create", "destroy":
		if !c.Driver.Managed() {
			return "the driver does not manage instances", "", nil
		}
		if action == "create" && r.state.Created {
			return "already created (destroy first)", "", nil
		}
		pb := r.s.Playbook(action)
		if pb != "" {
			if _, err := r.playbook(ctx, action, pb); err != nil {
				return "", pb, err
			}
		}
		if action == "create" {
			r.state.Created = true
		} else {
			r.state = state{}
			r.prune()
		}
		r.saveState()
		if pb == "" {
			return "no " + action + " playbook", "", nil
		}
		return "", pb, nil
	case "prepare":
		if r.state.Prepared {
			return "already prepared (destroy first)", "", nil
		}
		pb := r.s.Playbook(action)
		if pb != "" {
			if _, err := r.playbook(ctx, action, pb); err != nil {
				return "", pb, err
			}
		}
		r.state.Prepared = true
		r.saveState()
		if pb == "" {
			return "no prepare playbook", "", nil
		}
		return "", pb, nil
	case "converge":
		pb := r.s.Playbook(action)
		if pb == "" {
			return "", "", errors.New("no converge playbook")
		}
		if _, err := r.playbook(ctx, action, pb); err != nil {
			return "", pb, err
		}
		r.state.Converged = true
		r.saveState()
		return "", pb, nil
	case "idempotence":
		pb := r.s.Playbook("converge")
		if pb == "" {
			return "", "", errors.New("no converge playbook")
		}
		stats, err := r.playbook(ctx, action, pb, "--skip-tags", "molecule-idempotence-notest")
		if err != nil {
			return "", pb, fmt.Errorf("the second converge failed: %w", err)
		}
		if err := stats.Idempotent(); err != nil {
			return "", pb, err
		}
		r.printf("    idempotent: the second converge changed nothing\n")
		return "", pb, nil
	case "verify":
		if c.Verifier.Enabled != nil && !*c.Verifier.Enabled {
			return "the verifier is disabled", "", nil
		}
		fallthrough
	case "side_effect", "cleanup":
		pb := r.s.Playbook(action)
		if pb == "" {
			return "no " + action + " playbook", "", nil
		}
		_, err := r.playbook(ctx, action, pb)
		return "", pb, err
	}
	return "", "", fmt.Errorf("unknown action %q", action)
}

// playbook runs ansible-playbook on path with the scenario's inventory,
// configuration and environment, and returns what the statistics callback
// recorded.
func (r *run) playbook(ctx context.Context, action, path string, extra ...string) (*Stats, error) {
	statsFile := filepath.Join(r.o.Ephemeral, "stats.json")
	_ = os.Remove(statsFile)
	skip := "molecule-notest,notest"
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "--skip-tags" {
			skip += "," + extra[i+1]
			extra = append(extra[:i:i], extra[i+2:]...)
			break
		}
	}
	args := []string{"--inventory", filepath.Join(r.o.Ephemeral, "inventory"), "--skip-tags", skip}
	args = append(args, OptionArgs(r.s.Config.Provisioner.Options)...)
	args = append(args, r.s.Config.Provisioner.AnsibleArgs...)
	args = append(args, r.o.AnsibleArgs...)
	args = append(args, extra...)
	args = append(args, path)
	cmd := exec.CommandContext(ctx, r.o.AnsiblePlaybook, args...)
	cmd.Dir = r.o.Project
	cmd.Env = append(append([]string{}, r.env...), "FOREMAN_MOLECULE_STATS="+statsFile)
	if action == "verify" {
		cmd.Env = environ(cmd.Env, pairs(r.s.Config.Verifier.Env))
	}
	cmd.Stdout, cmd.Stderr = r.o.Out, r.o.Out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	// Something a playbook starts in the background may hold the output
	// pipe; the run is over when ansible-playbook is.
	cmd.WaitDelay = 10 * time.Second
	r.printf("    %s %s\n", filepath.Base(r.o.AnsiblePlaybook), strings.Join(args, " "))
	if err := cmd.Run(); err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		return nil, fmt.Errorf("ansible-playbook %s: %w", rel(r.o.Project, path), err)
	}
	if slices.Contains(extra, "--syntax-check") {
		return &Stats{}, nil
	}
	return ReadStats(statsFile)
}

// environment is what every playbook gets: this process's, the MOLECULE_*
// variables, provisioner.env, and the scenario's ansible.cfg.
func (r *run) environment(base []string) []string {
	env := environ(base, pairs(Env(r.s.Project, r.s.Name, r.o.Ephemeral)))
	env = environ(env, pairs(r.s.Config.Provisioner.Env))
	add := map[string]string{
		"ANSIBLE_CONFIG":   filepath.Join(r.o.Ephemeral, "ansible.cfg"),
		"PYTHONUNBUFFERED": "1",
		"ANSIBLE_NOCOLOR":  "1",
	}
	if _, ok := envMap(env)["ANSIBLE_FORCE_COLOR"]; ok {
		delete(add, "ANSIBLE_NOCOLOR")
	}
	return environ(env, pairs(add))
}

func (r *run) loadState() {
	data, err := os.ReadFile(filepath.Join(r.o.Ephemeral, "state.yml"))
	if err == nil {
		_ = yaml.Unmarshal(data, &r.state)
	}
}

func (r *run) saveState() {
	data, _ := yaml.Marshal(r.state)
	_ = os.WriteFile(filepath.Join(r.o.Ephemeral, "state.yml"), data, 0o600)
}

// prune empties the ephemeral directory after destroy, but for the files
// this runner generates, as Molecule keeps its own.
func (r *run) prune() {
	keep := map[string]bool{"inventory": true, "ansible.cfg": true, "plugins": true, "state.yml": true}
	for _, f := range r.s.Config.Driver.SafeFiles {
		keep[f] = true
	}
	entries, _ := os.ReadDir(r.o.Ephemeral)
	for _, e := range entries {
		if !keep[e.Name()] {
			_ = os.RemoveAll(filepath.Join(r.o.Ephemeral, e.Name()))
		}
	}
}

// environ sets the KEY=VALUE pairs of add over base.
func environ(base, add []string) []string {
	m := envMap(base)
	order := make([]string, 0, len(base)+len(add))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		order = append(order, k)
	}
	for _, kv := range add {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := m[k]; !ok {
			order = append(order, k)
		}
		m[k] = v
	}
	out := make([]string, 0, len(m))
	seen := map[string]bool{}
	for _, k := range order {
		if !seen[k] {
			seen[k] = true
			out = append(out, k+"="+m[k])
		}
	}
	return out
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func pairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
