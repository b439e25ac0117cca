// Package testoperator builds the foreman-operator binary once per test
// process and runs it as a child process, with its JSON log captured, for
// tests and benchmarks that need a real operator process (leader election,
// process-tree memory, kills).
package testoperator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary builds cmd/foreman-operator into a temporary directory, once.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "foreman-operator-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "foreman-operator")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/foreman-operator")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("Build foreman-operator: %v", buildErr)
	}
	return binary
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// Process is a running operator.
type Process struct {
	Cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

// Start runs the operator with args and extra environment; it is killed
// when the test ends. Its log is printed when the test fails.
func Start(t testing.TB, args []string, env ...string) *Process {
	t.Helper()
	return StartIn(t, "", args, env...)
}

// StartIn is Start in the working directory dir ("" for the test's), as an
// image's WORKDIR would be.
func StartIn(t testing.TB, dir string, args []string, env ...string) *Process {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &Process{Cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = p
	cmd.Stderr = p
	if err := cmd.Start(); err != nil {
		t.Fatalf("Start foreman-operator: %v", err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("foreman-operator pid %d log:\n%s", cmd.Process.Pid, p.Log())
		}
	})
	return p
}

// Write captures the operator's output.
func (p *Process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

// Log is everything the operator printed so far.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Entries are the JSON log lines whose msg is msg.
func (p *Process) Entries(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.Log()))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// Kill sends SIGKILL to the operator's whole process group and waits.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	p.Wait(10 * time.Second)
}

// Stop sends SIGTERM to the operator and waits for it to exit.
func (p *Process) Stop(timeout time.Duration) bool {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	return p.Wait(timeout)
}

// Wait reports whether the operator exited within timeout.
func (p *Process) Wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
