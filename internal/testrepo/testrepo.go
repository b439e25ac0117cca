// Package testrepo finds the repository's top directory for tests that read
// its files (roles, config, the Dockerfile). Only tests import it.
package testrepo

import (
	"path/filepath"
	"runtime"
	"testing"
)

// Root is the repository's top directory, found from this file's place in
// it, whatever directory the test runs in.
func Root(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testrepo: cannot find its own source file")
	}
	root, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}
