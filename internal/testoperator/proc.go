package testoperator

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Descendants lists the processes under pid (children, theirs, ...), read
// from /proc.
func Descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(filepath.Join("/proc", e.Name(), "stat")); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// Alive returns those of pids that are still running (zombies count as
// gone).
func Alive(pids []int) []int {
	var out []int
	for _, p := range pids {
		if f := statFields(fmt.Sprintf("/proc/%d/stat", p)); len(f) > 0 && f[0] != "Z" {
			out = append(out, p)
		}
	}
	return out
}

// statFields returns the fields of a /proc/<pid>/stat line from the third
// (state) on: the command before them may hold spaces and parentheses.
func statFields(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}
