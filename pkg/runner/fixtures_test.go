package runner

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/theforeman/foreman-operator/pkg/events"
)

var record = flag.Bool("record", false, "rewrite pkg/events/testdata/*.jsonl from live runs")

// ansibleRunner is the ansible-runner the fixtures and the benchmark
// compare against.
const ansibleRunner = "/usr/bin/ansible-runner"

// eventFixtures are the recorded runs pkg/events tests fold. A fixture
// named x is playbooks/x.yml run through Runner into x.jsonl, and, when
// viaRunner is set, through `ansible-runner run -j` into x.runner.jsonl.
var eventFixtures = []struct {
	name      string
	extraVars map[string]any
	viaRunner bool
}{
	{name: "success"},
	{name: "failing"},
	{name: "ignored"},
	{name: "rescued"},
	{name: "nolog", extraVars: map[string]any{"secret": "fixture-secret-0d9a", "visible": "fixture-visible"}},
	{name: "unreachable"},
	{name: "invalid_status"},
	{name: "runner_compat", viaRunner: true},
}

// TestEventFixturesMatchLiveRuns checks that the recorded events still fold
// to what live runs of today's Ansible report; with -record it rewrites
// them.
func TestEventFixturesMatchLiveRuns(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	for _, fx := range eventFixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			dir := crDir(t, fx.name)
			// A failing playbook is a result here, not an error; only
			// a run that cannot report is.
			if _, err := r.Run(context.Background(), Input{Ident: "rec", Dir: dir, Playbook: fixture(t, fx.name), ExtraVars: fx.extraVars}); err != nil {
				t.Fatalf("Run: %v", err)
			}
			live := map[string][]byte{fx.name + ".jsonl": []byte(readArtifact(t, dir, "rec", eventsFile))}
			if fx.viaRunner {
				var out bytes.Buffer
				if err := runAnsibleRunner(t.TempDir(), fixture(t, fx.name), &out, io.Discard); err != nil {
					t.Fatalf("ansible-runner: %v", err)
				}
				live[fx.name+".runner.jsonl"] = out.Bytes()
			}
			for name, got := range live {
				path := filepath.Join("..", "events", "testdata", name)
				if *record {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (record it with go test ./pkg/runner -run TestEventFixtures -record)", err)
				}
				if diff := cmp.Diff(fold(t, want), fold(t, got)); diff != "" {
					t.Errorf("%s: recorded summary differs from a live run (-recorded +live):\n%s", name, diff)
				}
			}
		})
	}
}

// fold decodes events and returns their summary without what differs
// between runs: file locations, times and output text.
func fold(t *testing.T, jsonl []byte) events.Summary {
	t.Helper()
	var c events.Collector
	dec := events.NewDecoder(bytes.NewReader(jsonl))
	for {
		ev, _, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Add(ev)
	}
	s := c.Summary()
	s.Completion = time.Time{}
	for i := range s.Failures {
		s.Failures[i].TaskPath = filepath.Base(s.Failures[i].TaskPath)
		if s.Failures[i].Stdout != "" {
			s.Failures[i].Stdout = "(set)"
		}
	}
	return s
}

// runAnsibleRunner runs playbook with `ansible-runner run -j` in a private
// data dir under root; the events go to stdout.
func runAnsibleRunner(root, playbook string, stdout, stderr io.Writer) error {
	for _, sub := range []string{"project", "inventory"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(root, "inventory", "hosts"), []byte(localhostInventory(playbookPython)), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(ansibleRunner, "run", root, "-p", playbook, "-j", "--ident", "run")
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}
