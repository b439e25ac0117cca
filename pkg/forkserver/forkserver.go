package forkserver

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	//go:embed forkserver.py
	serverScript []byte
	//go:embed shim.py
	shimScript []byte
)

// Names of the files Install writes, and the environment variable that
// points the shim at a server.
const (
	ServerFile = "foreman_forkserver.py"
	ShimFile   = "foreman-python"
	SocketEnv  = "FOREMAN_FORKSERVER_SOCKET"
)

// DefaultPreload is what a server imports before it forks: what
// ansible-playbook imports to run a play, and the third-party libraries the
// kubernetes.core modules import in every task.
var DefaultPreload = []string{
	"ansible.cli.playbook",
	"ansible.executor.playbook_executor",
	"ansible.executor.task_queue_manager",
	"ansible.executor.process.worker",
	"ansible.executor.module_common",
	"ansible.plugins.strategy.linear",
	"ansible.plugins.connection.local",
	"ansible.plugins.shell.sh",
	"ansible.plugins.action.normal",
	"ansible.plugins.callback.default",
	"ansible.plugins.action.validate_argument_spec",
	"ansible.plugins.filter.core",
	"ansible.plugins.test.core",
	"ansible.plugins.inventory.host_list",
	"ansible.plugins.inventory.toml",
	"ansible.template",
	"ansible.vars.manager",
	"ansible.inventory.manager",
	"ansible.parsing.dataloader",
	"ansible.module_utils.basic",
	"kubernetes.client",
	"kubernetes.dynamic",
	"kubernetes.config",
	"yaml",
	"jinja2",
	"urllib3",
}

// startTimeout bounds a server's imports and its "ready" line.
const startTimeout = 60 * time.Second

// Install writes the server script and the Python shim into dir; the shim
// runs under python. It returns the shim's path.
func Install(dir, python string) (string, error) {
	if !filepath.IsAbs(python) {
		return "", fmt.Errorf("install fork server: python %q is not an absolute path", python)
	}
	shim := append([]byte("#!"+python+" -IS"), shimScript...)
	shimPath := filepath.Join(dir, ShimFile)
	err := errors.Join(
		os.WriteFile(filepath.Join(dir, ServerFile), serverScript, 0o600),
		os.WriteFile(shimPath, shim, 0o700),
	)
	if err != nil {
		return "", fmt.Errorf("install fork server: %w", err)
	}
	return shimPath, nil
}

// Options start a Server.
type Options struct {
	// Python runs the server; Dir holds the scripts Install wrote, and the
	// server's socket.
	Python, Dir string
	// Env is the server's environment: the one its children start from, so
	// it must be the runs' environment but for what each Request sets.
	Env []string
	// Preload names the modules to import before forking; DefaultPreload
	// when nil.
	Preload []string
}

// Server is a running fork server process.
type Server struct {
	socket string
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	err    error // why it ended, once done is closed
}

// Start starts a server and waits until it has imported everything and
// listens, or until ctx is done. The server goes when Close is called or the
// operator dies (parent-death signal); then it kills the process groups of
// the children it still has.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Preload == nil {
		opts.Preload = DefaultPreload
	}
	sockDir, err := os.MkdirTemp(opts.Dir, "s")
	if err != nil {
		return nil, fmt.Errorf("fork server socket dir: %w", err)
	}
	s := &Server{socket: filepath.Join(sockDir, "sock"), done: make(chan struct{})}
	args := append([]string{filepath.Join(opts.Dir, ServerFile), s.socket}, opts.Preload...)
	cmd := exec.Command(opts.Python, args...)
	cmd.Dir = sockDir // no ansible.cfg here: the server's config is the environment's
	cmd.Env = opts.Env
	var stderr tail
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("fork server stdout: %w", err)
	}
	// SIGTERM lets the server kill its children's groups on the way out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(sockDir)
		return nil, fmt.Errorf("start fork server %s: %w", opts.Python, err)
	}
	s.cmd = cmd
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("unexpected first line %q", line)
		}
		ready <- err
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.err = fmt.Errorf("fork server exited: %w: %s", err, stderr.String())
		s.mu.Unlock()
		os.RemoveAll(sockDir)
		close(s.done)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("not ready after %s", startTimeout)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("start fork server: %w: %s", err, stderr.String())
	}
	return s, nil
}

// Socket is the server's socket, for SocketEnv.
func (s *Server) Socket() string { return s.socket }

// Done is closed when the server has exited; Err then tells why.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err is why the server exited, or nil while it runs.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close stops the server (SIGTERM: it kills its remaining children's
// groups) and waits for it.
func (s *Server) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	return nil
}

// Request is one child to fork.
type Request struct {
	// Argv: Argv[0] is the Python script to run as __main__.
	Argv []string
	// Env is the child's whole environment; Dir its working directory.
	Env []string
	Dir string
	// Files become the child's descriptors 0, 1, 2, 3... (at least three).
	Files []*os.File
}

// Process is a child of the server, leader of a process group of its own.
type Process struct {
	Pid  int
	conn *net.UnixConn
	r    *bufio.Reader
}

type reply struct {
	Pid    *int   `json:"pid"`
	Exit   *int   `json:"exit"`
	Signal *int   `json:"signal"`
	Error  string `json:"error"`
}

// Spawn asks the server to fork a child for req. The child is in a new
// process group, whose ID is its pid, by the time Spawn returns.
func (s *Server) Spawn(req Request) (*Process, error) {
	if len(req.Files) < 3 || len(req.Argv) == 0 {
		return nil, errors.New("spawn: need an argv and at least three files")
	}
	env := make(map[string]string, len(req.Env))
	for _, kv := range req.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	body, err := json.Marshal(map[string]any{"argv": req.Argv, "env": env, "cwd": req.Dir, "pgid": 0, "fds": len(req.Files)})
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: s.socket, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("spawn: connect to the fork server: %w", err)
	}
	fds := make([]int, len(req.Files))
	for i, f := range req.Files {
		fds[i] = int(f.Fd())
	}
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	msg = append(msg, body...)
	if _, _, err := c.WriteMsgUnix(msg, syscall.UnixRights(fds...), nil); err != nil {
		c.Close()
		return nil, fmt.Errorf("spawn: send the request: %w", err)
	}
	p := &Process{conn: c, r: bufio.NewReader(c)}
	first, err := p.next()
	switch {
	case err != nil:
		c.Close()
		return nil, fmt.Errorf("spawn: %w", err)
	case first.Pid == nil:
		c.Close()
		return nil, fmt.Errorf("spawn: the fork server refused: %s", first.Error)
	}
	p.Pid = *first.Pid
	return p, nil
}

func (p *Process) next() (reply, error) {
	var r reply
	line, err := p.r.ReadBytes('\n')
	if err != nil {
		return r, fmt.Errorf("read the fork server's reply: %w", err)
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("read the fork server's reply %q: %w", line, err)
	}
	return r, nil
}

// Wait waits for the child to end and returns its exit code, -1 when a
// signal ended it. An error means the outcome is unknown (the server died).
func (p *Process) Wait() (int, error) {
	defer p.conn.Close()
	r, err := p.next()
	switch {
	case err != nil:
		return -1, err
	case r.Exit != nil:
		return *r.Exit, nil
	case r.Signal != nil:
		return -1, nil
	}
	return -1, fmt.Errorf("unexpected reply from the fork server: %+v", r)
}

// PythonOf returns the interpreter a Python script's "#!" line names, and
// whether there is one: "/usr/bin/python3" for "#! /usr/bin/python3", and
// for "#!/usr/bin/env python3" the python3 that path resolves. Scripts
// run by anything else are not Python.
func PythonOf(script, path string) (string, bool) {
	f, err := os.Open(script)
	if err != nil {
		return "", false
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	line, ok := strings.CutPrefix(line, "#!")
	if !ok {
		return "", false
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return "", false
	}
	interp := fields[0]
	if filepath.Base(interp) == "env" && len(fields) == 2 {
		interp = lookPath(fields[1], path)
	} else if len(fields) > 1 {
		return "", false // interpreter options would be lost
	}
	if interp == "" || !strings.HasPrefix(filepath.Base(interp), "python") {
		return "", false
	}
	return interp, true
}

func lookPath(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// tail keeps the last bytes written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 4096

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = t.buf[len(t.buf)-tailMax:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
