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
