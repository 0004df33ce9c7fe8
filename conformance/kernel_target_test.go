package conformance_test

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/reports"
)

// kernelDir holds the second implementation of the target contract, built
// from kernel features only (its README.md says how and what it passes).
const kernelDir = "../fixtures/targets/kernel"

// expectation is one line of kernelDir/expect.tsv.
type expectation struct{ status, reason string }

// loadExpectations reads expect.tsv: per line a case name, its expected
// status (passed, failed or not-supported) and a short reason, separated by
// tabs; blank lines and lines starting with # are comments.
func loadExpectations(t *testing.T, path string) map[string]expectation {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]expectation{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 || fields[2] == "" {
			t.Fatalf("%s:%d: want case<TAB>status<TAB>reason, got %q", path, n, line)
		}
		switch fields[1] {
		case reports.StatusPassed, reports.StatusFailed, reports.StatusNotSupported:
		default:
			t.Fatalf("%s:%d: status %q, want passed, failed or not-supported", path, n, fields[1])
		}
		if _, dup := want[fields[0]]; dup {
			t.Fatalf("%s:%d: case %s listed twice", path, n, fields[0])
		}
		want[fields[0]] = expectation{fields[1], fields[2]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestKernelTarget runs the whole suite against the kernel target
// (fixtures/targets/kernel/kernel.yaml) through the same contract as the
// reference forwarder, and fails when a case's status differs from
// expect.tsv, or a case is missing from either, so the README's account
// of what passes cannot go stale. The scripts need jq, nft, conntrack and
// ip; without them the test skips, except under CI=true (.ci/run installs
// them).
func TestKernelTarget(t *testing.T) {
	labtest.RequireRoot(t)
	for _, tool := range []string{"jq", "nft", "conntrack", "ip"} {
		prereq.Tool(t, tool, "the kernel target runs it")
	}
	m, err := target.Load(kernelDir + "/kernel.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := loadExpectations(t, kernelDir+"/expect.tsv")
	var progress strings.Builder
	start := time.Now()
	rep, err := runTarget(t, m, "", nil, &progress)
	t.Logf("suite against %s:\n%s", m.Name, progress.String())
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Logf("%d cases in %.1fs", len(rep.Cases), time.Since(start).Seconds())

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tSTATUS\tEXPECTED\tREASON")
	var ran []string
	for _, c := range rep.Cases {
		ran = append(ran, c.Name)
		e, ok := want[c.Name]
		mark := e.status
		switch {
		case !ok:
			mark = "(not in expect.tsv)"
			t.Errorf("%s: %s, but expect.tsv does not list it\n%s", c.Name, c.Status, c.Reason)
		case c.Status != e.status:
			t.Errorf("%s: %s, expect.tsv says %s (%s)\n%s", c.Name, c.Status, e.status, e.reason, c.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Status, mark, e.reason)
	}
	tw.Flush()
	t.Logf("per case:\n%s", table.String())
	for name := range want {
		if !slices.Contains(ran, name) {
			t.Errorf("expect.tsv lists %s, which did not run", name)
		}
	}
}
