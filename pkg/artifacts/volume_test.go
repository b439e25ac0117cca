package artifacts

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// smallVolume mounts a tmpfs of size bytes for the test, or skips when this
// process may not mount (not root).
func smallVolume(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func TestSpaceLowWater(t *testing.T) {
	for _, tc := range []struct {
		sp   Space
		want int64
	}{
		{Space{Total: 1 << 20}, minLowWater},
		{Space{Total: 100 << 20}, 10 << 20},
		{Space{Total: 100 << 30}, maxLowWater},
	} {
		if got := tc.sp.lowWater(); got != tc.want {
			t.Errorf("lowWater(%d) = %d, want %d", tc.sp.Total, got, tc.want)
		}
	}
	if !(Space{Free: 100 << 10, Total: 2 << 20}).Low() || (Space{Free: 1 << 20, Total: 2 << 20}).Low() {
		t.Error("Low misjudges a 2 MiB volume")
	}
}

func TestFitCapHalvesASmallVolume(t *testing.T) {
	vol := smallVolume(t, "2m")
	got, sp, err := FitCap(vol, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Total != 2<<20 || got != 1<<20 {
		t.Errorf("FitCap(2 MiB volume, 1 GiB) = %d (volume %d), want 1 MiB", got, sp.Total)
	}
	if got, _, _ := FitCap(vol, 100<<10); got != 100<<10 {
		t.Errorf("FitCap lowered a cap that fits: %d", got)
	}
	if got, _, _ := FitCap(vol, 0); got != 0 {
		t.Errorf("FitCap(no cap) = %d, want 0", got)
	}
}

func TestRelievePrunesOldRunsOfANearlyFullVolume(t *testing.T) {
	vol := smallVolume(t, "2m")
	s := NewStore(0)
	a, b := filepath.Join(vol, "a"), filepath.Join(vol, "b")
	for i, ident := range []string{"1", "2", "3"} {
		addRun(t, s, a, ident, 200<<10, 0)
		if i < 2 {
			addRun(t, s, b, ident, 100<<10, 0)
		}
	}
	if p, err := s.Relieve(a); err != nil || p != nil {
		t.Fatalf("Relieve with room to spare = %+v, %v; want nothing done", p, err)
	}
	// Someone else fills the volume.
	if err := os.WriteFile(filepath.Join(vol, "filler"), make([]byte, 1000<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := s.Relieve(a)
	if err != nil || p == nil {
		t.Fatalf("Relieve of a nearly full volume = %+v, %v", p, err)
	}
	if !p.Before.Low() || p.After.Free <= p.Before.Free || len(p.Removed) == 0 {
		t.Errorf("pressure %+v: want a low volume relieved by removals", p)
	}
	// The latest run of each CR stays; the oldest went first.
	for _, path := range []string{filepath.Join(a, Subdir, "3"), filepath.Join(b, Subdir, "2")} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("latest run %s removed: %v", path, err)
		}
	}
	if p.Removed[0] != filepath.Join(a, Subdir, "1") && p.Removed[0] != filepath.Join(b, Subdir, "1") {
		t.Errorf("first removed %s, want a run 1", p.Removed[0])
	}
	if s.Total() == 0 {
		t.Error("Total = 0 after relief, want the latest runs still counted")
	}
}
