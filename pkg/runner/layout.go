package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Paths inside a CR directory, as ansible-runner lays out its private data
// dir.
const (
	envDir        = "env"
	extravarsFile = "extravars"
	cmdlineFile   = "cmdline"
	inventoryDir  = "inventory"
	projectDir    = "project"
	// rolePlaybook is the play the runner writes to run a role.
	rolePlaybook = "role.yml"
)

// localhostInventory is ansible-runner's inventory for operator runs, with
// the Python interpreter for modules: {{ansible_playbook_python}} as
// upstream, or the fork server's shim.
func localhostInventory(python string) string {
	return "localhost ansible_connection=local ansible_python_interpreter=" + python + "\n"
}

// playbookPython is upstream's interpreter for modules.
const playbookPython = "{{ansible_playbook_python}}"

// prepare writes the input side of dir for one run and returns the playbook
// to run and the arguments from env/cmdline.
// Modules run under python.
func prepare(dir string, in Input, env []string, python string) (string, []string, error) {
	for _, sub := range []string{envDir, projectDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return "", nil, fmt.Errorf("create %s dir: %w", sub, err)
		}
	}
	if err := writeExtraVars(filepath.Join(dir, envDir, extravarsFile), in.ExtraVars); err != nil {
		return "", nil, err
	}
	args, err := writeCmdline(filepath.Join(dir, envDir, cmdlineFile), in.Cmdline)
	if err != nil {
		return "", nil, err
	}
	inv, _ := lookupEnv(env, "ANSIBLE_INVENTORY")
	if err := writeInventory(filepath.Join(dir, inventoryDir), inv, python); err != nil {
		return "", nil, err
	}
	if in.Playbook != "" {
		return in.Playbook, args, nil
	}
	gather, _ := lookupEnv(env, "ANSIBLE_GATHERING")
	playbook := filepath.Join(dir, projectDir, rolePlaybook)
	if err := writeRolePlaybook(playbook, in.Role, gather != "explicit"); err != nil {
		return "", nil, err
	}
	return playbook, args, nil
}

// writeExtraVars writes vars as JSON, readable by the operator only.
func writeExtraVars(path string, vars map[string]any) error {
	if vars == nil {
		vars = map[string]any{}
	}
	b, err := json.Marshal(vars)
	if err != nil {
		return fmt.Errorf("encode extra vars: %w", err)
	}
	if err := writeFileAtomic(path, b); err != nil {
		return fmt.Errorf("write extra vars: %w", err)
	}
	return nil
}

// writeCmdline writes env/cmdline like upstream (only when there is one)
// and returns its words.
func writeCmdline(path, cmdline string) ([]string, error) {
	cmdline = trimQuotes(cmdline)
	if cmdline == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("remove stale cmdline: %w", err)
		}
		return nil, nil
	}
	args, err := splitArgs(cmdline)
	if err != nil {
		return nil, fmt.Errorf("ansible args: %w", err)
	}
	if err := writeFileAtomic(path, []byte(cmdline)); err != nil {
		return nil, fmt.Errorf("write cmdline: %w", err)
	}
	return args, nil
}

// writeInventory recreates dir: a copy of the file or directory src when
// ANSIBLE_INVENTORY names one, else the localhost inventory.
func writeInventory(dir, src, python string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear inventory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create inventory dir: %w", err)
	}
	if src == "" {
		if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(localhostInventory(python)), 0o600); err != nil {
			return fmt.Errorf("write inventory: %w", err)
		}
		return nil
	}
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("ANSIBLE_INVENTORY: %w", err)
	}
	if !info.IsDir() {
		if err := copyFile(src, filepath.Join(dir, "hosts"), info.Mode()); err != nil {
			return fmt.Errorf("copy ANSIBLE_INVENTORY: %w", err)
		}
		return nil
	}
	err = filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dir, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		info, err := os.Stat(path) // follows links, as a copy should
		if err != nil {
			return err
		}
		return copyFile(path, target, info.Mode())
	})
	if err != nil {
		return fmt.Errorf("copy ANSIBLE_INVENTORY: %w", err)
	}
	return nil
}

// writeRolePlaybook writes the play that runs role on localhost. JSON is
// YAML, and encoding it keeps any path safe.
func writeRolePlaybook(path, role string, gatherFacts bool) error {
	play := []map[string]any{{
		"name":         "Run role " + filepath.Base(role),
		"hosts":        "localhost",
		"gather_facts": gatherFacts,
		"roles":        []map[string]any{{"role": role}},
	}}
	b, err := json.MarshalIndent(play, "", "  ")
	if err != nil {
		return fmt.Errorf("encode role playbook: %w", err)
	}
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write role playbook: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data, mode 0600.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return errors.Join(err, os.Remove(f.Name()))
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return errors.Join(err, os.Remove(f.Name()))
	}
	return nil
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm()|0o600)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(out, in)
	return errors.Join(cerr, out.Close())
}

// lookupEnv finds key in env; the last entry wins, as in exec.Cmd.
func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// prependList puts item before the entries of list, which are separated by
// sep.
func prependList(item, list, sep string) string {
	if list == "" {
		return item
	}
	return item + sep + list
}
