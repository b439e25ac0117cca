package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/theforeman/foreman-operator/pkg/artifacts"
	"github.com/theforeman/foreman-operator/pkg/events"
	"github.com/theforeman/foreman-operator/pkg/forkserver"
)

// Defaults of Options.
const (
	DefaultAnsiblePlaybook = "/usr/bin/ansible-playbook"
	DefaultKillGrace       = 10 * time.Second
)

// MaxVerbosity is the most -v flags a run takes (-vvvvvvv).
const MaxVerbosity = 7

// Options configure a Runner.
type Options struct {
	// AnsiblePlaybook is the ansible-playbook to run; default
	// DefaultAnsiblePlaybook.
	AnsiblePlaybook string
	// ArtifactsCap bounds, in bytes, the finished runs kept across all CR
	// directories; 0 means no cap.
	ArtifactsCap int64
	// KillGrace is how long a stopped run gets between SIGTERM and
	// SIGKILL; default DefaultKillGrace.
	KillGrace time.Duration
	// ForkServer forks runs, and the Python modules they execute, from a
	// process that has Ansible and the kubernetes client imported already,
	// instead of executing them (package forkserver). It needs an
	// AnsiblePlaybook that is a Python script; with any other, runs are
	// executed.
	ForkServer bool
	Log        logr.Logger
}

// Input is one run: what to run, for which CR directory, and how.
type Input struct {
	// Ident names the run's artifacts directory; generated when empty.
	Ident string
	// Dir is the CR's absolute directory,
	// <root>/<group>/<version>/<kind>/<namespace>/<name>.
	Dir string
	// Role or Playbook, absolute; exactly one is set.
	Role, Playbook string
	// ExtraVars are written to env/extravars and passed with -e.
	ExtraVars map[string]any
	// Env is appended to the operator's environment.
	Env []string
	// Cmdline holds extra ansible-playbook arguments (--ansible-args).
	Cmdline string
	// Timeout stops the run after this long; 0 means no timeout.
	Timeout time.Duration
	// Verbosity is the number of -v flags, 0 to MaxVerbosity.
	Verbosity int
	// MaxArtifacts is how many runs of this Dir to keep; 0 keeps all.
	MaxArtifacts int
	// OnEvent, when set, sees every event in order, from one goroutine,
	// while Ansible runs. Ansible waits while it runs, so it must be quick,
	// and it must not change the event.
	OnEvent func(events.Event)
}

// Run statuses written to artifacts/<ident>/status.
const (
	StatusSuccessful = "successful"
	StatusFailed     = "failed"
	StatusTimeout    = "timeout"
	StatusCanceled   = "canceled"
)

// Reasons an IncompleteError gives.
var (
	// ErrNoStats: the run ended without a playbook_on_stats event (syntax
	// error, crash, killed), so its outcome is unknown.
	ErrNoStats = errors.New("no playbook_on_stats event")
	// ErrUnreportedExit: ansible-playbook exited non-zero without
	// reporting a failed task.
	ErrUnreportedExit = errors.New("non-zero exit without a failed task")
)

// IncompleteError reports a run whose events do not tell its outcome.
type IncompleteError struct {
	// Reason is ErrNoStats or ErrUnreportedExit.
	Reason error
	// ExitCode is ansible-playbook's; -1 when a signal ended it.
	ExitCode int
	// Output is the end of ansible-playbook's stderr, or of its stdout when
	// stderr is empty.
	Output string
}

func (e *IncompleteError) Error() string {
	msg := fmt.Sprintf("ansible-playbook exited with code %d: %v", e.ExitCode, e.Reason)
	if e.Output != "" {
		msg += ": " + e.Output
	}
	return msg
}

func (e *IncompleteError) Unwrap() error { return e.Reason }

// TimeoutError reports a run that was stopped: by Input.Timeout or the
// context's deadline (Cause is context.DeadlineExceeded) or by cancellation
// (Cause is context.Canceled).
type TimeoutError struct {
	// Task and TaskPath name the task that was running: the last one
	// started. Empty when none had started.
	Task, TaskPath string
	// Elapsed is how long the run had been going.
	Elapsed time.Duration
	Cause   error
}

func (e *TimeoutError) Error() string {
	what := "timed out"
	if errors.Is(e.Cause, context.Canceled) {
		what = "canceled"
	}
	where := "before any task started"
	if e.Task != "" {
		where = fmt.Sprintf("in task %q (%s)", e.Task, e.TaskPath)
	}
	return fmt.Sprintf("run %s after %s %s", what, e.Elapsed.Round(time.Millisecond), where)
}

func (e *TimeoutError) Unwrap() error { return e.Cause }

// Runner runs ansible-playbook for CRs. It is safe for concurrent use; runs
// in one CR directory take turns.
type Runner struct {
	opts      Options
	pluginDir string
	store     *artifacts.Store
	locks     dirLocks
	// forks and python, the modules' interpreter, are set with
	// Options.ForkServer; python is the shim then.
	forks  *forkServers
	python string
}

// New installs the callback plugin in a private temporary directory and
// returns a Runner. Close removes the directory.
func New(opts Options) (*Runner, error) {
	if opts.AnsiblePlaybook == "" {
		opts.AnsiblePlaybook = DefaultAnsiblePlaybook
	}
	if opts.KillGrace == 0 {
		opts.KillGrace = DefaultKillGrace
	}
	if opts.ArtifactsCap < 0 || opts.KillGrace < 0 {
		return nil, fmt.Errorf("runner options: ArtifactsCap %d and KillGrace %s must not be negative",
			opts.ArtifactsCap, opts.KillGrace)
	}
	dir, err := installPlugin()
	if err != nil {
		return nil, err
	}
	r := &Runner{
		opts:      opts,
		pluginDir: dir,
		store:     artifacts.NewStore(opts.ArtifactsCap),
		locks:     dirLocks{m: map[string]*dirLock{}},
		python:    playbookPython,
	}
	if !opts.ForkServer {
		return r, nil
	}
	python, ok := forkserver.PythonOf(opts.AnsiblePlaybook, os.Getenv("PATH"))
	if !ok {
		opts.Log.Info("No fork server: ansible-playbook is not a Python script; runs execute it", "ansiblePlaybook", opts.AnsiblePlaybook)
		return r, nil
	}
	shim, err := forkserver.Install(dir, python)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	r.forks, r.python = newForkServers(python, dir, opts.Log), shim
	return r, nil
}

// Close stops the fork servers and removes the callback plugin. Runs must
// have ended.
func (r *Runner) Close() error {
	if r.forks != nil {
		r.forks.close()
	}
	if err := os.RemoveAll(r.pluginDir); err != nil {
		return fmt.Errorf("remove callback plugin: %w", err)
	}
	return nil
}

// Check runs `ansible-playbook --version`, for readiness: it fails when
// ansible-playbook or its Python cannot start.
func (r *Runner) Check(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, r.opts.AnsiblePlaybook, "--version")
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("check %s: %w: %s", r.opts.AnsiblePlaybook, err, tailString(string(out), 1024))
	}
	return nil
}

// Remove deletes a CR directory and its artifacts, for when the CR is
// deleted. It waits for a run in dir to end first.
func (r *Runner) Remove(dir string) error {
	dir = filepath.Clean(dir)
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("remove %q: not an absolute path", dir)
	}
	if err := r.locks.lock(context.Background(), dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	defer r.locks.unlock(dir)
	return r.store.Remove(dir)
}

// Run runs one playbook or role for a CR and returns what its events
// reported.
//
// A second Run (or Remove) for the same Dir waits until the first has ended,
// or until its own ctx is done. The error is nil when the run ended by itself
// and reported its outcome, task failures included: those are in
// Summary.Failures. Otherwise it wraps a *TimeoutError (stopped by
// in.Timeout or ctx), an *IncompleteError (ErrNoStats or ErrUnreportedExit),
// or the reason the run could not start. The Summary holds whatever arrived.
func (r *Runner) Run(ctx context.Context, in Input) (events.Summary, error) {
	in.Dir = filepath.Clean(in.Dir)
	args, err := in.check()
	if err != nil {
		return events.Summary{}, err
	}
	if in.Ident == "" {
		in.Ident = strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	if err := r.locks.lock(ctx, in.Dir); err != nil {
		return events.Summary{}, fmt.Errorf("wait for the run in %s: %w", in.Dir, err)
	}
	defer r.locks.unlock(in.Dir)

	env := r.environ(in)
	playbook, cmdArgs, err := prepare(in.Dir, in, env, r.python)
	if err != nil {
		return events.Summary{}, fmt.Errorf("prepare %s: %w", in.Dir, err)
	}
	r.relieve(in.Dir)
	runDir, err := r.store.Begin(in.Dir, in.Ident)
	if err != nil {
		return events.Summary{}, fmt.Errorf("run %s: %w", in.Ident, err)
	}
	log := r.opts.Log.WithValues("dir", in.Dir, "ident", in.Ident)
	log.V(1).Info("Starting ansible-playbook", "playbook", playbook)

	argv := append(args, "-i", filepath.Join(in.Dir, inventoryDir),
		"-e", "@"+filepath.Join(in.Dir, envDir, extravarsFile))
	argv = append(append(argv, cmdArgs...), playbook)
	res := r.execute(ctx, in, runDir, argv, env)

	log.V(1).Info("Ansible run ended", "status", res.status, "exitCode", res.exitCode,
		"duration", res.elapsed, "events", res.events, "failures", len(res.summary.Failures))
	if r.opts.Log.V(2).Enabled() {
		if out, err := os.ReadFile(filepath.Join(runDir, stdoutFile)); err == nil {
			log.V(2).Info("Ansible output", "stdout", string(out))
		}
	}
	removed, err := r.store.Finish(in.Dir, in.Ident, in.MaxArtifacts)
	if len(removed) > 0 {
		log.V(1).Info("Pruned run artifacts", "removed", removed)
	}
	if err != nil {
		// The run's outcome stands; disk upkeep is the operator's concern.
		log.Error(err, "Cannot prune run artifacts")
	}
	return res.summary, res.err
}

// relieve prunes old runs when the artifacts volume is nearly full, and logs
// the pressure. A run goes ahead either way.
func (r *Runner) relieve(dir string) {
	p, err := r.store.Relieve(dir)
	if err != nil {
		r.opts.Log.Error(err, "Cannot check or relieve the artifacts volume", "dir", dir)
	}
	if p == nil {
		return
	}
	msg := "The artifacts volume is nearly full; pruned old runs"
	if p.After.Low() {
		msg = "The artifacts volume is nearly full; pruning old runs did not free enough"
	}
	r.opts.Log.Info(msg, "freeBytes", p.Before.Free, "volumeBytes", p.Before.Total,
		"freeBytesAfter", p.After.Free, "removed", len(p.Removed))
}

// check validates in and returns the verbosity flag, if any.
func (in Input) check() ([]string, error) {
	var errs []error
	if !filepath.IsAbs(in.Dir) {
		errs = append(errs, fmt.Errorf("dir %q is not an absolute path", in.Dir))
	}
	switch {
	case (in.Role == "") == (in.Playbook == ""):
		errs = append(errs, errors.New("exactly one of role and playbook must be set"))
	case !filepath.IsAbs(in.Role + in.Playbook):
		errs = append(errs, fmt.Errorf("role or playbook %q is not an absolute path", in.Role+in.Playbook))
	}
	if in.Ident != "" {
		if err := artifacts.ValidIdent(in.Ident); err != nil {
			errs = append(errs, err)
		}
	}
	if in.Verbosity < 0 || in.Verbosity > MaxVerbosity {
		errs = append(errs, fmt.Errorf("verbosity %d is not within 0-%d", in.Verbosity, MaxVerbosity))
	}
	if in.Timeout < 0 || in.MaxArtifacts < 0 {
		errs = append(errs, fmt.Errorf("timeout %s and max artifacts %d must not be negative", in.Timeout, in.MaxArtifacts))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid run input: %w", err)
	}
	if in.Verbosity == 0 {
		return nil, nil
	}
	return []string{"-" + strings.Repeat("v", in.Verbosity)}, nil
}

// environ is the run's environment: the operator's, then in.Env, then what
// the runner needs, which wins.
func (r *Runner) environ(in Input) []string {
	env := append(os.Environ(), in.Env...)
	get := func(key string) string { v, _ := lookupEnv(env, key); return v }
	own := []string{
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_FORCE_COLOR=0",
		"ANSIBLE_RETRY_FILES_ENABLED=0",
		"PYTHONUNBUFFERED=1",
		"ANSIBLE_CALLBACK_PLUGINS=" + prependList(r.pluginDir, get("ANSIBLE_CALLBACK_PLUGINS"), ":"),
		"ANSIBLE_CALLBACKS_ENABLED=" + prependList(callbackName, get("ANSIBLE_CALLBACKS_ENABLED"), ","),
		eventsFDEnv + "=" + strconv.Itoa(eventsFD),
	}
	if in.Role != "" {
		// Like ansible-runner --roles-path: the role's siblings resolve
		// as dependencies.
		own = append(own, "ANSIBLE_ROLES_PATH="+prependList(filepath.Dir(in.Role), get("ANSIBLE_ROLES_PATH"), ":"))
	}
	return append(env, own...)
}

// dirLocks gives each CR directory one run at a time.
type dirLocks struct {
	mu sync.Mutex
	m  map[string]*dirLock
}

type dirLock struct {
	ch   chan struct{}
	refs int
}

func (l *dirLocks) lock(ctx context.Context, dir string) error {
	l.mu.Lock()
	e := l.m[dir]
	if e == nil {
		e = &dirLock{ch: make(chan struct{}, 1)}
		l.m[dir] = e
	}
	e.refs++
	l.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		l.release(dir, e)
		return ctx.Err()
	}
}

func (l *dirLocks) unlock(dir string) {
	l.mu.Lock()
	e := l.m[dir]
	l.mu.Unlock()
	<-e.ch
	l.release(dir, e)
}

func (l *dirLocks) release(dir string, e *dirLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, dir)
	}
}
