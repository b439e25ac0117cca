package molecule_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/theforeman/foreman-operator/internal/molecule"
)

// runTestdata runs a scenario of testdata/runner with the real
// ansible-playbook and returns the report, the error, the actions its
// playbooks logged, and the output.
func runTestdata(t *testing.T, scenario string) (*molecule.Report, error, []string, string) {
	t.Helper()
	needAnsible(t)
	log := filepath.Join(t.TempDir(), "actions.log")
	var out bytes.Buffer
	report, err := molecule.Run(context.Background(), molecule.Options{
		Project:   filepath.Join(repoRoot(t), "test", "molecule", "testdata", "runner"),
		Scenario:  scenario,
		Ephemeral: t.TempDir(),
		Env:       []string{"RUNNER_TEST_LOG=" + log},
		OnFailure: "molecule/shared/on_failure.yml",
		Out:       &out,
	})
	data, _ := os.ReadFile(log)
	actions := strings.Fields(string(data))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output:\n%s", out.String())
		}
	})
	return report, err, actions, out.String()
}

func step(r *molecule.Report, action string) *molecule.Step {
	for i := range r.Steps {
		if r.Steps[i].Action == action {
			return &r.Steps[i]
		}
	}
	return nil
}

func TestTheIdempotenceStepIsReal(t *testing.T) {
	t.Parallel()
	t.Run("a converge that changes something every time fails it, naming the task", func(t *testing.T) {
		t.Parallel()
		report, err, actions, out := runTestdata(t, "not-idempotent")
		if err == nil {
			t.Fatal("the scenario passed")
		}
		for _, want := range []string{"scenario not-idempotent: idempotence:", "not idempotent", "changed 1 task(s)", `"Restart something every time"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		// The PLAY RECAP Ansible printed agrees with the callback.
		if !strings.Contains(out, "changed=1") {
			t.Errorf("the second converge's recap does not show changed=1")
		}
		if s := step(report, "idempotence"); s == nil || s.Err == nil {
			t.Errorf("the idempotence step did not fail: %+v", report.Steps)
		}
		if want := []string{"create", "converge", "converge", "on_failure", "cleanup", "destroy"}; !slices.Equal(actions, want) {
			t.Errorf("playbooks run %v, want %v: verify must not run after a failed step; the dump, cleanup and destroy must", actions, want)
		}
	})

	t.Run("a task tagged molecule-idempotence-notest is exempt", func(t *testing.T) {
		t.Parallel()
		_, err, actions, _ := runTestdata(t, "exempt")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"create", "converge", "converge", "destroy"}; !slices.Equal(actions, want) {
			t.Errorf("playbooks run %v, want %v", actions, want)
		}
	})
}

func TestTheDefaultSequenceRunsEveryPlaybookInOrder(t *testing.T) {
	t.Parallel()
	report, err, actions, _ := runTestdata(t, "idempotent")
	if err != nil {
		t.Fatal(err)
	}
	// Molecule 6's default sequence; dependency and syntax run no play.
	want := []string{"cleanup", "destroy", "create", "prepare", "converge", "converge", "side_effect", "verify", "cleanup", "destroy"}
	if !slices.Equal(actions, want) {
		t.Errorf("playbooks run %v, want %v", actions, want)
	}
	var got []string
	for _, s := range report.Steps {
		got = append(got, s.Action)
	}
	if !slices.Equal(got, molecule.DefaultTestSequence) {
		t.Errorf("steps %v, want %v", got, molecule.DefaultTestSequence)
	}
	if s := step(report, "idempotence"); s == nil || s.Err != nil || s.Skipped != "" {
		t.Errorf("idempotence step %+v, want run and passed", s)
	}
}

func TestAFailedStepStopsTheSequenceAndCleansUp(t *testing.T) {
	t.Parallel()
	_, err, actions, out := runTestdata(t, "failing-converge")
	if err == nil || !strings.Contains(err.Error(), "scenario failing-converge: converge:") {
		t.Fatalf("error %v, want the converge step named", err)
	}
	if !strings.Contains(out, "the deployment broke") {
		t.Error("the task's message is not in the output")
	}
	if want := []string{"create", "converge", "on_failure", "cleanup", "destroy"}; !slices.Equal(actions, want) {
		t.Errorf("playbooks run %v, want %v", actions, want)
	}
}
