package watches

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// defaultCollectionsPath is Ansible's own default, used without ANSIBLE_COLLECTIONS_PATH.
var defaultCollectionsPath = []string{"/usr/share/ansible/collections", "~/.ansible/collections"}

var errNoTarget = errors.New("neither role nor playbook is set")

// withDefaults fills in what the caller left out and makes every search path absolute.
func (o Options) withDefaults() (Options, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Cwd == "" {
		cwd, err := os.Getwd()
		if err != nil {
			return o, fmt.Errorf("get working directory: %w", err)
		}
		o.Cwd = cwd
	}
	cwd, err := filepath.Abs(o.Cwd)
	if err != nil {
		return o, fmt.Errorf("make working directory %q absolute: %w", o.Cwd, err)
	}
	o.Cwd = cwd
	if o.RolesPath == nil {
		o.RolesPath = filepath.SplitList(o.Getenv("ANSIBLE_ROLES_PATH"))
	}
	if o.CollectionsPath == nil {
		o.CollectionsPath = filepath.SplitList(o.Getenv("ANSIBLE_COLLECTIONS_PATH"))
		if len(o.CollectionsPath) == 0 {
			o.CollectionsPath = defaultCollectionsPath
		}
	}
	home := o.Getenv("HOME")
	o.RolesPath = absPaths(o.RolesPath, o.Cwd, home)
	o.CollectionsPath = absPaths(o.CollectionsPath, o.Cwd, home)
	return o, nil
}

// absPaths expands a leading ~ and joins relative paths with cwd. It drops empty entries,
// and ~ entries when home is unknown.
func absPaths(paths []string, cwd, home string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if p == "~" || strings.HasPrefix(p, "~/") {
			if home == "" {
				continue
			}
			p = filepath.Join(home, p[1:])
		}
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		out = append(out, filepath.Clean(p))
	}
	return out
}

// resolver turns the role and playbook names of watches.yaml into absolute paths.
type resolver struct {
	opts Options
}

// resolve finds what an entry (or its finalizer) runs. The playbook wins when both are
// set, as upstream. field is the key that an error is about.
func (r resolver) resolve(role, playbook string) (rolePath, playbookPath, field string, err error) {
	switch {
	case playbook != "":
		playbookPath, err = r.playbook(playbook)
		return "", playbookPath, "playbook", err
	case role != "":
		rolePath, err = r.role(role)
		return rolePath, "", "role", err
	}
	return "", "", "role", errNoTarget
}

// role returns the first directory in roleCandidates(name) that exists.
func (r resolver) role(name string) (string, error) {
	candidates := r.roleCandidates(name)
	for _, c := range candidates {
		if info, err := os.Stat(c); err == nil && info.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("role %q not found (looked in: %s)", name, strings.Join(candidates, ", "))
}

// roleCandidates lists where ansible-operator looks for a role, in its order: an absolute
// path as given; for ns.coll.role, <p>/ansible_collections/ns/coll/roles/role for each
// collections path p; <p>/<role> and <p>/roles/<role> for each roles path p; <cwd>/roles/<role>.
func (r resolver) roleCandidates(name string) []string {
	if filepath.IsAbs(name) {
		return []string{filepath.Clean(name)}
	}
	var out []string
	if fqcn := strings.Split(name, "."); len(fqcn) == 3 {
		for _, p := range r.opts.CollectionsPath {
			out = append(out, filepath.Join(p, "ansible_collections", fqcn[0], fqcn[1], "roles", fqcn[2]))
		}
	}
	for _, p := range r.opts.RolesPath {
		out = append(out, filepath.Join(p, name), filepath.Join(p, "roles", name))
	}
	return append(out, filepath.Join(r.opts.Cwd, "roles", name))
}

// playbook returns the absolute path of a playbook file; a relative one is joined with cwd.
func (r resolver) playbook(path string) (string, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(r.opts.Cwd, abs)
	}
	abs = filepath.Clean(abs)
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("playbook %q not found (looked in: %s)", path, abs)
	case err != nil:
		return "", fmt.Errorf("stat playbook %q: %w", path, err)
	case info.IsDir():
		return "", fmt.Errorf("playbook %q is a directory: %s", path, abs)
	}
	return abs, nil
}
