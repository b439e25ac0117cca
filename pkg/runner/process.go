package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"

	"github.com/theforeman/foreman-operator/pkg/events"
)

// Files in artifacts/<ident>/.
const (
	eventsFile  = "events.jsonl"
	stdoutFile  = "stdout"
	stderrFile  = "stderr"
	rcFile      = "rc"
	statusFile  = "status"
	commandFile = "command"
)

const (
	// drainAfterExit bounds the wait for the events pipe to close once
	// ansible-playbook has exited; only a stray process holding the pipe
	// makes it matter.
	drainAfterExit = 2 * time.Second
	// groupPoll is how often a stopping run checks whether its process
	// group is gone.
	groupPoll = 50 * time.Millisecond
	// outputTail bounds the output an IncompleteError quotes.
	outputTail = 2048
)

// outcome is what execute found.
type outcome struct {
	summary  events.Summary
	err      error
	status   string
	exitCode int
	events   int
	elapsed  time.Duration
}

// execute runs ansible-playbook with argv and env for in, writing the run's
// artifacts into runDir.
func (r *Runner) execute(ctx context.Context, in Input, runDir string, argv, env []string) (res outcome) {
	res = outcome{status: StatusFailed, exitCode: -1}
	defer func() {
		if err := writeResult(runDir, res); err != nil {
			// Like lost events: the outcome stands without its record.
			r.opts.Log.Error(err, "Cannot write the run's rc and status", "dir", in.Dir, "ident", in.Ident)
		}
	}()
	files, err := createFiles(runDir, eventsFile, stdoutFile, stderrFile)
	if err != nil {
		res.err = err
		return res
	}
	defer closeAll(files)
	cmdJSON, err := json.Marshal(map[string]any{"command": append([]string{r.opts.AnsiblePlaybook}, argv...),
		"cwd": filepath.Join(in.Dir, projectDir)})
	if err == nil {
		err = os.WriteFile(filepath.Join(runDir, commandFile), cmdJSON, 0o600)
	}
	if err != nil {
		res.err = fmt.Errorf("write command: %w", err)
		return res
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		res.err = fmt.Errorf("events pipe: %w", err)
		return res
	}
	defer pr.Close()

	devNull, err := os.Open(os.DevNull)
	if err != nil {
		pw.Close()
		res.err = fmt.Errorf("open %s: %w", os.DevNull, err)
		return res
	}
	defer devNull.Close()
	if err := ctx.Err(); err != nil {
		pw.Close()
		res.status, res.err = statusOf(err), fmt.Errorf("run not started: %w", err)
		return res
	}
	start := time.Now()
	proc, err := r.start(launch{argv: argv, env: env, runEnv: envKeys(in.Env), dir: filepath.Join(in.Dir, projectDir),
		files: []*os.File{devNull, files[1], files[2], pw}})
	pw.Close() // the child has its copy; EOF comes when it and its forks exit
	if err != nil {
		res.err = err
		return res
	}

	read := make(chan readResult, 1)
	go func() { read <- readEvents(pr, files[0], in.OnEvent, r.opts.Log) }()
	exitCode := make(chan int, 1)
	go func() { exitCode <- proc.wait() }()

	stopped := r.wait(ctx, in.Timeout, proc.pid(), exitCode, &res.exitCode)
	res.elapsed = time.Since(start)
	if err := pr.SetReadDeadline(time.Now().Add(drainAfterExit)); err != nil {
		r.opts.Log.Error(err, "Cannot bound the events pipe drain")
	}
	rr := <-read
	res.summary, res.events = rr.summary, rr.events
	if rr.err != nil {
		r.opts.Log.Error(rr.err, "Events were lost", "dir", in.Dir, "ident", in.Ident)
	}

	switch {
	case stopped != nil:
		res.status = statusOf(stopped)
		res.err = &TimeoutError{Task: rr.task, TaskPath: rr.taskPath, Elapsed: res.elapsed, Cause: stopped}
	case res.summary.Stats == nil:
		res.err = &IncompleteError{Reason: ErrNoStats, ExitCode: res.exitCode, Output: outputOf(runDir)}
	case res.exitCode != 0 && len(res.summary.Failures) == 0:
		res.err = &IncompleteError{Reason: ErrUnreportedExit, ExitCode: res.exitCode, Output: outputOf(runDir)}
	case len(res.summary.Failures) == 0:
		res.status = StatusSuccessful
	}
	return res
}

// wait waits for the run to exit, or stops it when ctx is done or timeout
// passes. It stores the exit code in code and returns why the run was
// stopped, or nil if it ended by itself.
func (r *Runner) wait(ctx context.Context, timeout time.Duration, pgid int, exited <-chan int, code *int) error {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	var why error
	select {
	case *code = <-exited:
		return nil
	case <-ctx.Done():
		why = ctx.Err()
	case <-expired:
		why = context.DeadlineExceeded
	}
	*code = r.stop(pgid, exited)
	return why
}

// stop ends the process group pgid: SIGTERM, then SIGKILL once KillGrace
// has passed unless the leader has exited and the group is empty by then.
// The kernel does not reuse a process group ID while any member lives, so
// the signals cannot reach an unrelated group. It returns the leader's exit
// code.
func (r *Runner) stop(pgid int, exited <-chan int) int {
	signalGroup(pgid, syscall.SIGTERM, r.opts.Log)
	grace := time.NewTimer(r.opts.KillGrace)
	defer grace.Stop()
	poll := time.NewTicker(groupPoll)
	defer poll.Stop()
	leaderDone, code := false, -1
	for {
		select {
		case code = <-exited:
			leaderDone = true
			exited = nil
			if groupGone(pgid) {
				return code
			}
		case <-poll.C:
			if leaderDone && groupGone(pgid) {
				return code
			}
		case <-grace.C:
			signalGroup(pgid, syscall.SIGKILL, r.opts.Log)
			if !leaderDone {
				code = <-exited
			}
			return code
		}
	}
}

func signalGroup(pgid int, sig syscall.Signal, log logr.Logger) {
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		log.Error(err, "Cannot signal the run's process group", "pgid", pgid, "signal", sig.String())
	}
}

func groupGone(pgid int) bool { return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) }

func statusOf(stopped error) string {
	if errors.Is(stopped, context.Canceled) {
		return StatusCanceled
	}
	return StatusTimeout
}

// readResult is what readEvents gathered.
type readResult struct {
	summary        events.Summary
	events         int
	task, taskPath string
	// err is the first reason events were lost: a read or artifact write
	// failure.
	err error
}

// readEvents decodes events from the pipe until it closes: it writes each
// line to the events artifact, folds the event and passes it to onEvent.
// It keeps reading after write errors, so Ansible never blocks on a full
// pipe.
func readEvents(pipe io.Reader, artifact io.Writer, onEvent func(events.Event), log logr.Logger) readResult {
	var (
		res readResult
		c   events.Collector
		dec = events.NewDecoder(pipe)
	)
	for {
		ev, line, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var lineErr *events.LineError
		if errors.As(err, &lineErr) {
			log.Info("Skipping a malformed event", "error", lineErr.Error())
			continue
		}
		if err != nil {
			res.err = errors.Join(res.err, err)
			break
		}
		if _, err := artifact.Write(append(line, '\n')); err != nil && res.err == nil {
			res.err = fmt.Errorf("write events artifact: %w", err)
		}
		res.events++
		c.Add(ev)
		if ev.Event == events.PlaybookOnTaskStart || ev.Event == events.PlaybookOnHandlerTaskStart {
			res.task, res.taskPath = ev.EventData.Task, ev.EventData.TaskPath
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
	res.summary = c.Summary()
	return res
}

func createFiles(dir string, names ...string) ([]*os.File, error) {
	files := make([]*os.File, 0, len(names))
	for _, name := range names {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("create %s artifact: %w", name, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// writeResult writes the rc and status artifacts.
func writeResult(runDir string, res outcome) error {
	return errors.Join(
		os.WriteFile(filepath.Join(runDir, rcFile), []byte(strconv.Itoa(res.exitCode)+"\n"), 0o600),
		os.WriteFile(filepath.Join(runDir, statusFile), []byte(res.status+"\n"), 0o600),
	)
}

// outputOf returns the end of the run's stderr, or of its stdout when
// stderr is empty.
func outputOf(runDir string) string {
	for _, name := range []string{stderrFile, stdoutFile} {
		if s := readTail(filepath.Join(runDir, name), outputTail); s != "" {
			return s
		}
	}
	return ""
}

func readTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(info.Size()-n, 0)
	b := make([]byte, info.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	return tailString(string(b), int(n))
}

// tailString trims s and keeps its last n bytes, from a rune boundary.
func tailString(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for i := 0; i < len(s) && i < 4; i++ {
		if s[i]&0xC0 != 0x80 {
			return "..." + s[i:]
		}
	}
	return "..." + s
}

// envKeys returns the names in a KEY=value list.
func envKeys(env []string) []string {
	keys := make([]string, len(env))
	for i, kv := range env {
		keys[i], _, _ = strings.Cut(kv, "=")
	}
	return keys
}
