package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestLintImportedFiles lints an ARM template with its parameters file next
// to a Windows guest's Get-NetIPInterface / Get-NetIPAddress output, and
// expects the guest finding at the line of the original PowerShell JSON.
func TestLintImportedFiles(t *testing.T) {
	dir := "../../fixtures/import/"
	ifFile := dir + "windows/sqlvm0-netipinterface.json"
	src, err := os.ReadFile(ifFile)
	if err != nil {
		t.Fatal(err)
	}
	// The Ethernet IPv4 row is the fourth row; its WeakHostReceive is 0.
	lines := strings.Split(string(src), "\n")
	seen, want := 0, ""
	for i, l := range lines {
		if c := strings.Index(l, `"WeakHostReceive"`); c >= 0 {
			if seen++; seen == 4 {
				want = fmt.Sprintf("%s:%d:%d: error:", ifFile, i+1, c+1)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"lint", "--parameters", dir + "arm/sql-ag-listener.parameters.json", dir + "arm", dir + "windows"}, &stdout, &stderr)
	if code != exitFindings || !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "(LB3002)") {
		t.Errorf("exit %d, want %d and a finding starting %q:\n%s%s", code, exitFindings, want, stdout.String(), stderr.String())
	}

	code = run([]string{"lint", "--input-format", "yaml", dir + "arm"}, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("--input-format yaml: exit %d, want %d", code, exitUsage)
	}
}
