package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/google/go-cmp/cmp"

	"github.com/theforeman/foreman-operator/pkg/events"
)

// These tests run the real /usr/bin/ansible-playbook, forked from the fork
// server as the operator does by default; eachMode runs a test both ways.

// eachMode runs f with runs forked from the fork server, then executed.
func eachMode(t *testing.T, f func(t *testing.T, opts Options)) {
	for _, fork := range []bool{true, false} {
		t.Run(map[bool]string{true: "forked", false: "executed"}[fork], func(t *testing.T) {
			f(t, Options{ForkServer: fork})
		})
	}
}

// newRunner returns a Runner with opts and the fork server on.
func newRunner(t *testing.T, opts Options) *Runner {
	t.Helper()
	opts.ForkServer = true
	return newRunnerAs(t, opts)
}

// newRunnerAs returns a Runner with opts as they are.
func newRunnerAs(t *testing.T, opts Options) *Runner {
	t.Helper()
	if _, err := os.Stat(DefaultAnsiblePlaybook); err != nil && opts.AnsiblePlaybook == "" {
		t.Fatalf("these tests need ansible-playbook: %v", err)
	}
	if opts.Log.GetSink() == nil {
		opts.Log = testr.NewWithOptions(t, testr.Options{Verbosity: 1})
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

// crDir returns a per-CR directory under a new temporary root.
func crDir(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "foreman.theforeman.org", "v1alpha1", "Foreman", "default", name)
}

func abs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fixture is a playbook shared with pkg/events' recorded events.
func fixture(t *testing.T, name string) string {
	return abs(t, filepath.Join("..", "events", "testdata", "playbooks", name+".yml"))
}

func readArtifact(t *testing.T, dir, ident, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "artifacts", ident, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunSucceeds(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, opts Options) {
		t.Parallel()
		r := newRunnerAs(t, opts)
		dir := crDir(t, "success")
		var seen []string
		sum, err := r.Run(context.Background(), Input{
			Ident: "one", Dir: dir, Playbook: fixture(t, "success"),
			OnEvent: func(ev events.Event) { seen = append(seen, ev.Event) },
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if diff := cmp.Diff(&events.Stats{Ok: 3, Changed: 1, Skipped: 1}, sum.Stats); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		if len(sum.Failures) != 0 {
			t.Errorf("failures: %+v", sum.Failures)
		}
		wantStatus := map[string]any{
			"phase": "Ready", "replicas": float64(2),
			"conditions": []any{map[string]any{"type": "DatabaseReady", "status": "True", "reason": "Migrated"}},
		}
		if diff := cmp.Diff(wantStatus, sum.CustomStatus); diff != "" {
			t.Errorf("custom status (-want +got):\n%s", diff)
		}
		if sum.RequeueAfter != 90*time.Second {
			t.Errorf("requeue after = %s, want 1m30s", sum.RequeueAfter)
		}
		if sum.Completion.IsZero() {
			t.Error("completion is zero")
		}
		if len(seen) == 0 || seen[0] != events.PlaybookOnStart || seen[len(seen)-1] != events.PlaybookOnStats {
			t.Errorf("OnEvent saw %v, want playbook_on_start first and playbook_on_stats last", seen)
		}

		lines := strings.Split(strings.TrimSpace(readArtifact(t, dir, "one", "events.jsonl")), "\n")
		if len(lines) != len(seen) {
			t.Errorf("events.jsonl has %d lines, OnEvent saw %d events", len(lines), len(seen))
		}
		for i, line := range lines {
			var ev events.Event
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("events.jsonl line %d: %v", i+1, err)
			}
			if ev.Counter != i+1 {
				t.Errorf("events.jsonl line %d has counter %d", i+1, ev.Counter)
			}
		}
		if out := readArtifact(t, dir, "one", "stdout"); !strings.Contains(out, "PLAY RECAP") {
			t.Errorf("stdout artifact lacks the recap:\n%s", out)
		}
		for name, want := range map[string]string{"rc": "0\n", "status": "successful\n"} {
			if got := readArtifact(t, dir, "one", name); got != want {
				t.Errorf("%s artifact = %q, want %q", name, got, want)
			}
		}
		if link, err := os.Readlink(filepath.Join(dir, "artifacts", "latest")); err != nil || link != "one" {
			t.Errorf("latest -> %q (%v), want one", link, err)
		}
		info, err := os.Stat(filepath.Join(dir, "env", "extravars"))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("env/extravars: %v, mode %v, want 0600", err, info.Mode().Perm())
		}
		if inv := readFile(t, filepath.Join(dir, "inventory", "hosts")); inv != localhostInventory(r.python) {
			t.Errorf("inventory = %q", inv)
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunReportsAFailingTask(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, opts Options) {
		t.Parallel()
		r := newRunnerAs(t, opts)
		dir := crDir(t, "failing")
		sum, err := r.Run(context.Background(), Input{Ident: "one", Dir: dir, Playbook: fixture(t, "failing")})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if len(sum.Failures) != 1 {
			t.Fatalf("failures = %+v, want one", sum.Failures)
		}
		f := sum.Failures[0]
		want := events.Failure{
			Task: "Fail with a message", TaskPath: fixture(t, "failing") + ":8",
			Action: "ansible.builtin.fail", Host: "localhost", Message: "database is not reachable",
		}
		if diff := cmp.Diff(want, f, cmpIgnoreStdout); diff != "" {
			t.Errorf("failure (-want +got):\n%s", diff)
		}
		if !strings.Contains(f.Stdout, "fatal: [localhost]: FAILED!") || !strings.Contains(f.Stdout, "database is not reachable") {
			t.Errorf("failure stdout = %q", f.Stdout)
		}
		if sum.Stats == nil || sum.Stats.Failures != 1 {
			t.Errorf("stats = %+v, want one failure", sum.Stats)
		}
		if got := readArtifact(t, dir, "one", "status"); got != "failed\n" {
			t.Errorf("status = %q, want failed", got)
		}
		if got := readArtifact(t, dir, "one", "rc"); got != "2\n" {
			t.Errorf("rc = %q, want 2", got)
		}
	})
}

var cmpIgnoreStdout = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Stdout" }, cmp.Ignore())

func TestRunDoesNotReportIgnoredErrors(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	sum, err := r.Run(context.Background(), Input{Dir: crDir(t, "ignored"), Playbook: fixture(t, "ignored")})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(sum.Failures) != 0 {
		t.Errorf("failures = %+v, want none", sum.Failures)
	}
	if sum.Stats == nil || sum.Stats.Ignored != 1 {
		t.Errorf("stats = %+v, want one ignored", sum.Stats)
	}
}

// Ansible's own counters are the reference: each failed task the plugin
// calls rescued must be one Ansible counted as rescued, and the one it does
// not must be the failure.
func TestRunDoesNotReportRescuedFailures(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	dir := crDir(t, "rescued")
	sum, err := r.Run(context.Background(), Input{Ident: "one", Dir: dir, Playbook: fixture(t, "rescued")})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.Stats == nil || sum.Stats.Rescued != 7 || sum.Stats.Failures != 1 {
		t.Fatalf("stats = %+v, want 7 rescued and 1 failure", sum.Stats)
	}
	var flagged []string
	for _, line := range strings.Split(strings.TrimSpace(readArtifact(t, dir, "one", "events.jsonl")), "\n") {
		var ev events.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Event == events.RunnerOnFailed && ev.EventData.Rescued["localhost"] == 1 {
			flagged = append(flagged, ev.EventData.Res["msg"].(string))
		}
	}
	wantFlagged := []string{"rescued 1", "rescued 2", "rescued 3", "rescued 4", "rescued 5", "One or more items failed", "rescued 7"}
	if diff := cmp.Diff(wantFlagged, flagged); diff != "" {
		t.Errorf("failures flagged rescued (-want +got):\n%s", diff)
	}
	if len(sum.Failures) != 1 || sum.Failures[0].Message != "not rescued" || sum.Failures[0].Task != "Fail in a rescue" {
		t.Errorf("failures = %+v, want only the failing rescue", sum.Failures)
	}
}

func TestRunNeverWritesNoLogResults(t *testing.T) {
	t.Parallel()
	const (
		secret  = "hunter2-pw-5b1e9c"
		visible = "visible-marker-c4d2"
	)
	r := newRunner(t, Options{})
	dir := crDir(t, "nolog")
	sum, err := r.Run(context.Background(), Input{
		Ident: "one", Dir: dir, Playbook: fixture(t, "nolog"), Verbosity: 4,
		ExtraVars: map[string]any{"secret": secret, "visible": visible},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	summary, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	haystacks := map[string]string{"summary": string(summary)}
	for _, name := range []string{"events.jsonl", "stdout", "stderr", "command", "rc", "status"} {
		haystacks[name] = readArtifact(t, dir, "one", name)
	}
	for name, text := range haystacks {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the no_log secret", name)
		}
	}
	// The search works: the same value without no_log is found.
	for _, name := range []string{"events.jsonl", "stdout"} {
		if !strings.Contains(haystacks[name], visible) {
			t.Errorf("%s lacks the visible marker, so the secret search proves nothing", name)
		}
	}
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Message, "no_log: true") {
		t.Errorf("failures = %+v, want the last task with a censored message", sum.Failures)
	}
	if sum.Stats == nil || sum.Stats.Ignored != 1 || sum.Stats.Rescued != 1 {
		t.Errorf("stats = %+v, want one ignored and one rescued failure", sum.Stats)
	}
}

func TestRunOfSyntaxErrorHasNoStats(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	dir := crDir(t, "syntax")
	sum, err := r.Run(context.Background(), Input{Ident: "one", Dir: dir, Playbook: abs(t, "testdata/syntax_error.yml")})
	if !errors.Is(err, ErrNoStats) {
		t.Fatalf("err = %v, want ErrNoStats", err)
	}
	var ie *IncompleteError
	if !errors.As(err, &ie) || ie.ExitCode == 0 || !strings.Contains(ie.Output, "no_such_collection.no_such.module_xyz") {
		t.Errorf("IncompleteError = %+v, want a non-zero exit and Ansible's error", ie)
	}
	if sum.Stats != nil {
		t.Errorf("stats = %+v, want nil", sum.Stats)
	}
	if got := readArtifact(t, dir, "one", "status"); got != "failed\n" {
		t.Errorf("status = %q, want failed", got)
	}
}

func TestRunOfNonZeroExitWithoutFailuresIsAnError(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{AnsiblePlaybook: abs(t, "testdata/fake-ansible-playbook.sh")})
	sum, err := r.Run(context.Background(), Input{Dir: crDir(t, "fake"), Playbook: abs(t, "testdata/sleep.yml")})
	if !errors.Is(err, ErrUnreportedExit) {
		t.Fatalf("err = %v, want ErrUnreportedExit", err)
	}
	var ie *IncompleteError
	if !errors.As(err, &ie) || ie.ExitCode != 2 || ie.Output != "fake failure on stderr" {
		t.Errorf("IncompleteError = %+v", ie)
	}
	if sum.Stats == nil || sum.Stats.Ok != 1 {
		t.Errorf("stats = %+v, want the fake's", sum.Stats)
	}
}

// sleepRun starts testdata/sleep.yml and returns the process group the
// shell reported and the pid of ansible-playbook from its events.
type sleepRun struct {
	pgidFile string
	mu       sync.Mutex
	pid      int
}

func (s *sleepRun) onEvent(ev events.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pid == 0 {
		s.pid = ev.Pid
	}
}

// pgid returns the process group the shell task reported; the run must
// have got that far.
func (s *sleepRun) pgid(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(s.pgidFile)
	if err != nil {
		t.Fatalf("the shell task never reported its process group (machine too slow for the timeout?): %v", err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if pgid != s.pid {
		t.Errorf("shell ran in process group %d, want ansible-playbook's pid %d", pgid, s.pid)
	}
	return pgid
}

// assertGroupGone fails if a live (non-zombie) process is in group pgid.
// SIGKILL takes effect asynchronously, so it looks for a while.
func assertGroupGone(t *testing.T, pgid int) {
	t.Helper()
	var alive []string
	for range 100 {
		alive = groupMembers(t, pgid)
		if len(alive) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("processes of group %d survived: %v", pgid, alive)
}

func groupMembers(t *testing.T, pgid int) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var alive []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 3 || fields[0] == "Z" || fields[2] != strconv.Itoa(pgid) {
			continue
		}
		alive = append(alive, e.Name()+" "+string(stat[:bytes.LastIndexByte(stat, ')')+1]))
	}
	return alive
}

func TestRunTimeoutKillsTheProcessGroup(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, opts Options) {
		t.Parallel()
		opts.KillGrace = 500 * time.Millisecond
		r := newRunnerAs(t, opts)
		dir := crDir(t, "timeout")
		s := &sleepRun{pgidFile: filepath.Join(t.TempDir(), "pgid")}
		sum, err := r.Run(context.Background(), Input{
			Ident: "one", Dir: dir, Playbook: abs(t, "testdata/sleep.yml"), Timeout: 20 * time.Second,
			ExtraVars: map[string]any{"pgid_file": s.pgidFile, "ignore_term": true},
			OnEvent:   s.onEvent,
		})
		pgid := s.pgid(t)
		assertGroupGone(t, pgid)

		var te *TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v, want a *TimeoutError", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
		}
		if te.Task != "Sleep in a shell" || te.TaskPath != abs(t, "testdata/sleep.yml")+":8" {
			t.Errorf("timeout names task %q (%s)", te.Task, te.TaskPath)
		}
		if sum.Stats != nil {
			t.Errorf("stats = %+v, want nil for a killed run", sum.Stats)
		}
		if got := readArtifact(t, dir, "one", "status"); got != "timeout\n" {
			t.Errorf("status = %q, want timeout", got)
		}
	})
}

func TestRunCancellationKillsTheProcessGroup(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, opts Options) {
		t.Parallel()
		r := newRunnerAs(t, opts)
		dir := crDir(t, "cancel")
		s := &sleepRun{pgidFile: filepath.Join(t.TempDir(), "pgid")}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			// Cancel once the shell has written its group, so that there
			// is a group to kill: the redirection creates the file empty
			// before cut writes to it.
			for ctx.Err() == nil {
				if b, err := os.ReadFile(s.pgidFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
					cancel()
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		_, err := r.Run(ctx, Input{
			Ident: "one", Dir: dir, Playbook: abs(t, "testdata/sleep.yml"),
			ExtraVars: map[string]any{"pgid_file": s.pgidFile}, OnEvent: s.onEvent,
		})
		assertGroupGone(t, s.pgid(t))
		var te *TimeoutError
		if !errors.As(err, &te) || !errors.Is(err, context.Canceled) || te.Task != "Sleep in a shell" {
			t.Fatalf("err = %v, want a *TimeoutError for Sleep in a shell wrapping context.Canceled", err)
		}
		if got := readArtifact(t, dir, "one", "status"); got != "canceled\n" {
			t.Errorf("status = %q, want canceled", got)
		}
	})
}

func TestRunWaitsForTheRunInItsDir(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	dir := crDir(t, "busy")
	if err := r.locks.lock(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Run(ctx, Input{Dir: dir, Playbook: fixture(t, "success")})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "wait for the run") {
		t.Errorf("err = %v, want a canceled wait", err)
	}
	r.locks.unlock(dir)
	if _, err := r.Run(context.Background(), Input{Dir: dir, Playbook: fixture(t, "success")}); err != nil {
		t.Errorf("Run after unlock: %v", err)
	}
}

func TestRunOfRoleWritesAPlaybook(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	role := abs(t, "testdata/roles/hello")
	for _, tc := range []struct {
		name       string
		env        []string
		wantGather bool
	}{
		{name: "Facts are gathered by default", wantGather: true},
		{name: "ANSIBLE_GATHERING=explicit skips facts", env: []string{"ANSIBLE_GATHERING=explicit"}, wantGather: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := crDir(t, "role")
			sum, err := r.Run(context.Background(), Input{
				Dir: dir, Role: role, Env: tc.env, ExtraVars: map[string]any{"greeting": "hi"},
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := map[string]any{"gathered": tc.wantGather, "greeting": "hi"}
			if diff := cmp.Diff(want, sum.CustomStatus); diff != "" {
				t.Errorf("custom status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunPassesCmdlineAndInventory(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	dir := crDir(t, "args")
	inv := filepath.Join(t.TempDir(), "inventory.ini")
	if err := os.WriteFile(inv, []byte("localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 extra=from-inventory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background(), Input{
		Dir: dir, Playbook: abs(t, "testdata/args.yml"),
		Cmdline: `'--tags wanted'`, Env: []string{"ANSIBLE_INVENTORY=" + inv},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff(map[string]any{"tagged": true, "extra": "from-inventory"}, sum.CustomStatus); diff != "" {
		t.Errorf("custom status (-want +got):\n%s", diff)
	}
	if got := readFile(t, filepath.Join(dir, "env", "cmdline")); got != "--tags wanted" {
		t.Errorf("env/cmdline = %q", got)
	}
}

func TestRunRotatesArtifactsPerDir(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	dir := crDir(t, "rotate")
	for _, ident := range []string{"a", "b", "c"} {
		if _, err := r.Run(context.Background(), Input{Ident: ident, Dir: dir, Playbook: fixture(t, "ignored"), MaxArtifacts: 2}); err != nil {
			t.Fatalf("Run %s: %v", ident, err)
		}
	}
	if diff := cmp.Diff([]string{"b", "c", "latest"}, listDir(t, filepath.Join(dir, "artifacts"))); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	if link, _ := os.Readlink(filepath.Join(dir, "artifacts", "latest")); link != "c" {
		t.Errorf("latest -> %q, want c", link)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRunKeepsAllDirsWithinTheGlobalCap(t *testing.T) {
	t.Parallel()
	// One run's size, to set a cap that holds two runs but not three.
	probe := newRunner(t, Options{})
	probeDir := crDir(t, "probe")
	if _, err := probe.Run(context.Background(), Input{Ident: "p", Dir: probeDir, Playbook: fixture(t, "ignored")}); err != nil {
		t.Fatal(err)
	}
	size := dirSize(t, filepath.Join(probeDir, "artifacts", "p"))

	r := newRunner(t, Options{ArtifactsCap: size * 5 / 2})
	first, second := crDir(t, "first"), crDir(t, "second")
	for _, run := range []struct{ dir, ident string }{{first, "1"}, {second, "2"}, {first, "3"}} {
		if _, err := r.Run(context.Background(), Input{Ident: run.ident, Dir: run.dir, Playbook: fixture(t, "ignored")}); err != nil {
			t.Fatalf("Run %s: %v", run.ident, err)
		}
	}
	if diff := cmp.Diff([]string{"3", "latest"}, listDir(t, filepath.Join(first, "artifacts"))); diff != "" {
		t.Errorf("first CR's artifacts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2", "latest"}, listDir(t, filepath.Join(second, "artifacts"))); diff != "" {
		t.Errorf("second CR's artifacts (-want +got):\n%s", diff)
	}

	if err := r.Remove(first); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("Remove left %s: %v", first, err)
	}
	// With the first CR's run gone, the next run fits beside run 2.
	if _, err := r.Run(context.Background(), Input{Ident: "4", Dir: second, Playbook: fixture(t, "ignored")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2", "4", "latest"}, listDir(t, filepath.Join(second, "artifacts"))); diff != "" {
		t.Errorf("second CR's artifacts after Remove (-want +got):\n%s", diff)
	}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func TestRunRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	dir := crDir(t, "invalid")
	for _, tc := range []struct {
		name string
		in   Input
		want string
	}{
		{name: "A relative dir is rejected", in: Input{Dir: "relative", Playbook: "/p.yml"}, want: "not an absolute path"},
		{name: "Role and playbook together are rejected", in: Input{Dir: dir, Role: "/r", Playbook: "/p.yml"}, want: "exactly one"},
		{name: "Neither role nor playbook is rejected", in: Input{Dir: dir}, want: "exactly one"},
		{name: "A relative playbook is rejected", in: Input{Dir: dir, Playbook: "p.yml"}, want: "not an absolute path"},
		{name: "Verbosity above 7 is rejected", in: Input{Dir: dir, Playbook: "/p.yml", Verbosity: 8}, want: "verbosity 8"},
		{name: "An ident naming latest is rejected", in: Input{Dir: dir, Playbook: "/p.yml", Ident: "latest"}, want: "reserved"},
		{name: "An ident with a slash is rejected", in: Input{Dir: dir, Playbook: "/p.yml", Ident: "a/b"}, want: "slash"},
		{name: "A negative timeout is rejected", in: Input{Dir: dir, Playbook: "/p.yml", Timeout: -1}, want: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Run(context.Background(), tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestCheckRunsAnsiblePlaybook(t *testing.T) {
	t.Parallel()
	if err := newRunner(t, Options{}).Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
	missing := newRunner(t, Options{AnsiblePlaybook: "/nonexistent/ansible-playbook"})
	if err := missing.Check(context.Background()); err == nil {
		t.Error("Check with a missing ansible-playbook succeeded")
	}
}
