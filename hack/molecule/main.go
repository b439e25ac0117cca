// Command molecule runs the project's Molecule scenarios where Molecule is
// not installed (internal/molecule): the same molecule.yml files and
// playbooks, in Molecule's sequences, with /usr/bin/ansible-playbook. `make
// molecule` (hack/molecule.sh) calls it when `molecule` is not on PATH.
//
//	go run ./hack/molecule [command] [-s scenario | --all] [--destroy always|never] [-- ansible-playbook args]
//
// The command is Molecule's (test by default; converge, verify, idempotence,
// side_effect, cleanup, destroy, ...). Scenarios run one after the other;
// with --all, a failure does not stop the others, and the summary lists
// each. When a step fails, --on-failure (molecule/shared/dump.yml) shows the
// cluster's state, then cleanup and destroy run (--destroy never keeps it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/theforeman/foreman-operator/internal/molecule"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "molecule:", err)
		os.Exit(1)
	}
}

func run() error {
	_, file, _, _ := runtime.Caller(0)
	defaultProject, _ := filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
	args := os.Args[1:]
	command := "test"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("molecule", flag.ContinueOnError)
	scenario := fs.String("s", "", "the scenario (a directory under molecule/)")
	fs.StringVar(scenario, "scenario-name", "", "the scenario (a directory under molecule/)")
	all := fs.Bool("all", false, "every scenario")
	destroy := fs.String("destroy", "always", "after a failed test: always (clean up) or never (keep it to look at)")
	onFailure := fs.String("on-failure", "molecule/shared/dump.yml", "playbook run when a step fails, relative to the project (empty: none)")
	project := fs.String("project", defaultProject, "the project: the directory holding molecule/")
	timeout := fs.Duration("timeout", 30*time.Minute, "bound of each scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *destroy != "always" && *destroy != "never" {
		return fmt.Errorf("--destroy %q: always or never", *destroy)
	}
	names, err := molecule.Scenarios(*project)
	if err != nil {
		return err
	}
	if command == "list" {
		for _, n := range names {
			fmt.Println(n)
		}
		return nil
	}
	switch {
	case *all && *scenario != "":
		return errors.New("-s and --all exclude each other")
	case *scenario != "":
		names = []string{*scenario}
	case !*all:
		names = []string{"default"}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var failed []string
	var reports []*molecule.Report
	for _, name := range names {
		sctx, cancel := context.WithTimeout(ctx, *timeout)
		report, err := molecule.Run(sctx, molecule.Options{
			Project:      *project,
			Scenario:     name,
			Command:      command,
			DestroyNever: *destroy == "never",
			OnFailure:    *onFailure,
			AnsibleArgs:  fs.Args(),
			Out:          os.Stdout,
		})
		cancel()
		if report != nil {
			reports = append(reports, report)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "molecule:", err)
			failed = append(failed, name)
		}
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Println("\n--> Summary")
	for _, r := range reports {
		fmt.Print(r)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed: %s", plural(len(failed), "scenario"), strings.Join(failed, ", "))
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
