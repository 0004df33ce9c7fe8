package suite

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
)

// runnerFixture is one VM behind one plain TCP rule.
const runnerFixture = `
loadBalancers:
  - name: lb
    type: public
    frontendIPConfigurations: [{name: fe, ipAddress: 203.0.113.70}]
    backendAddressPools: [{name: pool, members: [{vm: vm1, ipConfiguration: ipconfig1}]}]
    loadBalancingRules:
      - {name: web, frontendIPConfiguration: fe, backendAddressPool: pool, protocol: Tcp, frontendPort: 80, backendPort: 8080}
vms:
  - name: vm1
    networkInterfaces: [{name: nic1, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.8.4, primary: true}]}]
`

// runnerFixtures serves runnerFixture under every fixture name, for the
// runner's own tests.
func runnerFixtures(name string) (*schema.Deployment, error) {
	d, _, err := schema.LoadBytes(name, []byte(runnerFixture))
	return d, err
}

// The runner's own behaviour, on a real topology with the reference
// forwarder: a failing case restarts the target, a panic and a timeout fail
// only their case, passing cases keep their checks and captures.
func init() {
	fe := func(t *T) pkt.Spec {
		return t.Send(pkt.Spec{Dst: netipMust("203.0.113.70"), DstPort: 80})
	}
	for _, c := range []*Case{
		{ShortName: "ZzRunnerA1Passes", Run: func(t *T) {
			s := fe(t)
			t.Expect(t.VM("vm1"), Step{What: "delivered", Match: pkt.Match{Src: s.Src, SrcPort: s.SrcPort, DstPort: 8080}})
		}},
		{ShortName: "ZzRunnerA2Fails", Run: func(t *T) {
			s := fe(t)
			t.Expect(t.VM("vm1"), Step{What: "delivered to the wrong port", Match: pkt.Match{Src: s.Src, SrcPort: s.SrcPort, DstPort: 9999}, Timeout: 200 * time.Millisecond})
		}},
		{ShortName: "ZzRunnerA3Panics", Run: func(t *T) { panic("boom") }},
		{ShortName: "ZzRunnerA4TimesOut", Run: func(t *T) {
			t.ExpectNone(t.Mux(), Step{What: "waits past the case timeout", Match: pkt.Match{DstPort: 1}, Timeout: time.Minute})
		}},
		{ShortName: "ZzRunnerA5Skips", Run: func(t *T) { t.Skipf("not applicable") }},
		{ShortName: "ZzRunnerA6PassesAfterRestart", Run: func(t *T) {
			s := fe(t)
			t.Expect(t.VM("vm1"), Step{What: "delivered", Match: pkt.Match{Src: s.Src, SrcPort: s.SrcPort, DstPort: 8080}})
			if at, p := t.ExpectAny(t.VMs(), Step{What: "delivered somewhere", Match: pkt.Match{Src: s.Src, SrcPort: s.SrcPort}}); p == nil || at.Label != "vm1" {
				t.Errorf("ExpectAny found %v at %q", p, at.Label)
			}
		}},
		{ShortName: "ZzRunnerA7AnyFails", Run: func(t *T) {
			s := fe(t)
			t.ExpectAny(t.VMs(), Step{What: "delivered to port 9", Match: pkt.Match{Src: s.Src, SrcPort: s.SrcPort, DstPort: 9}, Timeout: 200 * time.Millisecond})
		}},
		{ShortName: "ZzRunnerA9BarrierCloses", Run: func(t *T) {
			s := t.Send(pkt.Spec{Proto: pkt.TCP, Flags: pkt.SYN, Dst: netipMust("203.0.113.70"), DstPort: 81})
			t.Barrier(pkt.Spec{Dst: netipMust("203.0.113.70"), DstPort: 80}, t.VMs("vm1"))
			t.ExpectNone(t.VM("vm1"), Step{What: "no rule for port 81", Match: pkt.Match{Src: s.Src, SrcPort: s.SrcPort}, Timeout: AfterBarrier})
		}},
		{ShortName: "ZzRunnerB1BarrierLost", Run: func(t *T) {
			t.Barrier(pkt.Spec{Dst: netipMust("203.0.113.70"), DstPort: 81}, t.VMs("vm1"))
			t.Errorf("ran on after a barrier that never arrived")
		}},
		{ShortName: "ZzRunnerB2BeforeStart", Isolated: true, BeforeStart: func(b Before) error {
			return b.InVM("vm1", func() (err error) { beforeStartNS, err = os.Readlink("/proc/thread-self/ns/net"); return err })
		}, Run: func(t *T) {
			var ns string
			if err := t.InVM("vm1", func() (err error) { ns, err = os.Readlink("/proc/thread-self/ns/net"); return err }); err != nil || ns != beforeStartNS {
				t.Errorf("BeforeStart ran in namespace %q, the case's vm1 is %q (%v)", beforeStartNS, ns, err)
			}
		}},
		{ShortName: "ZzRunnerA8NotDeclared", Features: []features.Name{features.ConsistentHashing}, Run: func(t *T) {
			t.Errorf("ran, though the implementation does not declare %s", features.ConsistentHashing)
		}},
	} {
		c.Deployment = "runner.yaml"
		registerTestCase(c, "runner_test.go")
	}
}

func TestRunnerOnRealTopology(t *testing.T) {
	labtest.RequireRoot(t)
	ref, err := target.Ref()
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	pcaps := t.TempDir()
	pcapDir, err := safefile.OpenDir(pcaps)
	if err != nil {
		t.Fatal(err)
	}
	defer pcapDir.Close()
	lab := &restartCounter{Lab: Lab{Target: ref}}
	r := Runner{Provider: lab, Options: Options{
		Select:   regexp.MustCompile("^ZzRunner[AB]"),
		Fixtures: runnerFixtures,
		PcapDir:  pcapDir, PcapRel: "pcap", CaseTimeout: 2 * time.Second, Progress: &progress,
	}}
	rep, err := r.Run(context.Background())
	t.Logf("progress:\n%s", &progress)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ZzRunnerA1Passes": reports.StatusPassed, "ZzRunnerA2Fails": reports.StatusFailed,
		"ZzRunnerA3Panics": reports.StatusFailed, "ZzRunnerA4TimesOut": reports.StatusFailed,
		"ZzRunnerA5Skips": reports.StatusSkipped, "ZzRunnerA6PassesAfterRestart": reports.StatusPassed,
		"ZzRunnerA7AnyFails": reports.StatusFailed, "ZzRunnerA8NotDeclared": reports.StatusNotSupported,
		"ZzRunnerA9BarrierCloses": reports.StatusPassed, "ZzRunnerB1BarrierLost": reports.StatusFailed,
		"ZzRunnerB2BeforeStart": reports.StatusPassed,
	}
	reasons := map[string]string{"ZzRunnerA2Fails": "dport 8080, want 9999", "ZzRunnerA3Panics": "panic: boom", "ZzRunnerA4TimesOut": "timed out after 2s", "ZzRunnerA5Skips": "not applicable",
		"ZzRunnerA7AnyFails": "no packet matching src=198.51.100.100", "ZzRunnerA8NotDeclared": "does not declare",
		"ZzRunnerB1BarrierLost": "the negative checks there cannot be closed"}
	if len(rep.Cases) != len(want) {
		t.Fatalf("%d cases ran, want %d", len(rep.Cases), len(want))
	}
	for _, c := range rep.Cases {
		if c.Status != want[c.Name] {
			t.Errorf("%s: %s, want %s (%s)", c.Name, c.Status, want[c.Name], c.Reason)
		}
		if !strings.Contains(c.Reason, reasons[c.Name]) {
			t.Errorf("%s: reason %q lacks %q", c.Name, c.Reason, reasons[c.Name])
		}
		if c.Status == reports.StatusNotSupported {
			if c.Pcap != "" || !slices.Equal(c.Unsupported, []string{string(features.ConsistentHashing)}) {
				t.Errorf("%s: not run, yet capture %q; unsupported %v, want [%s]", c.Name, c.Pcap, c.Unsupported, features.ConsistentHashing)
			}
			continue
		}
		if _, err := os.Stat(filepath.Join(pcaps, filepath.Base(c.Pcap))); err != nil {
			t.Errorf("%s: capture: %v", c.Name, err)
		}
	}
	if c := rep.Cases[1]; len(c.Checks) != 1 || c.Checks[0].OK || c.Checks[0].Observed == nil || c.Checks[0].Observed.DstPort != 8080 {
		t.Errorf("failed check should show the closest packet (dport 8080): %+v", c.Checks)
	}
	// After each failure but the last the target is restarted (a restart
	// that fails on a busy host is retried, so count at least).
	if lab.restarts < 4 {
		t.Errorf("target restarted %d times, want 4 (before each case that follows a failed one)", lab.restarts)
	}
	if rep.Result != reports.ResultFailure || !strings.Contains(progress.String(), "] ZzRunnerA2Fails ... FAIL") {
		t.Errorf("result %s; progress:\n%s", rep.Result, &progress)
	}
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

// beforeStartNS is the network namespace ZzRunnerB2BeforeStart's
// BeforeStart ran in.
var beforeStartNS string

// restartCounter is the real Lab, counting target restarts.
type restartCounter struct {
	Lab
	restarts int
}

func (l *restartCounter) Setup(ctx context.Context, s Setup) (*Env, error) {
	env, err := l.Lab.Setup(ctx, s)
	if err != nil {
		return nil, err
	}
	restart := env.Restart
	env.Restart = func(ctx context.Context) error {
		l.restarts++
		return restart(ctx)
	}
	return env, nil
}

// bRan is closed by ZzParallelB1 when it runs.
var bRan = make(chan struct{})

func init() {
	registerTestCase(&Case{ShortName: "ZzParallelA1WaitsForB", Deployment: "parallel-a.yaml", Run: func(t *T) {
		select {
		case <-bRan:
		case <-time.After(10 * time.Second):
			t.Errorf("the case of the other deployment did not run meanwhile: deployments do not run in parallel")
		}
	}}, "runner_test.go")
	registerTestCase(&Case{ShortName: "ZzParallelB1", Deployment: "parallel-b.yaml", Run: func(t *T) { close(bRan) }}, "runner_test.go")
}

// TestDeploymentsRunInParallel: with Parallel 2, the second deployment's
// case runs while the first one's is still running (which waits for it),
// and the report lists the cases in plan order, not in the order they
// finished.
func TestDeploymentsRunInParallel(t *testing.T) {
	labtest.RequireRoot(t)
	ref, err := target.Ref()
	if err != nil {
		t.Fatal(err)
	}
	r := Runner{Provider: &Lab{Target: ref}, Options: Options{
		Select: regexp.MustCompile("^ZzParallel"), Fixtures: runnerFixtures, Parallel: 2, CaseTimeout: 20 * time.Second,
	}}
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range rep.Cases {
		names = append(names, c.Name)
		if c.Status != reports.StatusPassed {
			t.Errorf("%s: %s: %s", c.Name, c.Status, c.Reason)
		}
	}
	if want := []string{"ZzParallelA1WaitsForB", "ZzParallelB1"}; !slices.Equal(names, want) {
		t.Errorf("report order %v, want plan order %v", names, want)
	}
}
