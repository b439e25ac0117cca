package capacity

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// MemoryPerRun is the memory one concurrent Ansible run is budgeted.
const MemoryPerRun = 100 << 20

// Limits are the CPU and memory available to the process.
type Limits struct {
	CPUs   float64 // 0: unknown
	Memory int64   // bytes; 0: unlimited or unknown
}

// Runs is how many Ansible runs fit in l at once: one per CPU and one per
// MemoryPerRun, whichever is fewer, and at least one.
func (l Limits) Runs() int {
	n := runtime.NumCPU()
	if l.CPUs > 0 {
		n = max(int(l.CPUs+0.5), 1)
	}
	if l.Memory > 0 {
		n = min(n, int(l.Memory/MemoryPerRun))
	}
	return max(n, 1)
}

// Read returns the limits of the cgroup (v2) the process is in, under root
// (normally /sys/fs/cgroup). Missing files mean no limit.
func Read(root string) Limits {
	var l Limits
	if b, err := os.ReadFile(filepath.Join(root, "cpu.max")); err == nil {
		l.CPUs = parseCPUMax(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(root, "memory.max")); err == nil {
		l.Memory = parseMemoryMax(string(b))
	}
	return l
}

// parseCPUMax reads "<quota> <period>" or "max <period>".
func parseCPUMax(s string) float64 {
	f := strings.Fields(s)
	if len(f) != 2 || f[0] == "max" {
		return 0
	}
	quota, err1 := strconv.ParseFloat(f[0], 64)
	period, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || period <= 0 || quota <= 0 {
		return 0
	}
	return quota / period
}

func parseMemoryMax(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "max" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
