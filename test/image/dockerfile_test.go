// Package image_test checks the operator image's Dockerfile without a
// container engine (none runs here, so CI never builds the image): its
// stages, that it installs the Ansible packages from the very list CI
// installs, that every path it copies exists and reaches the build context,
// and that the layout it makes lets the operator find watches.yaml and the
// roles.
package image_test

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/theforeman/foreman-operator/pkg/watches"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	stage     int // index of the FROM it follows
}

func parseDockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open(filepath.Join(testrepo.Root(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	stage := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{cmd: cmd, args: strings.TrimSpace(args), stage: stage})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func find(ins []instruction, cmd string, stage int) []instruction {
	var out []instruction
	for _, i := range ins {
		if i.cmd == cmd && (stage < 0 || i.stage == stage) {
			out = append(out, i)
		}
	}
	return out
}

func TestTheImageIsBuiltInTwoStages(t *testing.T) {
	ins := parseDockerfile(t)
	froms := find(ins, "FROM", -1)
	if len(froms) != 2 {
		t.Fatalf("want two stages (build, runtime), have FROM %v", froms)
	}
	goMod, err := os.ReadFile(filepath.Join(testrepo.Root(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if want := "docker.io/library/golang:" + string(goVersion[1]) + "-bookworm AS build"; froms[0].args != want {
		t.Errorf("build stage FROM %q, want %q (go.mod's Go)", froms[0].args, want)
	}
	if !slices.ContainsFunc(find(ins, "RUN", 0), func(i instruction) bool {
		return strings.Contains(i.args, "go build") && strings.Contains(i.args, "-o /out/foreman-operator ./cmd/foreman-operator")
	}) {
		t.Error("the build stage does not go build ./cmd/foreman-operator into /out/foreman-operator")
	}
	if froms[1].args != "docker.io/library/debian:bookworm-slim" {
		t.Errorf("runtime FROM %q, want Debian bookworm-slim", froms[1].args)
	}
	if !slices.ContainsFunc(find(ins, "COPY", 1), func(i instruction) bool {
		return i.args == "--from=build /out/foreman-operator /usr/local/bin/foreman-operator"
	}) {
		t.Error("the runtime stage does not copy the binary from the build stage")
	}
}

// ciPackages reads a package list as hack/cluster/install-deps.sh does: the
// first word of each line that is neither empty nor a comment.
func ciPackages(list string) []string {
	var out []string
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out = append(out, f[0])
	}
	return out
}

// imagePackages reads it as the Dockerfile does: sed -e 's/#.*//' | xargs.
func imagePackages(list string) []string {
	var out []string
	for _, line := range strings.Split(list, "\n") {
		line, _, _ = strings.Cut(line, "#")
		out = append(out, strings.Fields(line)...)
	}
	return out
}

func TestTheImageInstallsTheAnsiblePackagesCIInstalls(t *testing.T) {
	ins := parseDockerfile(t)
	const list, dst = "hack/apt-packages/ansible.txt", "/tmp/apt-packages.txt"
	if !slices.ContainsFunc(find(ins, "COPY", 1), func(i instruction) bool { return i.args == list+" "+dst }) {
		t.Fatalf("the runtime stage does not COPY %s %s", list, dst)
	}
	var install string
	for _, i := range find(ins, "RUN", 1) {
		if strings.Contains(i.args, "apt-get install") {
			install = i.args
		}
	}
	pipeline := "sed -e 's/#.*//' " + dst + " | xargs apt-get install -y --no-install-recommends "
	start := strings.Index(install, pipeline)
	if start < 0 {
		t.Fatalf("the runtime stage's apt-get install %q does not install from %s with %q", install, dst, pipeline)
	}
	// Beside the shared list, the image adds only tini.
	extra, _, _ := strings.Cut(install[start+len(pipeline):], "&&")
	if got := strings.Fields(extra); !slices.Equal(got, []string{"tini"}) {
		t.Errorf("packages beside the shared list: %v, want [tini]", got)
	}

	data, err := os.ReadFile(filepath.Join(testrepo.Root(t), list))
	if err != nil {
		t.Fatal(err)
	}
	ci, image := ciPackages(string(data)), imagePackages(string(data))
	if len(ci) == 0 {
		t.Fatalf("%s lists no package", list)
	}
	if !slices.Equal(ci, image) {
		t.Errorf("%s reads as %v in CI (install-deps.sh) but %v in the image: one package per line, comments after #", list, ci, image)
	}
	for _, want := range []string{"ansible", "python3-kubernetes"} {
		if !slices.Contains(ci, want) {
			t.Errorf("%s lacks %s, which the roles need", list, want)
		}
	}
	script, err := os.ReadFile(filepath.Join(testrepo.Root(t), "hack", "cluster", "install-deps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), `hack/apt-packages/$set.txt`) {
		t.Error("hack/cluster/install-deps.sh no longer reads hack/apt-packages/<set>.txt")
	}
}

// ignored reports whether .dockerignore keeps path out of the build
// context: the last pattern that matches the path or a directory above it
// decides, as Docker's does.
func ignored(patterns []string, path string) bool {
	out := false
	for _, p := range patterns {
		negate := strings.HasPrefix(p, "!")
		re := globRegexp(strings.TrimPrefix(p, "!"))
		for dir := path; dir != "." && dir != "/"; dir = filepath.Dir(dir) {
			if re.MatchString(dir) {
				out = !negate
				break
			}
		}
	}
	return out
}

func globRegexp(pattern string) *regexp.Regexp {
	pattern = filepath.Clean(pattern)
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case strings.HasPrefix(pattern[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(pattern[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return regexp.MustCompile("^" + b.String() + "$")
}

func dockerignore(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testrepo.Root(t), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// copies are the runtime and build stages' COPY instructions from the build
// context: sources and destination.
func copies(t *testing.T, ins []instruction, stage int) [][]string {
	t.Helper()
	var out [][]string
	for _, i := range find(ins, "COPY", stage) {
		if strings.HasPrefix(i.args, "--from=") {
			continue
		}
		f := strings.Fields(i.args)
		if len(f) < 2 {
			t.Fatalf("COPY %s: want sources and a destination", i.args)
		}
		out = append(out, f)
	}
	return out
}

func TestEveryPathTheDockerfileCopiesExistsAndIsInTheContext(t *testing.T) {
	root := testrepo.Root(t)
	patterns := dockerignore(t)
	cs := copies(t, parseDockerfile(t), -1)
	if len(cs) == 0 {
		t.Fatal("no COPY from the build context")
	}
	for _, c := range cs {
		for _, src := range c[:len(c)-1] {
			path := filepath.Clean(src)
			if _, err := os.Stat(filepath.Join(root, path)); err != nil {
				t.Errorf("COPY %s: %v", src, err)
				continue
			}
			if ignored(patterns, path) {
				t.Errorf("COPY %s: .dockerignore keeps it out of the build context", src)
			}
		}
	}
	// The ignore rules themselves: the tests stay out, the sources do not.
	for path, want := range map[string]bool{
		"roles/foreman/tests/filters.yml": true, "pkg/runner/runner_test.go": true, "cmd/foreman-operator/testdata": true,
		".git": true, "bin": true, "pkg/runner/plugins/callback/foreman_events.py": false, "roles/foreman/tasks/main.yml": false,
	} {
		if got := ignored(patterns, path); got != want {
			t.Errorf(".dockerignore ignores %s: %v, want %v", path, got, want)
		}
	}
}

func TestTheImageRunsTheOperatorAsNonRootUnderTini(t *testing.T) {
	ins := parseDockerfile(t)
	users := find(ins, "USER", 1)
	if len(users) == 0 {
		t.Fatal("the runtime stage sets no USER")
	}
	uid, err := strconv.Atoi(users[len(users)-1].args)
	if err != nil || uid == 0 {
		t.Errorf("USER %q: want a numeric non-root UID, which runAsNonRoot can check", users[len(users)-1].args)
	}
	eps := find(ins, "ENTRYPOINT", 1)
	if len(eps) != 1 {
		t.Fatalf("want one ENTRYPOINT, have %v", eps)
	}
	var ep []string
	if err := json.Unmarshal([]byte(eps[0].args), &ep); err != nil {
		t.Fatalf("ENTRYPOINT %s: want the exec form: %v", eps[0].args, err)
	}
	if want := []string{"/usr/bin/tini", "--", "/usr/local/bin/foreman-operator"}; !slices.Equal(ep, want) {
		t.Errorf("ENTRYPOINT %v, want %v", ep, want)
	}
}

// TestTheImageLayoutFindsTheWatchesAndRoles lays out the runtime stage's
// COPYs in a directory (the context filtered by .dockerignore) and loads
// ./watches.yaml from its WORKDIR, as the operator does when it starts:
// every role and playbook it names must be there.
func TestTheImageLayoutFindsTheWatchesAndRoles(t *testing.T) {
	root, image := testrepo.Root(t), t.TempDir()
	ins := parseDockerfile(t)
	workdirs := find(ins, "WORKDIR", 1)
	if len(workdirs) == 0 {
		t.Fatal("the runtime stage sets no WORKDIR")
	}
	workdir := workdirs[len(workdirs)-1].args
	patterns := dockerignore(t)
	for _, c := range copies(t, ins, 1) {
		dst := c[len(c)-1]
		dir := strings.HasSuffix(dst, "/") || dst == "."
		if !filepath.IsAbs(dst) {
			dst = filepath.Join(workdir, dst)
		}
		dst = filepath.Join(image, dst)
		if dir {
			dst += "/"
		}
		for _, src := range c[:len(c)-1] {
			copyTree(t, root, filepath.Clean(src), dst, patterns)
		}
	}
	cwd := filepath.Join(image, workdir)
	ws, _, err := watches.Load(filepath.Join(cwd, "watches.yaml"), watches.Options{Cwd: cwd, RolesPath: []string{}, CollectionsPath: []string{}})
	if err != nil {
		t.Fatalf("The operator would not start in the image: %v", err)
	}
	for _, w := range ws {
		if !strings.HasPrefix(w.Role+w.Playbook, cwd) {
			t.Errorf("%s runs %s, outside the image's %s", w.GroupVersionKind.Kind, w.Role+w.Playbook, workdir)
		}
	}
	if _, err := os.Stat(filepath.Join(cwd, "roles", "foreman", "tests")); err == nil {
		t.Error("the role's tests are in the image")
	}
	// playbooks/roles links to ../roles, which the image has too.
	if _, err := os.Stat(filepath.Join(cwd, "playbooks", "roles", "foreman", "tasks", "main.yml")); err != nil {
		t.Errorf("playbooks/ cannot reach the roles in the image: %v", err)
	}
}

// copyTree copies src (relative to root) to dst as Docker's COPY does: a
// directory's contents into dst, a file into dst (or dst/ when it ends in
// /), links as links, skipping what .dockerignore excludes.
func copyTree(t *testing.T, root, src, dst string, patterns []string) {
	t.Helper()
	info, err := os.Stat(filepath.Join(root, src))
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsDir() {
		if strings.HasSuffix(dst, "/") || isDir(dst) {
			dst = filepath.Join(dst, filepath.Base(src))
		}
		copyFile(t, filepath.Join(root, src), dst)
		return
	}
	err = filepath.WalkDir(filepath.Join(root, src), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if ignored(patterns, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		sub, _ := filepath.Rel(filepath.Join(root, src), path)
		target := filepath.Join(dst, sub)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		}
		copyFile(t, path, target)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMakeDockerBuildBuildsTheImage(t *testing.T) {
	cmd := exec.Command("make", "-n", "docker-build", "IMG=example.com/foreman-operator:test", "CONTAINER_TOOL=docker")
	cmd.Dir = testrepo.Root(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n docker-build: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "docker build -t example.com/foreman-operator:test .") {
		t.Errorf("make docker-build would run:\n%s\nwant docker build -t IMG . (the Dockerfile at the top)", out)
	}
}
