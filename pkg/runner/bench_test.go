package runner

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/theforeman/foreman-operator/pkg/events"
)

// BenchmarkRunTransports compares, per playbook, the wall time of one run
// three ways, interleaved so that machine noise hits all three alike:
//
//   - bare: ansible-playbook alone, with the runner's inventory, extra vars
//     and settings, output to a file;
//   - plugin: Runner.Run, i.e. ansible-playbook with the foreman_events
//     plugin writing to a pipe, the Go side decoding, folding and writing
//     artifacts;
//   - runner: `ansible-runner run -j`, its stdout decoded and folded the
//     same way.
//
// It reports the median wall time per run of each, its overhead over bare,
// and the mean CPU time per run (the run's processes plus this process, so
// the Go side counts), which other load on the machine disturbs less. Run
// it with e.g. go test -run '^$' -bench RunTransports -benchtime 20x ./pkg/runner.
func BenchmarkRunTransports(b *testing.B) {
	for _, playbook := range []string{"bench_3", "bench_20"} {
		b.Run(playbook, func(b *testing.B) {
			path, err := filepath.Abs(filepath.Join("testdata", playbook+".yml"))
			if err != nil {
				b.Fatal(err)
			}
			r, err := New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			root := b.TempDir()
			dir := filepath.Join(root, "cr")
			// One Run lays out dir, which the bare runs reuse.
			if _, err := r.Run(context.Background(), Input{Ident: "warmup", Dir: dir, Playbook: path, MaxArtifacts: 1}); err != nil {
				b.Fatal(err)
			}
			variants := []struct {
				name string
				run  func(i int) error
			}{
				{"bare", func(int) error { return runBare(dir, path) }},
				{"plugin", func(i int) error {
					_, err := r.Run(context.Background(), Input{Ident: strconv.Itoa(i), Dir: dir, Playbook: path, MaxArtifacts: 1})
					return err
				}},
				{"runner", func(i int) error { return runRunnerJ(filepath.Join(root, "runner", strconv.Itoa(i)), path) }},
			}
			wall := make([][]time.Duration, len(variants))
			cpu := make([]time.Duration, len(variants))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range variants {
					v := (i + k) % len(variants) // rotate who goes first
					cpuBefore := cpuTime(b)
					start := time.Now()
					if err := variants[v].run(i); err != nil {
						b.Fatalf("%s: %v", variants[v].name, err)
					}
					wall[v] = append(wall[v], time.Since(start))
					cpu[v] += cpuTime(b) - cpuBefore
				}
			}
			b.StopTimer()
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			med := make([]float64, len(variants))
			for v, variant := range variants {
				med[v] = ms(median(wall[v]))
				b.ReportMetric(med[v], variant.name+"-ms/run")
				b.ReportMetric(ms(cpu[v])/float64(b.N), variant.name+"-cpu-ms/run")
			}
			b.ReportMetric(med[1]-med[0], "plugin-overhead-ms")
			b.ReportMetric(med[2]-med[0], "runner-overhead-ms")
			b.Logf("%s, %d runs each, median wall (mean CPU) ms: bare %.0f (%.0f), plugin %.0f (%.0f), ansible-runner -j %.0f (%.0f); overhead over bare: plugin %+.0f, ansible-runner %+.0f",
				playbook, b.N, med[0], ms(cpu[0])/float64(b.N), med[1], ms(cpu[1])/float64(b.N),
				med[2], ms(cpu[2])/float64(b.N), med[1]-med[0], med[2]-med[0])
		})
	}
}

// runBare runs ansible-playbook on the layout Run left in dir, without the
// plugin.
func runBare(dir, playbook string) error {
	out, err := os.Create(filepath.Join(dir, "bare-stdout"))
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(DefaultAnsiblePlaybook, "-i", filepath.Join(dir, inventoryDir),
		"-e", "@"+filepath.Join(dir, envDir, extravarsFile), playbook)
	cmd.Dir = filepath.Join(dir, projectDir)
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0",
		"ANSIBLE_RETRY_FILES_ENABLED=0", "PYTHONUNBUFFERED=1")
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}

// runRunnerJ runs `ansible-runner run -j` and folds the events it prints,
// as a Go runner using that transport would.
func runRunnerJ(root, playbook string) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		var c events.Collector
		dec := events.NewDecoder(pr)
		for {
			ev, _, err := dec.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				done <- err
				io.Copy(io.Discard, pr)
				return
			}
			c.Add(ev)
		}
		if c.Summary().Stats == nil {
			done <- errors.New("no playbook_on_stats from ansible-runner")
			return
		}
		done <- nil
	}()
	err := runAnsibleRunner(root, playbook, pw, io.Discard)
	pw.Close()
	return errors.Join(err, <-done)
}

// cpuTime is the CPU time, user and system, of this process and of the
// children it has waited for.
func cpuTime(b *testing.B) time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			b.Fatal(err)
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
