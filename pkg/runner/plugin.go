package runner

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The callback plugin that streams events; see doc.go.
//
//go:embed plugins/callback/foreman_events.py
var callbackPlugin []byte

const (
	callbackName = "foreman_events"
	// eventsFDEnv names the environment variable that tells the plugin
	// which file descriptor to write to.
	eventsFDEnv = "FOREMAN_EVENTS_FD"
	// eventsFD is the child's descriptor for the events pipe: the first of
	// exec.Cmd.ExtraFiles.
	eventsFD = 3
)

// installPlugin writes the plugin into a new private directory and returns
// the directory.
func installPlugin() (string, error) {
	dir, err := os.MkdirTemp("", "foreman-operator-callbacks-")
	if err != nil {
		return "", fmt.Errorf("install callback plugin: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, callbackName+".py"), callbackPlugin, 0o600); err != nil {
		return "", errors.Join(fmt.Errorf("install callback plugin: %w", err), os.RemoveAll(dir))
	}
	return dir, nil
}
