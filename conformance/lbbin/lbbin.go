// Package lbbin finds an lbcheck executable to re-execute: the reference
// forwarder (lbcheck forward) runs as a process of its own in the namespace
// of each role (mux, hosts).
//
// In the lbcheck binary itself that is os.Executable. A `go test` binary is
// not lbcheck, so there Path builds ./cmd/lbcheck once per process into a
// netlab.TempDir (collected by netlab.GC after the process exits).
// LBCHECK_BIN overrides both.
package lbbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lbcheck/lbcheck/conformance/netlab"
)

// EnvBin names an lbcheck binary to use instead of discovering one.
const EnvBin = "LBCHECK_BIN"

// Pkg is the import path of the lbcheck command.
const Pkg = "github.com/lbcheck/lbcheck/cmd/lbcheck"

var (
	once sync.Once
	path string
	err  error
)

// Path returns the path of an lbcheck executable (see the package doc).
func Path() (string, error) {
	once.Do(func() { path, err = find() })
	return path, err
}

func find() (string, error) {
	if p := os.Getenv(EnvBin); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBin, p, err)
		}
		return p, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locating lbcheck: %w", err)
	}
	if !strings.HasSuffix(self, ".test") {
		return self, nil
	}
	return build()
}

// build compiles cmd/lbcheck of the enclosing module (test binaries run in
// their package directory, inside the module).
func build() (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", errors.New("this test needs an lbcheck binary: set " + EnvBin + " or run it inside the lbcheck module with the go tool on PATH")
	}
	dir, err := netlab.TempDir("bin-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "lbcheck")
	cmd := exec.Command("go", "build", "-o", out, Pkg)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if b, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("building lbcheck for the test (or set %s): %v\n%s", EnvBin, err, b)
	}
	return out, nil
}
