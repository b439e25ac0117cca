package molecule

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

//go:embed plugins/foreman_molecule_stats.py
var statsCallback []byte

// Stats are what the statistics callback recorded of one playbook run.
type Stats struct {
	// Hosts maps each host to its counts (ok, changed, failures, ...).
	Hosts map[string]map[string]int `json:"hosts"`
	// Changed are the tasks that reported changed, in order.
	Changed []ChangedTask `json:"changed"`
}

// ChangedTask is a task that reported changed on a host.
type ChangedTask struct {
	Host string `json:"host"`
	Task string `json:"task"`
	Path string `json:"path"`
}

// ReadStats reads the file the callback wrote.
func ReadStats(path string) (*Stats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the playbook's statistics (callback %s): %w", StatsCallback, err)
	}
	s := &Stats{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("the playbook's statistics %s: %w", path, err)
	}
	return s, nil
}

// ChangedCount is the number of changed tasks over all hosts.
func (s *Stats) ChangedCount() int {
	n := 0
	for _, h := range s.Hosts {
		n += h["changed"]
	}
	return n
}

// Idempotent returns nil when nothing changed, else an error naming every
// task that did.
func (s *Stats) Idempotent() error {
	n := s.ChangedCount()
	if n == 0 {
		return nil
	}
	var tasks []string
	for _, t := range s.Changed {
		tasks = append(tasks, fmt.Sprintf("%q on %s (%s)", t.Task, t.Host, t.Path))
	}
	return fmt.Errorf("not idempotent: the second converge changed %d task(s): %s", n, strings.Join(tasks, "; "))
}
