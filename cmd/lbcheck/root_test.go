package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args       []string
		want       int
		wantStderr string
	}{
		{[]string{"version"}, exitOK, ""},
		{[]string{"no-such-command"}, exitUsage, "unknown command"},
		{[]string{"version", "--no-such-flag"}, exitUsage, "unknown flag"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if got := run(tt.args, &out, &errOut); got != tt.want {
			t.Errorf("lbcheck %v: exit %d, want %d (stderr %q)", tt.args, got, tt.want, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.wantStderr) {
			t.Errorf("lbcheck %v: stderr %q, want it to contain %q", tt.args, errOut.String(), tt.wantStderr)
		}
	}
}

// TestVersion: --version and version print the same stamped version.
func TestVersion(t *testing.T) {
	old := buildVersion
	buildVersion = "v1.2.3-test"
	defer func() { buildVersion = old }()
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var out, errOut bytes.Buffer
		if got := run(args, &out, &errOut); got != exitOK || out.String() != "lbcheck v1.2.3-test\n" {
			t.Errorf("lbcheck %v: exit %d, stdout %q; want 0 and %q", args, got, out.String(), "lbcheck v1.2.3-test\n")
		}
	}
}

// TestErrorsEscaped: an error quoting a hostile file name reaches stderr
// with its control characters escaped, so it drives no terminal, and no line
// of it is a GitHub workflow command. (A newline stays a line break: errors
// have several lines of their own.)
func TestErrorsEscaped(t *testing.T) {
	name := "missing\x1b[2J\n::add-mask::x.yaml"
	for _, args := range [][]string{{"lint", name}, {"report", name}, {"lint", "--no-such-flag" + name}} {
		var out, errOut bytes.Buffer
		if got := run(args, &out, &errOut); got != exitUsage {
			t.Errorf("lbcheck %q: exit %d, want %d", args, got, exitUsage)
		}
		msg := errOut.String()
		if !strings.Contains(msg, "missing\\x1b[2J\n\\x3a:add-mask::x.yaml") || strings.ContainsAny(msg, "\x1b\r") || strings.Contains(msg, "\n::") {
			t.Errorf("lbcheck %q: stderr %q is not escaped", args, msg)
		}
	}
}
