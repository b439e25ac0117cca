package capacity

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestRuns(t *testing.T) {
	cases := []struct {
		name   string
		limits Limits
		want   int
	}{
		{"no limits fall back to the CPUs the runtime sees", Limits{}, runtime.NumCPU()},
		{"a CPU quota sets the runs", Limits{CPUs: 4}, 4},
		{"half a CPU still allows one run", Limits{CPUs: 0.5}, 1},
		{"memory bounds the runs when it is the scarcer", Limits{CPUs: 8, Memory: 300 << 20}, 3},
		{"CPUs bound the runs when they are the scarcer", Limits{CPUs: 2, Memory: 4 << 30}, 2},
		{"too little memory still allows one run", Limits{CPUs: 2, Memory: 50 << 20}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.limits.Runs(); got != c.want {
				t.Errorf("Runs() = %d, want %d", got, c.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	cases := []struct {
		name     string
		cpu, mem string
		want     Limits
	}{
		{"a quota and a memory limit", "150000 100000\n", "536870912\n", Limits{CPUs: 1.5, Memory: 512 << 20}},
		{"max means unlimited", "max 100000\n", "max\n", Limits{}},
		{"missing files mean unlimited", "", "", Limits{}},
		{"garbage is ignored", "lots\n", "-1\n", Limits{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.cpu != "" {
				write(t, filepath.Join(dir, "cpu.max"), c.cpu)
			}
			if c.mem != "" {
				write(t, filepath.Join(dir, "memory.max"), c.mem)
			}
			if got := Read(dir); got != c.want {
				t.Errorf("Read() = %+v, want %+v", got, c.want)
			}
		})
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
