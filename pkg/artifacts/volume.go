package artifacts

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
)

// Bounds of the free space a volume keeps for the runs to come.
const (
	minLowWater = 256 << 10
	maxLowWater = 1 << 30
)

// Space is the size and free space of a filesystem, in bytes.
type Space struct{ Free, Total int64 }

// SpaceOf returns the space of the filesystem that holds path.
func SpaceOf(path string) (Space, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return Space{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	return Space{Free: int64(st.Bavail) * st.Bsize, Total: int64(st.Blocks) * st.Bsize}, nil
}

// lowWater is the free space below which a volume is nearly full: a tenth
// of it, within [256 KiB, 1 GiB].
func (s Space) lowWater() int64 { return min(max(s.Total/10, minLowWater), maxLowWater) }

// Low reports whether the volume is nearly full.
func (s Space) Low() bool { return s.Free < s.lowWater() }

// FitCap returns the cap in bytes for artifacts kept on the filesystem that
// holds root: capBytes, or half the filesystem when that is less, so that a
// small volume (an emptyDir or tmpfs) keeps room for the runs themselves. A
// capBytes of 0 (no cap) stays 0.
func FitCap(root string, capBytes int64) (int64, Space, error) {
	sp, err := SpaceOf(root)
	if err != nil || capBytes == 0 || sp.Total == 0 {
		return capBytes, sp, err
	}
	return min(capBytes, sp.Total/2), sp, nil
}

// Pressure is what Relieve found and did.
type Pressure struct {
	Before, After Space
	// Removed are the run directories pruned to make room.
	Removed []string
}

// Relieve checks the filesystem that holds dir. When it is nearly full, it
// removes the oldest finished runs of any CR directory, never the latest of
// one, until twice the low-water mark is free or nothing more can go. It
// returns nil when the volume was not nearly full.
func (s *Store) Relieve(dir string) (*Pressure, error) {
	sp, err := SpaceOf(dir)
	if err != nil || !sp.Low() {
		return nil, err
	}
	p := &Pressure{Before: sp, After: sp}
	var errs []error
	s.mu.Lock()
	defer s.mu.Unlock()
	for p.After.Free < 2*sp.lowWater() {
		oldDir, old, i := s.oldestNotLatest()
		if old == nil {
			break
		}
		path, err := s.drop(oldDir, old, i)
		p.Removed = append(p.Removed, path)
		errs = append(errs, err)
		if p.After, err = SpaceOf(dir); err != nil {
			errs = append(errs, err)
			break
		}
	}
	return p, errors.Join(errs...)
}

// oldestNotLatest finds the oldest finished run that is not the last one of
// its CR directory (latest points there).
func (s *Store) oldestNotLatest() (string, *crDir, int) {
	var (
		bestDir string
		best    *crDir
	)
	for name, d := range s.dirs {
		if len(d.runs) < 2 {
			continue
		}
		if best == nil || older(d.runs[0], best.runs[0]) {
			bestDir, best = name, d
		}
	}
	return filepath.Clean(bestDir), best, 0
}
