package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/contract"
)

func TestForwardUsageErrors(t *testing.T) {
	dir := t.TempDir()
	noDeployment := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(noDeployment, []byte(`{"encapPort":4789}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(contract.EnvConfig, "")
	t.Setenv(contract.EnvRole, "")
	for _, tt := range []struct {
		name   string
		args   []string
		env    map[string]string
		stderr string
	}{
		{"no role", []string{"forward"}, nil, "--role must be mux or host"},
		{"bad role", []string{"forward", "--role", "router"}, nil, `got "router"`},
		{"no config", []string{"forward", "--role", "mux"}, nil, "set LBCHECK_CONFIG"},
		{"missing config file", []string{"forward", "--role", "mux", "--config", filepath.Join(dir, "nope.json")}, nil, "reading target config"},
		{"config without deployment", []string{"forward", "--role", "host", "--config", noDeployment}, nil, "no deployment"},
		{"role from env, bad host index", []string{"forward"}, map[string]string{contract.EnvRole: "host", contract.EnvHostIndex: "one"}, "LBCHECK_HOST_INDEX"},
		{"arguments", []string{"forward", "extra"}, nil, "unknown command"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			if got := run(tt.args, &out, &errOut); got != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", got, exitUsage, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", errOut.String(), tt.stderr)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing (no ready line on error)", out.String())
			}
		})
	}
}

func TestForwardHelpHasExamples(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"forward", "--help"}, &out, &errOut); got != exitOK {
		t.Fatalf("exit %d", got)
	}
	for _, want := range []string{"--role mux", "--counters", "LBCHECK_ROLE", "SIGTERM"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
