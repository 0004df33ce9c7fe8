// Package testtree writes directory trees for tests.
package testtree

import (
	"os"
	"path/filepath"
	"testing"
)

// Write creates files (slash-separated paths relative to the tree, to
// their contents) under a new temporary directory of t, with the
// directories they need, and returns the directory.
func Write(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
