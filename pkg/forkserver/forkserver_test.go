package forkserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the real /usr/bin/python3 with Debian's Ansible.

const python = "/usr/bin/python3"

type childReport struct {
	Argv     []string `json:"argv"`
	Cwd      string   `json:"cwd"`
	Env      string   `json:"env"`
	Pid      int      `json:"pid"`
	Pgid     int      `json:"pgid"`
	LocalTmp string   `json:"local_tmp"`
	Main     string   `json:"main"`
}

func startServer(t *testing.T) (*Server, string) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("these tests need %s: %v", python, err)
	}
	dir := t.TempDir()
	shim, err := Install(dir, python)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{Python: python, Dir: dir, Env: os.Environ(),
		Preload: []string{"ansible.constants", "no.such.module"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, shim
}

// spawn forks testdata/child.py with env added and returns the process and
// the file its stdout goes to.
func spawn(t *testing.T, s *Server, env ...string) (*Process, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stdout")
	stdout, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	script, err := filepath.Abs("testdata/child.py")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Spawn(Request{
		Argv: []string{script, "one", "two"}, Env: append(os.Environ(), env...), Dir: t.TempDir(),
		Files: []*os.File{devNull, stdout, os.Stderr},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, out
}

func report(t *testing.T, path string) childReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r childReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("child output %q: %v", b, err)
	}
	return r
}

func TestSpawnRunsTheScriptAsMainWithTheRequestsSetting(t *testing.T) {
	s, _ := startServer(t)
	var reports []childReport
	for i, code := range []int{3, 0} {
		p, out := spawn(t, s, "CHILD_VALUE=value", "CHILD_EXIT="+strconv.Itoa(code))
		got, err := p.Wait()
		if err != nil || got != code {
			t.Fatalf("child %d: Wait = %d, %v; want %d", i, got, err, code)
		}
		r := report(t, out)
		if r.Pid != p.Pid || r.Pgid != p.Pid {
			t.Errorf("child %d: pid %d pgid %d, want both %d (a group of its own)", i, r.Pid, r.Pgid, p.Pid)
		}
		if r.Main != "__main__" || len(r.Argv) != 3 || r.Argv[1] != "one" || r.Env != "value" {
			t.Errorf("child %d: __name__ %q argv %q env %q", i, r.Main, r.Argv, r.Env)
		}
		if !strings.Contains(r.LocalTmp, "ansible-local-"+strconv.Itoa(r.Pid)) {
			t.Errorf("child %d: Ansible local tmp %q is not its own", i, r.LocalTmp)
		}
		if _, err := os.Stat(r.LocalTmp); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("child %d: its local tmp %s outlived it: %v", i, r.LocalTmp, err)
		}
		reports = append(reports, r)
	}
	// The first child's exit did not remove the server's directory, which
	// holds the second's.
	if filepath.Dir(reports[0].LocalTmp) != filepath.Dir(reports[1].LocalTmp) {
		t.Errorf("children's local tmp dirs in different places: %v", reports)
	}
	if _, err := os.Stat(filepath.Dir(reports[1].LocalTmp)); err != nil {
		t.Errorf("local tmp parent: %v", err)
	}
}

func TestWaitReportsAKilledChild(t *testing.T) {
	s, _ := startServer(t)
	p, _ := spawn(t, s, "CHILD_SLEEP=60")
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the child's group at once: %v", err)
	}
	if code, err := p.Wait(); err != nil || code != -1 {
		t.Errorf("Wait = %d, %v; want -1 for a signal", code, err)
	}
}

func TestCloseKillsTheChildrensGroups(t *testing.T) {
	s, _ := startServer(t)
	p, _ := spawn(t, s, "CHILD_SLEEP=60")
	done := make(chan int, 1)
	go func() { code, _ := p.Wait(); done <- code }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitGroupGone(t, p.Pid)
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still running after Close")
	}
}

func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
			return
		}
	}
	t.Fatalf("process group %d still alive", pgid)
}

const moduleSource = `
import json, os, sys
print(json.dumps({"pid": os.getpid(), "pgid": os.getpgrp(), "main": __name__, "argv": sys.argv,
                  "env": os.environ.get("CHILD_VALUE"), "cwd": os.getcwd()}))
sys.exit(5)
`

// runShim runs the shim as Ansible runs an interpreter: in a process group
// of its own, with the module on stdin, or args.
func runShim(t *testing.T, shim string, env []string, stdin string, args ...string) (childReport, int, int) {
	t.Helper()
	cmd := exec.Command(shim, args...)
	cmd.Env = append(env, "CHILD_VALUE=module")
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("shim: %v: %s", err, stderr.String())
	}
	var r childReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("shim output %q (stderr %q): %v", stdout.String(), stderr.String(), err)
	}
	if real, _ := filepath.EvalSymlinks(cmd.Dir); r.Cwd != cmd.Dir && r.Cwd != real {
		t.Errorf("module cwd %q, want %q", r.Cwd, cmd.Dir)
	}
	return r, cmd.ProcessState.ExitCode(), cmd.Process.Pid
}

func TestShimForksTheModuleIntoTheRunsGroup(t *testing.T) {
	s, shim := startServer(t)
	env := append(os.Environ(), SocketEnv+"="+s.Socket())
	r, code, shimPid := runShim(t, shim, env, moduleSource)
	if code != 5 {
		t.Errorf("shim exit code %d, want the module's 5", code)
	}
	if r.Pid == shimPid {
		t.Errorf("the module ran in the shim's process, not forked from the server")
	}
	if r.Pgid != shimPid {
		t.Errorf("module pgid %d, want the shim's group %d", r.Pgid, shimPid)
	}
	if r.Main != "__main__" || r.Env != "module" {
		t.Errorf("module __name__ %q, CHILD_VALUE %q", r.Main, r.Env)
	}

	file := filepath.Join(t.TempDir(), "module.py")
	if err := os.WriteFile(file, []byte(moduleSource), 0o600); err != nil {
		t.Fatal(err)
	}
	r, code, shimPid = runShim(t, shim, env, "", file, "arg")
	if code != 5 || r.Pid == shimPid || len(r.Argv) != 2 || r.Argv[0] != file || r.Argv[1] != "arg" {
		t.Errorf("module file: code %d, pid %d (shim %d), argv %q", code, r.Pid, shimPid, r.Argv)
	}
}

func TestShimWithoutAServerIsPython(t *testing.T) {
	dir := t.TempDir()
	shim, err := Install(dir, python)
	if err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string][]string{
		"no socket variable": os.Environ(),
		"socket gone":        append(os.Environ(), SocketEnv+"="+filepath.Join(dir, "missing.sock")),
	} {
		r, code, shimPid := runShim(t, shim, env, moduleSource)
		if code != 5 || r.Pid != shimPid || r.Main != "__main__" {
			t.Errorf("%s: code %d, module pid %d (shim %d), __name__ %q; want python itself", name, code, r.Pid, shimPid, r.Main)
		}
	}
}

func TestPythonOf(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "python3"), nil, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		head, want string
		ok         bool
	}{
		{"#! /usr/bin/python3\n", "/usr/bin/python3", true},
		{"#!/usr/bin/python3.11\nimport x", "/usr/bin/python3.11", true},
		{"#!/usr/bin/env python3\n", filepath.Join(bin, "python3"), true},
		{"#!/usr/bin/env python9\n", "", false},
		{"#!/usr/bin/python3 -E\n", "", false},
		{"#!/bin/sh\n", "", false},
		{"\x7fELF", "", false},
	} {
		script := filepath.Join(dir, "script")
		if err := os.WriteFile(script, []byte(tc.head), 0o700); err != nil {
			t.Fatal(err)
		}
		got, ok := PythonOf(script, bin)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PythonOf(%q) = %q, %v; want %q, %v", tc.head, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := PythonOf(filepath.Join(dir, "missing"), bin); ok {
		t.Error("PythonOf(missing) ok")
	}
}
