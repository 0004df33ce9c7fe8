// Package prereq is how tests meet a missing prerequisite (root, a tool, a
// browser, the corpus beside the repository): skipped with a message that
// says what to do, except under CI=true, where the machine is meant to
// have everything and the test fails instead.
package prereq

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Missing skips tb, or fails it under CI=true, saying why.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: a missing prerequisite fails the test)", msg)
	}
	tb.Skipf("skipping: %s", msg)
}

// Root requires that the process runs as root, for what: "creating network
// namespaces", say.
func Root(tb testing.TB, what string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		Missing(tb, "%s needs root; run the tests as root", what)
	}
}

// Tool returns the path of the executable name on PATH, or meets it as
// Missing; install names the package that has it.
func Tool(tb testing.TB, name, install string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, "%s is not installed (%s; .ci/run installs it)", name, install)
	}
	return p
}
