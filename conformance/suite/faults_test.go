package suite

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
)

// Cases for the target-fault tests, on two deployments: the faulty fake
// hosts misbehave only in deployment A (frontend .71), so B shows that the
// suite goes on.
func init() {
	wait := func(d time.Duration) func(*T) {
		return func(t *T) {
			select {
			case <-time.After(d):
			case <-t.Context().Done():
			}
		}
	}
	for _, c := range []*Case{
		{ShortName: "ZzFaultA1Waits", Deployment: "faultA.yaml", Run: func(t *T) {
			// A crashing fake host writes "died" just before it exits.
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && t.Context().Err() == nil; time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(filepath.Join(faultDir, "died")); err == nil {
					break
				}
			}
			wait(500 * time.Millisecond)(t)
		}},
		{ShortName: "ZzFaultA2ExpectsDelivery", Deployment: "faultA.yaml", Run: func(t *T) {
			s := t.Send(pkt.Spec{Dst: netipMust("203.0.113.71"), DstPort: 80})
			t.Expect(t.VM("vm1"), Step{What: "delivered", Match: pkt.Match{Src: s.Src, SrcPort: s.SrcPort, DstPort: 8080}, Timeout: 200 * time.Millisecond})
		}},
		{ShortName: "ZzFaultA3Passes", Deployment: "faultA.yaml", Run: wait(0)},
		{ShortName: "ZzFaultB1Passes", Deployment: "faultB.yaml", Run: wait(0)},
		{ShortName: "ZzStrayA1LeavesProcess", Deployment: "faultA.yaml", Run: func(t *T) {
			// Not the target's, but what Close finds is the same: a
			// process no one stopped (an orphan, as a target's daemon is).
			sh := exec.Command("sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!")
			if err := t.InVM("vm1", func() (err error) { strayPID, err = sh.Output(); return }); err != nil {
				t.Fatalf("starting the process: %v", err)
			}
		}},
		{ShortName: "ZzStrayB1Passes", Deployment: "faultB.yaml", Run: wait(0)},
	} {
		registerTestCase(c, "faults_test.go")
	}
}

// good is a fake target role that behaves: ready, then stops on SIGTERM.
const good = `echo ready; trap 'exit 0' TERM; while :; do sleep 0.05; done`

// faultDir is the running fault test's directory of scripts and markers.
var faultDir string

// strayPID is the PID ZzStrayA1LeavesProcess printed.
var strayPID []byte

// faultFixture returns runnerFixture with frontend 203.0.113.71 (A) or .72 (B).
func faultFixture(name string) (*schema.Deployment, error) {
	fip := map[string]string{"faultA.yaml": "203.0.113.71", "faultB.yaml": "203.0.113.72"}[name]
	d, _, err := schema.LoadBytes(name, []byte(strings.Replace(runnerFixture, "203.0.113.70", fip, 1)))
	return d, err
}

// TestTargetFaults runs the fault cases against fake targets (shell
// scripts) whose host role crashes, hangs, never prints ready or ignores
// SIGTERM in deployment A. Each run must finish without a setup error, fail
// the affected cases with a reason that names the fault, run deployment B's
// case, and leave no target process behind (every script records its PID).
func TestTargetFaults(t *testing.T) {
	labtest.RequireRoot(t)
	// inA runs its argument in deployment A only, else behaves.
	inA := func(fault string) string {
		return `if grep -q 203.0.113.71 "$LBCHECK_CONFIG"; then ` + fault + `; fi; ` + good
	}
	for _, tc := range []struct {
		name, host string
		want       map[string][]string // case -> reason substrings; none = passed
	}{
		{
			name: "crashes",
			// Only the first start crashes: the restart after the failed case works.
			host: inA(`if [ ! -e "$FAULT_DIR/crashed" ]; then touch "$FAULT_DIR/crashed"; echo ready; sleep 0.2; echo "mylb: flow table corrupt" >&2; touch "$FAULT_DIR/died"; exit 4; fi`),
			want: map[string][]string{
				"ZzFaultA1Waits":           {"target process died: host-0", "exited unexpectedly (exit status 4)", "flow table corrupt"},
				"ZzFaultA2ExpectsDelivery": {"delivered: at vm1 (eth0): no matching packet"},
				"ZzFaultA3Passes":          nil, "ZzFaultB1Passes": nil,
			},
		},
		{
			name: "crashes for good",
			// Crashes after the first start and never starts again: the
			// cases after the crash fail for the failed restart.
			host: inA(`if [ -e "$FAULT_DIR/crashed" ]; then echo "mylb: state lost, cannot start" >&2; exit 5; fi; touch "$FAULT_DIR/crashed"; echo ready; sleep 0.2; touch "$FAULT_DIR/died"; exit 4`),
			want: map[string][]string{
				"ZzFaultA1Waits":           {"target process died: host-0", "exited unexpectedly (exit status 4)"},
				"ZzFaultA2ExpectsDelivery": {"restarting the target: target fake: host-0", `exited before printing "ready" (exit status 5)`, "state lost, cannot start"},
				"ZzFaultA3Passes":          {"restarting the target"},
				"ZzFaultB1Passes":          nil,
			},
		},
		{
			name: "hangs",
			// Ready, then stuck (stopped): nothing is forwarded, SIGTERM
			// does nothing, so the last case run on it fails at the stop.
			host: inA(`echo ready; kill -STOP $$`),
			want: map[string][]string{
				"ZzFaultA1Waits":           nil,
				"ZzFaultA2ExpectsDelivery": {"delivered: at vm1 (eth0): no matching packet"},
				"ZzFaultA3Passes":          {"stopping the target: host-0", "ignored SIGTERM for 1s; killed with SIGKILL"},
				"ZzFaultB1Passes":          nil,
			},
		},
		{
			name: "never ready",
			host: inA(`echo "mylb: waiting for config" >&2; sleep 30`),
			want: map[string][]string{
				"ZzFaultA1Waits":           {"the target did not start: target fake: host-0", `did not print "ready" within 3s`, "mylb: waiting for config"},
				"ZzFaultA2ExpectsDelivery": {"the target did not start"}, "ZzFaultA3Passes": {"the target did not start"},
				"ZzFaultB1Passes": nil,
			},
		},
		{
			name: "ignores SIGTERM",
			host: inA(`echo ready; trap '' TERM; while :; do sleep 0.05; done`),
			want: map[string][]string{
				"ZzFaultA1Waits":           nil,
				"ZzFaultA2ExpectsDelivery": {"delivered: at vm1 (eth0): no matching packet"},
				"ZzFaultA3Passes":          {"stopping the target: host-0", "ignored SIGTERM for 1s; killed with SIGKILL"},
				"ZzFaultB1Passes":          nil,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			faultDir = dir
			script := func(name, body string) []string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte("#!/bin/sh\necho $$ >>\"$FAULT_DIR/pids\"\n"+body+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
				return []string{p}
			}
			m := &target.Manifest{Name: "fake", Mux: target.Role{Command: script("mux.sh", good)}, Host: target.Role{Command: script("host.sh", tc.host)},
				Timeouts: target.Timeouts{Ready: 3 * time.Second, Stop: time.Second}, Env: []string{"FAULT_DIR=" + dir}}
			var progress strings.Builder
			r := Runner{Provider: &Lab{Target: m}, Options: Options{
				Select: regexp.MustCompile("^ZzFault"), Fixtures: faultFixture, CaseTimeout: 10 * time.Second, Progress: &progress,
			}}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rep, err := r.Run(ctx)
			t.Logf("progress:\n%s", &progress)
			var ns *NotStartedError
			switch {
			case tc.name == "never ready" && (!errors.As(err, &ns) || len(ns.Deployments) != 1):
				t.Fatalf("Run: %v, want a NotStartedError naming deployment A (after running B too)", err)
			case tc.name != "never ready" && err != nil:
				t.Fatalf("Run: %v (a faulty target must fail cases, not stop the suite)", err)
			}
			checkReasons(t, rep, tc.want)
			if rep.Result != reports.ResultFailure {
				t.Errorf("result %s, want failure", rep.Result)
			}
			pids, err := os.ReadFile(filepath.Join(dir, "pids"))
			if err != nil {
				t.Fatal(err)
			}
			for _, pid := range strings.Fields(string(pids)) {
				if _, err := strconv.Atoi(pid); err != nil {
					t.Fatalf("pid file: %q", pids)
				}
				if _, err := os.Stat("/proc/" + pid); err == nil {
					t.Errorf("target process %s survived the run (or was not reaped)", pid)
				}
			}
		})
	}
}

// TestStrayProcessFailsDeployment leaves a process running in deployment
// A's namespaces, which the teardown kills with SIGKILL: A's case fails
// naming it, the run goes on with deployment B and returns no error.
func TestStrayProcessFailsDeployment(t *testing.T) {
	labtest.RequireRoot(t)
	m := &target.Manifest{Name: "fake", Mux: target.Role{Command: []string{"sh", "-c", good}}, Host: target.Role{Command: []string{"sh", "-c", good}},
		Timeouts: target.Timeouts{Ready: 3 * time.Second, Stop: time.Second}}
	var progress strings.Builder
	r := Runner{Provider: &Lab{Target: m}, Options: Options{
		Select: regexp.MustCompile("^ZzStray"), Fixtures: faultFixture, CaseTimeout: 10 * time.Second, Progress: &progress,
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := r.Run(ctx)
	t.Logf("progress:\n%s", &progress)
	if err != nil {
		t.Fatalf("Run: %v (a process killed at teardown must fail its deployment's cases, not stop the suite)", err)
	}
	pid := strings.TrimSpace(string(strayPID))
	want := map[string][]string{
		"ZzStrayA1LeavesProcess": {"stopping the target: left processes running in the topology, killed with SIGKILL: " + pid + " (sleep) in lbc", "-vm0"},
		"ZzStrayB1Passes":        nil,
	}
	checkReasons(t, rep, want)
	if st, err := os.ReadFile("/proc/" + pid + "/stat"); pid == "" || err == nil && !strings.Contains(string(st), ") Z") {
		t.Errorf("the stray process %q survived the run", pid)
	}
}

// checkReasons checks the report has exactly the cases of want, failed with
// reasons that contain the listed substrings, or passed when none are
// listed.
func checkReasons(t *testing.T, rep *reports.ConformanceReport, want map[string][]string) {
	t.Helper()
	if len(rep.Cases) != len(want) {
		t.Fatalf("%d cases reported, want %d", len(rep.Cases), len(want))
	}
	for _, c := range rep.Cases {
		if len(want[c.Name]) == 0 {
			if c.Status != reports.StatusPassed {
				t.Errorf("%s: %s, want passed (%s)", c.Name, c.Status, c.Reason)
			}
			continue
		}
		if c.Status != reports.StatusFailed {
			t.Errorf("%s: %s, want failed", c.Name, c.Status)
		}
		for _, w := range want[c.Name] {
			if !strings.Contains(c.Reason, w) {
				t.Errorf("%s: reason %q lacks %q", c.Name, c.Reason, w)
			}
		}
	}
}
