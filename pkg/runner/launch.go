package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/go-logr/logr"

	"github.com/theforeman/foreman-operator/pkg/forkserver"
)

// process is a started ansible-playbook, the leader of its own process
// group.
type process interface {
	pid() int
	// wait waits for it to exit and returns its exit code, -1 when a
	// signal ended it or the code is unknown.
	wait() int
}

// launch describes one ansible-playbook to start.
type launch struct {
	argv, env []string
	// runEnv are the keys of env that differ from run to run (Input.Env);
	// the rest selects the fork server.
	runEnv []string
	dir    string
	files  []*os.File // stdin, stdout, stderr, events
}

type execProcess struct{ cmd *exec.Cmd }

func (p execProcess) pid() int { return p.cmd.Process.Pid }

func (p execProcess) wait() int {
	_ = p.cmd.Wait() // the exit code says it all
	return p.cmd.ProcessState.ExitCode()
}

type forkedProcess struct {
	p   *forkserver.Process
	log logr.Logger
}

func (p forkedProcess) pid() int { return p.p.Pid }

func (p forkedProcess) wait() int {
	code, err := p.p.Wait()
	if err != nil {
		p.log.Error(err, "Lost the exit code of a forked ansible-playbook", "pid", p.p.Pid)
	}
	return code
}

// start starts ansible-playbook: forked from a fork server when the Runner
// has them and l suits one, else executed.
func (r *Runner) start(l launch) (process, error) {
	if r.forks != nil {
		p, err := r.forks.spawn(r.opts.AnsiblePlaybook, l)
		if err == nil {
			return forkedProcess{p: p, log: r.opts.Log}, nil
		}
		if !errors.Is(err, errForksOff) {
			// Nothing was forked, so running it the usual way is safe.
			r.opts.Log.Error(err, "Cannot fork ansible-playbook from the fork server; executing it")
		}
	}
	cmd := exec.Command(r.opts.AnsiblePlaybook, l.argv...)
	cmd.Dir = l.dir
	cmd.Env = l.env
	cmd.Stdout, cmd.Stderr = l.files[1], l.files[2]
	cmd.ExtraFiles = l.files[3:] // descriptor eventsFD in the child
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", r.opts.AnsiblePlaybook, err)
	}
	return execProcess{cmd: cmd}, nil
}

// errForksOff: this launch does not use a fork server.
var errForksOff = errors.New("fork server not used")

// forkServers starts one fork server per distinct environment (one per
// roles directory, in practice) the first time a run needs it, and again
// if it dies.
type forkServers struct {
	python, dir string
	log         logr.Logger

	mu      sync.Mutex
	servers map[string]*forkserver.Server
	failed  map[string]bool
	closed  bool
}

func newForkServers(python, dir string, log logr.Logger) *forkServers {
	return &forkServers{python: python, dir: dir, log: log,
		servers: map[string]*forkserver.Server{}, failed: map[string]bool{}}
}

func (f *forkServers) spawn(playbook string, l launch) (*forkserver.Process, error) {
	// ansible.cfg in the working directory would configure this run apart
	// from the server's imports: run it the usual way.
	if _, err := os.Stat(filepath.Join(l.dir, "ansible.cfg")); err == nil {
		return nil, errForksOff
	}
	serverEnv := slices.DeleteFunc(slices.Clone(l.env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(l.runEnv, k)
	})
	s, err := f.server(serverEnv)
	if err != nil {
		return nil, err
	}
	env := append(slices.Clone(l.env), forkserver.SocketEnv+"="+s.Socket())
	return s.Spawn(forkserver.Request{Argv: append([]string{playbook}, l.argv...), Env: env, Dir: l.dir, Files: l.files})
}

func (f *forkServers) server(env []string) (*forkserver.Server, error) {
	key := strings.Join(env, "\x00")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.failed[key] {
		return nil, errForksOff
	}
	if s := f.servers[key]; s != nil {
		select {
		case <-s.Done():
			f.log.Error(s.Err(), "The fork server ended; starting another")
		default:
			return s, nil
		}
	}
	s, err := forkserver.Start(context.Background(), forkserver.Options{Python: f.python, Dir: f.dir, Env: env})
	if err != nil {
		f.failed[key] = true
		f.log.Error(err, "Cannot start a fork server; runs with this environment execute ansible-playbook")
		return nil, errForksOff
	}
	f.log.V(1).Info("Started a fork server", "python", f.python, "servers", len(f.servers)+1)
	f.servers[key] = s
	return s, nil
}

func (f *forkServers) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, s := range f.servers {
		_ = s.Close()
	}
}
