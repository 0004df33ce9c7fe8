// Package conformance_test runs the conformance suite against the reference
// forwarder (lbcheck forward) through the target contract, in real network
// namespaces. It needs root.
package conformance_test

import (
	"cmp"
	"context"
	"flag"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/cases"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
)

// runSuite runs one profile against the reference forwarder: its generic
// cases on users when there are any (only those cases run), else every case
// on its fixture.
func runSuite(tb testing.TB, profile string, progress io.Writer, users ...suite.UserDeployment) (*reports.ConformanceReport, error) {
	return runSelected(tb, profile, nil, progress, users...)
}

// runSelected is runSuite for the cases sel selects (nil: all).
func runSelected(tb testing.TB, profile string, sel *regexp.Regexp, progress io.Writer, users ...suite.UserDeployment) (*reports.ConformanceReport, error) {
	labtest.RequireRoot(tb)
	ref, err := target.Ref()
	if err != nil {
		tb.Fatal(err)
	}
	return runTarget(tb, ref, profile, sel, progress, users...)
}

// runTarget runs the cases of profile ("" both) that sel selects (nil:
// all) against the target m, on users when there are any.
func runTarget(tb testing.TB, m *target.Manifest, profile string, sel *regexp.Regexp, progress io.Writer, users ...suite.UserDeployment) (*reports.ConformanceReport, error) {
	labtest.RequireRoot(tb)
	pcaps, err := safefile.OpenDir(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	defer pcaps.Close()
	r := suite.Runner{
		Provider: &suite.Lab{Target: m},
		Options: suite.Options{
			Select:         sel,
			Profile:        profile,
			Fixtures:       cases.Fixture,
			Users:          users,
			PcapDir:        pcaps,
			Progress:       progress,
			Verbose:        testing.Verbose(),
			Implementation: reports.Implementation{Name: m.Name, Features: features.Strings(m.Features)},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return r.Run(ctx)
}

// runAgainstRefWant runs a profile (runSuite) and fails t unless every case
// passed with packet checks, or, for the cases named in want, ended with
// the status given instead: skipped (a generic case with nothing
// to test on the deployment), making the report partial, or failed (for
// the deployment's sake: every packet check passed).
func runAgainstRefWant(t *testing.T, profile string, want map[string]string, users ...suite.UserDeployment) *reports.ConformanceReport {
	var progress strings.Builder
	start := time.Now()
	rep, err := runSuite(t, profile, &progress, users...)
	t.Logf("%s suite against ref:\n%s", profile, progress.String())
	t.Logf("%s suite: %d cases in %.1fs", profile, len(rep.Cases), time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if len(rep.Cases) == 0 {
		t.Fatal("no case ran")
	}
	result := reports.ResultSuccess
	for _, c := range rep.Cases {
		if c.Profile != profile {
			t.Errorf("case %s of profile %s ran in the %s run", c.Name, c.Profile, profile)
		}
		status := cmp.Or(want[c.Name], reports.StatusPassed)
		switch {
		case c.Status != status:
			t.Errorf("%s: %s, want %s\n%s", c.Name, c.Status, status, c.Reason)
		case status != reports.StatusSkipped && len(c.Checks) == 0:
			t.Errorf("%s recorded no packet check", c.Name)
		}
		for _, ch := range c.Checks {
			if !ch.OK && status == reports.StatusFailed {
				t.Errorf("%s must fail for the deployment's sake only, but a packet check failed: %s", c.Name, ch.What)
			}
		}
		switch status {
		case reports.StatusFailed:
			result = reports.ResultFailure
		case reports.StatusSkipped:
			if result == reports.ResultSuccess {
				result = reports.ResultPartial
			}
		}
	}
	if rep.Result != result {
		t.Errorf("report result %s, want %s", rep.Result, result)
	}
	return rep
}

// TestSuite runs the built-in suite against the reference forwarder, one
// subtest per case, so one case runs alone with
// `go test ./conformance -run 'TestSuite/FloatingIPOnDestination'` (the
// subtest pattern selects the cases the runner runs: cases sharing a
// fixture still share its topology). With -short only the core profile
// runs: the extended one waits for health probes and idle timeouts.
func TestSuite(t *testing.T) {
	profile := ""
	if testing.Short() {
		profile = suite.Core
	}
	var progress strings.Builder
	start := time.Now()
	rep, err := runSelected(t, profile, subtestFilter("TestSuite"), &progress)
	t.Logf("suite against ref:\n%s", progress.String())
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if len(rep.Cases) == 0 {
		t.Fatal("no case ran")
	}
	t.Logf("%d cases in %.1fs", len(rep.Cases), time.Since(start).Seconds())
	for _, c := range rep.Cases {
		t.Run(c.Name, func(t *testing.T) {
			switch {
			case c.Status != reports.StatusPassed:
				t.Errorf("%s: %s\n%s", c.Name, c.Status, c.Reason)
			case len(c.Checks) == 0:
				t.Errorf("%s recorded no packet check", c.Name)
			}
		})
	}
	if want := reports.ResultSuccess; rep.Result != want {
		t.Errorf("report result %s, want %s", rep.Result, want)
	}
}

// subtestFilter returns the pattern -run gives the subtests of the named
// test ("TestSuite/FloatingIP" → FloatingIP), or nil for all of them.
func subtestFilter(test string) *regexp.Regexp {
	f := flag.Lookup("test.run")
	if f == nil {
		return nil
	}
	parts := strings.SplitN(f.Value.String(), "/", 2)
	if len(parts) < 2 || !regexp.MustCompile(parts[0]).MatchString(test) {
		return nil
	}
	return regexp.MustCompile(parts[1])
}

// TestGenericCasesSecondaryIPConfiguration runs the generic cases on a user
// deployment whose Floating IP rule's pool holds a secondary IP
// configuration (cases/testdata/secondary.yaml; lint: LB2002): every check
// passes against the reference forwarder, RuleDeliversToPool checked that
// the secondary's VM received none of the rules' flows (the rule
// web-secondary reaches no VM at all, so a forwarder that delivers to the
// secondary fails always), and the case fails for the deployment's sake,
// naming the member the rules never reach.
func TestGenericCasesSecondaryIPConfiguration(t *testing.T) {
	d, err := cases.Fixture("secondary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runSuite(t, suite.Core, io.Discard, suite.UserDeployment{Name: "secondary.yaml", Deployment: d})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Cases {
		for _, ch := range c.Checks {
			if !ch.OK {
				t.Errorf("%s: check failed: %s", c.Name, ch.What)
			}
		}
		// No rule has a probe: the failed member keeps its flows (LB2003).
		want := map[string]string{"RuleDeliversToPool": reports.StatusFailed, "ProbesAnsweredByMembers": reports.StatusSkipped, "MemberInRotationUntilProbeFails": reports.StatusFailed}[c.Name]
		if want == "" {
			want = reports.StatusPassed
		}
		if c.Status != want {
			t.Errorf("%s: %s, want %s\n%s", c.Name, c.Status, want, c.Reason)
		}
		if c.Name == "RuleDeliversToPool" && strings.Count(c.Reason, "node2 is in the pool but gets no flow") != 2 {
			t.Errorf("RuleDeliversToPool's reason should name node2 for web and web-secondary:\n%s", c.Reason)
		}
	}
	for _, flow := range []string{"rule lb/web (tcp 203.0.113.70:80)", "rule lb/web-secondary (tcp 203.0.113.72:80)"} {
		checked := false
		for _, c := range rep.Cases {
			for _, ch := range c.Checks {
				checked = checked || (c.Name == "RuleDeliversToPool" && ch.Negative && ch.OK && strings.Contains(ch.What, flow+": not delivered to node2"))
			}
		}
		if !checked {
			t.Errorf("RuleDeliversToPool did not check that node2's secondary IP configuration receives nothing of %s", flow)
		}
	}
}

// TestGenericCasesUntestedWithoutFeatures runs the generic cases on
// nat.yaml against the reference forwarder declaring no inbound-nat-rule-v2:
// the v2 rule's members are reported untested, naming the feature, the
// classic NAT rule's target is tested, and nothing fails.
func TestGenericCasesUntestedWithoutFeatures(t *testing.T) {
	d, err := cases.Fixture("nat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := target.Ref()
	if err != nil {
		t.Fatal(err)
	}
	m := *ref
	m.Features = slices.DeleteFunc(slices.Clone(ref.Features), func(f features.Name) bool { return f == features.InboundNATRuleV2 })
	rep, err := runTarget(t, &m, "", nil, io.Discard, suite.UserDeployment{Name: "nat.yaml", Deployment: d})
	if err != nil {
		t.Fatal(err)
	}
	untested, classic := map[string]bool{}, false
	for _, c := range rep.Cases {
		if c.Status == reports.StatusFailed {
			t.Errorf("%s failed: %s", c.Name, c.Reason)
		}
		for _, mem := range c.Members {
			switch {
			case strings.Contains(mem.Rule, "ssh-pool"):
				if mem.Status != reports.MemberUntested || !strings.Contains(mem.Note, string(features.InboundNATRuleV2)) {
					t.Errorf("%s: %s on %s is %s (%s), want untested naming %s", c.Name, mem.Member, mem.Rule, mem.Status, mem.Note, features.InboundNATRuleV2)
				}
				untested[mem.Member] = true
			case strings.Contains(mem.Rule, "ssh-nat0") && mem.Member == "nat0" && mem.Status == reports.StatusPassed:
				classic = true
			}
		}
	}
	if len(untested) != 3 || !classic {
		t.Errorf("untested members of ssh-pool: %v (want nat0, nat1, nat2); classic rule's target tested: %v", untested, classic)
	}
}

// TestGuestCasesDetectBrokenGuests runs the guest cases on fixtures changed
// so that what each case forbids happens: every one of them must fail.
func TestGuestCasesDetectBrokenGuests(t *testing.T) {
	labtest.RequireRoot(t)
	ref, err := target.Ref()
	if err != nil {
		t.Fatal(err)
	}
	iface := func(d *schema.Deployment, vm, name string) *schema.Interface {
		g := d.Guest(vm)
		if g == nil || g.Interface(name) == nil {
			t.Fatalf("fixture has no interface %s on %s", name, vm)
		}
		return g.Interface(name)
	}
	broken := func(name string) (*schema.Deployment, error) {
		d, err := cases.Fixture(name)
		if err != nil {
			return nil, err
		}
		switch name {
		case "mapping.yaml": // the guest now holds the "missing" frontend
			lo := iface(d, "web", "lo")
			lo.Addresses = append(lo.Addresses, "203.0.113.14/32")
		case "windows.yaml": // the flags each case relies on being off
			iface(d, "win-recv", "Ethernet").WeakHostReceive = true
			iface(d, "win-send", "Loopback Pseudo-Interface 1").WeakHostSend = true
		case "loopback24.yaml": // the doc's /24 fixed to /32
			iface(d, "vm24", "lo").Addresses = []string{"127.0.0.1/8", "10.1.0.100/32"}
		}
		return d, nil
	}
	var progress strings.Builder
	r := suite.Runner{Provider: &suite.Lab{Target: ref}, Options: suite.Options{
		Select:   regexp.MustCompile("^(GuestWithoutFrontendIP|WindowsNoWeakHostReceive|WindowsNoWeakHostSend|LinuxLoopbackSlash24BreaksSubnet)$"),
		Fixtures: broken, Progress: &progress,
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := r.Run(ctx)
	t.Logf("guest cases on broken guests:\n%s", &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 4 {
		t.Fatalf("%d cases ran, want 4", len(rep.Cases))
	}
	for _, c := range rep.Cases {
		if c.Status != reports.StatusFailed {
			t.Errorf("%s %s on a guest that does what it forbids", c.Name, c.Status)
		}
		// It failed because it saw the packet it forbids, not for another reason.
		caught := false
		for _, ch := range c.Checks {
			caught = caught || (ch.Negative && !ch.OK && ch.Observed != nil)
		}
		if !caught {
			t.Errorf("%s failed without observing a forbidden packet: %s", c.Name, c.Reason)
		}
	}
}

// TestGenericCasesEveryMember runs the generic cases on a deployment whose
// second SQL node lacks weakHostSend (lint: LB3003 on sql-2): its answers
// leave from the wrong address, so RuleReplyDirect must fail on sql-2 and
// only sql-2, whichever node the first flow hashes to (the cases reach
// every member with a flow of its own). With the flag set, everything
// passes.
func TestGenericCasesEveryMember(t *testing.T) {
	src, err := os.ReadFile("../fixtures/broken/windows-missing-weakhostsend.yaml")
	if err != nil {
		t.Fatal(err)
	}
	load := func(name string, src []byte) suite.UserDeployment {
		d, issues, err := schema.LoadBytes(name, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range issues {
			t.Fatalf("%s: %s %s", is.Pos, is.Rule, is.Message)
		}
		return suite.UserDeployment{Name: name, Deployment: d, Files: []string{name}}
	}
	rep, err := runSuite(t, suite.Core, io.Discard, load("broken.yaml", src))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Deployments) != 1 || rep.Deployments[0].Name != "broken.yaml" || len(rep.Deployments[0].Files) != 1 {
		t.Errorf("report deployments %+v, want broken.yaml and its file", rep.Deployments)
	}
	var failedOn []string
	for _, c := range rep.Cases {
		for _, ch := range c.Checks {
			if !ch.OK && c.Name == "RuleReplyDirect" {
				failedOn = append(failedOn, ch.What)
			}
			if !ch.OK && c.Name != "RuleReplyDirect" {
				t.Errorf("%s failed: %s", c.Name, ch.What)
			}
		}
	}
	if len(failedOn) != 1 || !strings.Contains(failedOn[0], "sql-2's answer") {
		t.Errorf("RuleReplyDirect failed checks %q, want exactly sql-2's answer", failedOn)
	}
	var members []string
	for _, c := range rep.Cases {
		for _, m := range c.Members {
			members = append(members, c.Name+" "+m.Member+" "+m.Status)
		}
	}
	want := "GuestReachesGateway sql-1 passed; GuestReachesGateway sql-2 passed; MemberInRotationUntilProbeFails sql-1 passed; ProbesAnsweredByMembers sql-1 passed; ProbesAnsweredByMembers sql-2 passed; RuleDeliversToPool sql-1 passed; RuleDeliversToPool sql-2 passed; RuleReplyDirect sql-1 passed; RuleReplyDirect sql-2 failed"
	if got := strings.Join(members, "; "); got != want {
		t.Errorf("members %q, want %q", got, want)
	}
	fixed := strings.Replace(string(src), "addresses: [10.0.1.10/32], weakHostReceive: true} # want", "addresses: [10.0.1.10/32], weakHostReceive: true, weakHostSend: true} # was", 1)
	// An internal load balancer gives no outbound SNAT: nothing to test.
	runAgainstRefWant(t, suite.Core, map[string]string{"GuestOutboundFlows": reports.StatusSkipped}, load("fixed.yaml", []byte(fixed)))
}

// TestGenericGuestReachesGateway runs GuestReachesGateway on fixtures/broken's
// linux-lo-slash24 (lint: LB3004 on nva-1 and nva-2, the frontend IP on lo
// as /24 inside their own subnet): it fails on both and only on them, and
// passes once the prefix is /32.
func TestGenericGuestReachesGateway(t *testing.T) {
	src, err := os.ReadFile("../fixtures/broken/linux-lo-slash24.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(name, text string) *reports.ConformanceReport {
		d, _, err := schema.LoadBytes(name, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := target.Ref()
		if err != nil {
			t.Fatal(err)
		}
		r := suite.Runner{Provider: &suite.Lab{Target: ref}, Options: suite.Options{
			Select: regexp.MustCompile("^GuestReachesGateway$"), Fixtures: cases.Fixture,
			Users: []suite.UserDeployment{{Name: name, Deployment: d}},
		}}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		rep, err := r.Run(ctx)
		if err != nil || len(rep.Cases) != 1 {
			t.Fatalf("run: %v, %d cases", err, len(rep.Cases))
		}
		return rep
	}
	labtest.RequireRoot(t)
	c := run("broken.yaml", string(src)).Cases[0]
	if c.Status != reports.StatusFailed || !strings.Contains(c.Reason, "in nva-1 the route to its gateway") || !strings.Contains(c.Reason, "in nva-2 the route to its gateway") || strings.Count(c.Reason, "the route to its gateway") != 2 {
		t.Errorf("broken: %s\n%s", c.Status, c.Reason)
	}
	fixed := strings.ReplaceAll(string(src), "10.0.2.10/24", "10.0.2.10/32")
	if c := run("fixed.yaml", fixed).Cases[0]; c.Status != reports.StatusPassed {
		t.Errorf("fixed: %s\n%s", c.Status, c.Reason)
	}
}

// sourceIPDeployment is a SourceIP rule over three Linux guests: one client
// address keeps every flow on one member.
const sourceIPDeployment = `
loadBalancers:
  - name: lb
    type: public
    frontendIPConfigurations: [{name: fe, ipAddress: 203.0.113.90}]
    backendAddressPools: [{name: pool, members: [{vm: s1, ipConfiguration: c}, {vm: s2, ipConfiguration: c}, {vm: s3, ipConfiguration: c}]}]
    loadBalancingRules:
      - {name: web, frontendIPConfiguration: fe, backendAddressPool: pool, protocol: Tcp, frontendPort: 80, backendPort: 80, enableFloatingIP: true, loadDistribution: SourceIP}
vms:
  - {name: s1, networkInterfaces: [{name: n, ipConfigurations: [{name: c, privateIPAddress: 10.0.11.4, primary: true}]}]}
  - {name: s2, networkInterfaces: [{name: n, ipConfigurations: [{name: c, privateIPAddress: 10.0.11.5, primary: true}]}]}
  - {name: s3, networkInterfaces: [{name: n, ipConfigurations: [{name: c, privateIPAddress: 10.0.11.6, primary: true}]}]}
guests:
  - {vm: s1, os: linux, interfaces: [{name: eth0, kind: nic, addresses: [10.0.11.4/24]}, {name: lo, kind: loopback, addresses: [127.0.0.1/8, 203.0.113.90/32]}], listeners: [{proto: tcp, address: 0.0.0.0, port: 80}]}
  - {vm: s2, os: linux, interfaces: [{name: eth0, kind: nic, addresses: [10.0.11.5/24]}, {name: lo, kind: loopback, addresses: [127.0.0.1/8, 203.0.113.90/32]}], listeners: [{proto: tcp, address: 0.0.0.0, port: 80}]}
  - {vm: s3, os: linux, interfaces: [{name: eth0, kind: nic, addresses: [10.0.11.6/24]}, {name: lo, kind: loopback, addresses: [127.0.0.1/8, 203.0.113.90/32]}], listeners: [{proto: tcp, address: 0.0.0.0, port: 80}]}
`

// TestGenericCasesSourceIPEveryMember: flows of a SourceIP rule come from
// the client's steering addresses, so every member's destination and
// answer is checked, not only the member the client's own address hashes to.
func TestGenericCasesSourceIPEveryMember(t *testing.T) {
	d, issues, err := schema.LoadBytes("sourceip.yaml", []byte(sourceIPDeployment))
	if err != nil || len(issues) > 0 {
		t.Fatalf("%v %v", err, issues)
	}
	// No rule has a probe: nothing for ProbesAnsweredByMembers, and the
	// failed member s1 still gets flows (lint's LB2003), from the steering
	// address that hashes to it.
	rep := runAgainstRefWant(t, suite.Core, map[string]string{"ProbesAnsweredByMembers": reports.StatusSkipped, "MemberInRotationUntilProbeFails": reports.StatusFailed},
		suite.UserDeployment{Name: "sourceip.yaml", Deployment: d})
	passed := map[string]int{}
	for _, c := range rep.Cases {
		for _, m := range c.Members {
			if m.Status == reports.StatusPassed {
				passed[c.Name]++
			}
		}
	}
	if passed["RuleDeliversToPool"] != 3 || passed["RuleReplyDirect"] != 3 {
		t.Errorf("members passed %v, want all three in both cases", passed)
	}
}
