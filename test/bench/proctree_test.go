package bench_test

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat. It
// is 100 on every Linux architecture Go supports (getconf CLK_TCK).
const clockTicks = 100

// stat is what the benchmark reads from one /proc/<pid>/stat line.
type stat struct {
	pid, ppid int
	comm      string // field 2, the command, cut to 15 bytes by the kernel
	// ticks is utime+stime+cutime+cstime (fields 14-17): the process's own
	// CPU time and that of the children it has waited for; selfTicks is
	// utime+stime alone.
	ticks, selfTicks uint64
	// rssPages is field 24.
	rssPages int64
}

// parseStat reads a /proc/<pid>/stat line. The command (field 2) is in
// parentheses and may itself hold spaces and parentheses, so the fields are
// counted from the last ')'.
func parseStat(line string) (stat, error) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 1 || end < open {
		return stat{}, fmt.Errorf("stat line %.40q: no (comm)", line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return stat{}, fmt.Errorf("stat line %.40q: pid: %w", line, err)
	}
	f := strings.Fields(line[end+1:]) // f[0] is field 3, state
	if len(f) < 22 {
		return stat{}, fmt.Errorf("stat line %.40q: %d fields after comm, want at least 22", line, len(f))
	}
	s := stat{pid: pid, comm: line[open+1 : end]}
	if s.ppid, err = strconv.Atoi(f[1]); err != nil {
		return stat{}, fmt.Errorf("stat of %d: ppid: %w", pid, err)
	}
	for i, v := range f[11:15] { // fields 14-17
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return stat{}, fmt.Errorf("stat of %d: CPU times: %w", pid, err)
		}
		s.ticks += n
		if i < 2 {
			s.selfTicks += n
		}
	}
	if s.rssPages, err = strconv.ParseInt(f[21], 10, 64); err != nil {
		return stat{}, fmt.Errorf("stat of %d: rss: %w", pid, err)
	}
	return s, nil
}

// usage is one look at a process tree.
type usage struct {
	procs int
	// cpu is the tree's CPU time so far: for each live process its own time
	// and its waited-for children's, so each process that ever ran in the
	// tree and was reaped inside it counts once.
	cpu time.Duration
	// rss is the sum of the live processes' resident sets. Pages a forked
	// process shares with its parent count in both.
	rss int64
	// rootCPU and rootRSS are the root's own, without its children.
	rootCPU time.Duration
	rootRSS int64
	// pss is the sum of the live processes' proportional set sizes, which
	// split shared pages among their users; 0 unless asked for.
	pss int64
	// byComm is the summed RSS and count of the tree's processes by command.
	byComm map[string]commUsage
}

type commUsage struct {
	procs int
	rss   int64
}

// treeUsage adds up the tree of processes rooted at root, with its PSS if
// withPSS. Processes that exit while it reads are skipped.
func treeUsage(root int, withPSS bool) (usage, error) {
	tree, err := treePIDs(root)
	if err != nil {
		return usage{}, err
	}
	page := int64(os.Getpagesize())
	u := usage{byComm: map[string]commUsage{}}
	var ticks uint64
	var rootStat stat
	for _, pid := range tree {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			if pid == root {
				return usage{}, fmt.Errorf("process %d is gone", root)
			}
			continue
		}
		s, err := parseStat(string(b))
		if err != nil {
			return usage{}, err
		}
		if pid == root {
			rootStat = s
		}
		u.procs++
		ticks += s.ticks
		u.rss += s.rssPages * page
		cu := u.byComm[s.comm]
		cu.procs++
		cu.rss += s.rssPages * page
		u.byComm[s.comm] = cu
		if withPSS {
			u.pss += pss(pid)
		}
	}
	u.rootRSS = rootStat.rssPages * page
	u.rootCPU = time.Duration(rootStat.selfTicks) * time.Second / clockTicks
	u.cpu = time.Duration(ticks) * time.Second / clockTicks
	return u, nil
}

// treePIDs returns root and the processes below it, root first. It follows
// /proc/<pid>/task/<tid>/children, which is much cheaper than reading every
// process when the kernel has it (CONFIG_PROC_CHILDREN), and falls back to
// reading every process otherwise.
func treePIDs(root int) ([]int, error) {
	self := strconv.Itoa(os.Getpid())
	if _, err := os.Stat(filepath.Join("/proc", self, "task", self, "children")); err != nil {
		byPID, err := snapshot()
		if err != nil {
			return nil, err
		}
		if tree := descendants(byPID, root); len(tree) > 0 {
			return tree, nil
		}
		return nil, fmt.Errorf("process %d is gone", root)
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		dir := filepath.Join("/proc", strconv.Itoa(tree[i]), "task")
		tasks, err := os.ReadDir(dir)
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("process %d is gone", root)
			}
			continue
		}
		for _, t := range tasks {
			b, err := os.ReadFile(filepath.Join(dir, t.Name(), "children"))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					tree = append(tree, pid)
				}
			}
		}
	}
	return tree, nil
}

// snapshot reads /proc/<pid>/stat of every process. Processes that exit
// while it reads are left out.
func snapshot() (map[int]stat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	byPID := map[int]stat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		s, err := parseStat(string(b))
		if err != nil {
			return nil, err
		}
		byPID[pid] = s
	}
	return byPID, nil
}

// descendants returns root and every process below it in byPID, root
// first; nothing if root is not there.
func descendants(byPID map[int]stat, root int) []int {
	if _, ok := byPID[root]; !ok {
		return nil
	}
	children := map[int][]int{}
	for pid, s := range byPID {
		children[s.ppid] = append(children[s.ppid], pid)
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}

// cpuByProcess is the CPU time processes used between two snapshots, their
// waited-for children included, leaving out the processes in skip. A
// process seen at both ends is keyed "comm[pid]", so that, say, two API
// servers stay apart; those that started in between count from zero and
// are added up by command.
func cpuByProcess(before, after map[int]stat, skip []int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for pid, s := range after {
		if slices.Contains(skip, pid) {
			continue
		}
		key, ticks := s.comm, s.ticks
		if prev, ok := before[pid]; ok && prev.comm == s.comm && prev.ticks <= ticks {
			key, ticks = fmt.Sprintf("%s[%d]", s.comm, pid), ticks-prev.ticks
		}
		if ticks > 0 {
			out[key] += time.Duration(ticks) * time.Second / clockTicks
		}
	}
	return out
}

// pss reads the Pss line of /proc/<pid>/smaps_rollup, in bytes; 0 when the
// process is gone.
func pss(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// machineCPU returns the CPU time all CPUs spent busy and in all, from the
// first line of /proc/stat: busy is user, nice, system, irq, softirq and
// steal; all adds idle and iowait.
func machineCPU() (busy, all time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: first line %q", line)
	}
	var v [8]uint64 // user nice system idle iowait irq softirq steal
	for i := range v {
		if v[i], err = strconv.ParseUint(f[i+1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
	}
	b0 := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	tick := func(n uint64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return tick(b0), tick(b0 + v[3] + v[4]), nil
}

// pssEvery is how many samples apart the sampler reads PSS: smaps_rollup
// walks a process's page tables, which costs the machine under test far
// more than reading its stat.
const pssEvery = 10

// pssNearPeak: a sample whose summed RSS is at least this share of the peak
// so far also reads PSS, so the PSS peak is not missed between reads.
const pssNearPeak = 0.8

// sampler looks at a process tree every interval and keeps the peak of its
// summed resident set since the last reset, with the usage at that peak,
// and the peak of its summed PSS, read every pssEvery samples and whenever
// the resident set is within pssNearPeak of its peak.
type sampler struct {
	root int
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	n       int // samples taken
	peak    usage
	peakPSS int64
	err     error
}

func startSampler(root int, interval time.Duration) *sampler {
	s := &sampler{root: root, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := treeUsage(s.root, s.n%pssEvery == 0)
	if err == nil && u.pss == 0 && float64(u.rss) >= pssNearPeak*float64(s.peak.rss) {
		u, err = treeUsage(s.root, true)
	}
	s.n++
	if err != nil {
		s.err = errors.Join(s.err, err)
		return
	}
	if u.rss > s.peak.rss {
		s.peak = u
	}
	s.peakPSS = max(s.peakPSS, u.pss)
}

// reset forgets the peak so far.
func (s *sampler) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peak, s.peakPSS = usage{}, 0
}

// peakUsage returns the usage at the highest summed RSS since the last
// reset, and the highest summed PSS.
func (s *sampler) peakUsage() (usage, int64, error) {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.peakPSS, s.err
}

func (s *sampler) close() {
	close(s.stop)
	<-s.done
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want stat
		err  bool
	}{
		{
			name: "A plain command is read by position",
			line: "4242 (ansible-playboo) S 4000 4242 4000 0 -1 4194560 33725 120 0 0 155 31 7 3 20 0 2 0 1234 123456789 20480 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 1 0 0 0 0 0",
			want: stat{pid: 4242, ppid: 4000, comm: "ansible-playboo", ticks: 155 + 31 + 7 + 3, selfTicks: 155 + 31, rssPages: 20480},
		},
		{
			name: "A command with spaces and parentheses does not shift the fields",
			line: "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 10 20 30 40 20 0 1 0 1 1 5 0",
			want: stat{pid: 77, ppid: 1, comm: "a (b) c", ticks: 100, selfTicks: 30, rssPages: 5},
		},
		{
			name: "A line cut short is an error",
			line: "77 (x) R 1 77",
			err:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if (err != nil) != tt.err {
				t.Fatalf("parseStat() error = %v, want error %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("parseStat() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTreeUsageSeesThisProcess(t *testing.T) {
	u, err := treeUsage(os.Getpid(), true)
	if err != nil {
		t.Fatal(err)
	}
	if u.procs < 1 || u.rss <= 0 || u.rootRSS <= 0 || u.pss <= 0 {
		t.Errorf("treeUsage(self) = %+v, want at least this process with a resident set", u)
	}
}

func TestCPUByProcess(t *testing.T) {
	before := map[int]stat{
		10: {pid: 10, comm: "kube-apiserver", ticks: 1000},
		20: {pid: 20, comm: "foreman-operato", ticks: 50},
		30: {pid: 30, comm: "sleep", ticks: 5},
	}
	after := map[int]stat{
		10: {pid: 10, comm: "kube-apiserver", ticks: 1250},
		20: {pid: 20, comm: "foreman-operato", ticks: 400},
		30: {pid: 30, comm: "compile", ticks: 30},
		40: {pid: 40, comm: "compile", ticks: 70},
	}
	tests := []struct {
		name string
		skip []int
		want map[string]time.Duration
	}{
		{
			name: "A process seen at both ends counts its increase and new or reused pids count from zero by command",
			want: map[string]time.Duration{
				"kube-apiserver[10]": 2500 * time.Millisecond, "foreman-operato[20]": 3500 * time.Millisecond, "compile": time.Second,
			},
		},
		{
			name: "Skipped processes are left out",
			skip: []int{20},
			want: map[string]time.Duration{"kube-apiserver[10]": 2500 * time.Millisecond, "compile": time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpuByProcess(before, after, tt.skip); !maps.Equal(got, tt.want) {
				t.Errorf("cpuByProcess() = %v, want %v", got, tt.want)
			}
		})
	}
}
