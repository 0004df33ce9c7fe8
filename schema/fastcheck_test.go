package schema

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema/schematest"
)

// loadBoth loads src with the fast path and with CUE alone and fails when
// the issues differ.
func loadBoth(t *testing.T, name string, src []byte) {
	t.Helper()
	load := func(fast bool) ([]string, error) {
		fastPath = fast
		defer func() { fastPath = true }()
		_, issues, err := LoadBytes(name, src)
		return issueStrings(issues), err
	}
	fast, errFast := load(true)
	slow, errSlow := load(false)
	if (errFast == nil) != (errSlow == nil) || !slices.Equal(fast, slow) {
		t.Errorf("%s: fast path %q (%v), CUE alone %q (%v)", name, fast, errFast, slow, errSlow)
	}
}

// TestFastPathAgrees loads every native input of the repository, valid and
// invalid, and a large generated deployment with a wrong value deep in it,
// both ways: the fast path must change no issue.
func TestFastPathAgrees(t *testing.T) {
	var files []string
	for _, root := range []string{"../fixtures", "testdata", "../conformance/cases/testdata"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && slices.Contains([]string{".yaml", ".yml", ".cue"}, filepath.Ext(p)) {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 50 {
		t.Fatalf("found only %d inputs", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		loadBoth(t, f, src)
	}
	big := string(schematest.Generate(300, 100, 200))
	for _, broken := range []string{
		strings.Replace(big, "idleTimeoutInMinutes: 15", "idleTimeoutInMinutes: 150", 1),
		strings.Replace(big, "protocol: Tcp", "protocol: TCP", 7),
		strings.Replace(big, "kind: loopback", "kind: lo", 1),
		strings.Replace(big, "port: 8080", "port: 80800", 1),
		big,
	} {
		loadBoth(t, "big.yaml", []byte(broken))
	}
}
