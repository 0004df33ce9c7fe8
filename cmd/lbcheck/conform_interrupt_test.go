package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/lbbin"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/reports"
)

// TestConformInterruptedIsIncomplete sends SIGINT to a real `lbcheck
// conform --report DIR` during its second case: it exits 2, and its
// report.json says "incomplete" (not "success", although every case that
// finished passed) and names the cases that never ran.
func TestConformInterruptedIsIncomplete(t *testing.T) {
	labtest.RequireRoot(t)
	bin, err := lbbin.Path()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "conform", "--profile", "core", "--report", dir)
	stderr := &labtest.Buffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	for end := time.Now().Add(2 * time.Minute); !strings.Contains(stderr.String(), "[2/"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("conform did not reach its second case within 2 minutes; output:\n%s", stderr)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("interrupted conform: %v, want exit status 2; output:\n%s", err, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("no report after the interrupt: %v; output:\n%s", err, stderr)
	}
	var rep reports.ConformanceReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Result != reports.ResultIncomplete || len(rep.NotRun) == 0 {
		t.Errorf("report result %q with %d cases never run, want incomplete and some", rep.Result, len(rep.NotRun))
	}
	if !strings.Contains(stderr.String(), "never ran (result incomplete)") {
		t.Errorf("the summary line does not say the run is incomplete:\n%s", stderr)
	}
}
