package artifacts

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Names inside a CR directory.
const (
	// Subdir holds the run directories of a CR directory.
	Subdir = "artifacts"
	// Latest is the symlink to the last run that ended.
	Latest = "latest"
)

// Store tracks finished runs across CR directories and prunes them.
type Store struct {
	capBytes int64

	mu    sync.Mutex
	dirs  map[string]*crDir
	total int64
	// seq orders runs that ended within the clock's resolution.
	seq uint64
}

type crDir struct {
	runs []run // oldest first
}

type run struct {
	ident string
	size  int64
	ended time.Time
	seq   uint64
}

// NewStore returns a Store that keeps the finished runs of all CR
// directories within capBytes (0: no cap).
func NewStore(capBytes int64) *Store {
	return &Store{capBytes: capBytes, dirs: map[string]*crDir{}}
}

// ValidIdent reports whether ident can name a run directory.
func ValidIdent(ident string) error {
	switch {
	case ident == "":
		return errors.New("ident is empty")
	case ident == "." || ident == ".." || ident == Latest:
		return fmt.Errorf("ident %q is reserved", ident)
	case strings.HasPrefix(ident, "."):
		return fmt.Errorf("ident %q starts with a dot", ident)
	case strings.ContainsAny(ident, "/\x00"):
		return fmt.Errorf("ident %q contains a slash or NUL", ident)
	}
	return nil
}

// Begin creates the run directory <dir>/artifacts/<ident> (mode 0700) and
// returns its path. The ident must not have been used in dir before. The
// first Begin for a dir also counts the runs an earlier process left there.
func (s *Store) Begin(dir, ident string) (string, error) {
	if err := ValidIdent(ident); err != nil {
		return "", err
	}
	dir = filepath.Clean(dir)
	root := filepath.Join(dir, Subdir)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("create artifacts dir: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.dirs[dir]; !ok {
		d, err := scan(root)
		if err != nil {
			return "", err
		}
		s.dirs[dir] = d
		for _, r := range d.runs {
			s.total += r.size
		}
	}
	path := filepath.Join(root, ident)
	if err := os.Mkdir(path, 0o700); err != nil {
		return "", fmt.Errorf("create run dir: %w", err)
	}
	return path, nil
}

// Finish records that the run ident of dir has ended: it points
// <dir>/artifacts/latest at it, keeps at most keep runs of dir (0: all) and
// then prunes the oldest runs of any dir down to the cap. It returns the run
// directories it removed; an error does not stop the pruning.
func (s *Store) Finish(dir, ident string, keep int) ([]string, error) {
	dir = filepath.Clean(dir)
	root := filepath.Join(dir, Subdir)
	size, sizeErr := Size(filepath.Join(root, ident))

	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dirs[dir]
	if !ok {
		return nil, fmt.Errorf("finish run %q: %s was never begun", ident, dir)
	}
	s.seq++
	d.runs = append(d.runs, run{ident: ident, size: size, ended: time.Now(), seq: s.seq})
	s.total += size
	errs := []error{sizeErr, pointLatest(root, ident)}

	var removed []string
	for keep > 0 && len(d.runs) > keep {
		path, err := s.drop(dir, d, 0)
		removed = append(removed, path)
		errs = append(errs, err)
	}
	for s.capBytes > 0 && s.total > s.capBytes {
		oldDir, old, i := s.oldest(dir, ident)
		if old == nil {
			break
		}
		path, err := s.drop(oldDir, old, i)
		removed = append(removed, path)
		errs = append(errs, err)
		if len(old.runs) == 0 {
			errs = append(errs, removeLatest(filepath.Join(oldDir, Subdir)))
		}
	}
	return removed, errors.Join(errs...)
}

// Remove deletes dir and everything in it, and forgets its runs. The caller
// must make sure no run is using dir.
func (s *Store) Remove(dir string) error {
	dir = filepath.Clean(dir)
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.dirs[dir]; ok {
		for _, r := range d.runs {
			s.total -= r.size
		}
		delete(s.dirs, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// Total returns the bytes the finished runs known to the Store take.
func (s *Store) Total() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// oldest finds the oldest finished run of all dirs other than the run
// (keepDir, keepIdent).
func (s *Store) oldest(keepDir, keepIdent string) (string, *crDir, int) {
	var (
		bestDir string
		best    *crDir
		bestI   int
	)
	for name, d := range s.dirs {
		for i, r := range d.runs {
			if name == keepDir && r.ident == keepIdent {
				continue
			}
			if best == nil || older(r, best.runs[bestI]) {
				bestDir, best, bestI = name, d, i
			}
			break // runs are oldest first; only the first candidate matters
		}
	}
	return bestDir, best, bestI
}

func older(a, b run) bool {
	if !a.ended.Equal(b.ended) {
		return a.ended.Before(b.ended)
	}
	return a.seq < b.seq
}

// drop removes run i of d from disk and from the books.
func (s *Store) drop(dir string, d *crDir, i int) (string, error) {
	r := d.runs[i]
	d.runs = append(d.runs[:i], d.runs[i+1:]...)
	s.total -= r.size
	path := filepath.Join(dir, Subdir, r.ident)
	if err := os.RemoveAll(path); err != nil {
		return path, fmt.Errorf("remove run %s: %w", path, err)
	}
	return path, nil
}

// scan reads the run directories already under root, oldest first.
func scan(root string) (*crDir, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("scan artifacts: %w", err)
	}
	d := &crDir{}
	for _, e := range entries {
		if !e.IsDir() || ValidIdent(e.Name()) != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("scan artifacts: %w", err)
		}
		size, err := Size(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		d.runs = append(d.runs, run{ident: e.Name(), size: size, ended: info.ModTime()})
	}
	sort.SliceStable(d.runs, func(i, j int) bool { return d.runs[i].ended.Before(d.runs[j].ended) })
	return d, nil
}

// Size returns the apparent size of the files under path.
func Size(path string) (int64, error) {
	var total int64
	err := filepath.WalkDir(path, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			info, err := e.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		return total, fmt.Errorf("size of %s: %w", path, err)
	}
	return total, nil
}

// pointLatest replaces root/latest with a symlink to ident in one rename.
func pointLatest(root, ident string) error {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("point latest: %w", err)
	}
	tmp := filepath.Join(root, ".latest-"+hex.EncodeToString(b[:]))
	if err := os.Symlink(ident, tmp); err != nil {
		return fmt.Errorf("point latest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(root, Latest)); err != nil {
		return errors.Join(fmt.Errorf("point latest: %w", err), os.Remove(tmp))
	}
	return nil
}

func removeLatest(root string) error {
	if err := os.Remove(filepath.Join(root, Latest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove latest: %w", err)
	}
	return nil
}
