package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/reports"
)

// userDeployment is a working user deployment: floating TCP over a guest
// holding the frontend on lo, plain UDP to a listener. broken drops the
// frontend from the guest's loopback.
const userDeployment = `
loadBalancers:
  - name: lb
    type: public
    frontendIPConfigurations: [{name: fe, ipAddress: 203.0.113.60}]
    backendAddressPools: [{name: pool, members: [{vm: vm1, ipConfiguration: ipconfig1}]}]
    probes: [{name: web, protocol: Tcp, port: 80, intervalInSeconds: 5}]
    loadBalancingRules:
      - {name: web, frontendIPConfiguration: fe, backendAddressPool: pool, probe: web, protocol: Tcp, frontendPort: 80, backendPort: 80, enableFloatingIP: true}
      - {name: dns, frontendIPConfiguration: fe, backendAddressPool: pool, probe: web, protocol: Udp, frontendPort: 53, backendPort: 5353}
vms:
  - name: vm1
    networkInterfaces: [{name: nic1, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.7.4, primary: true}]}]
guests:
  - vm: vm1
    os: linux
    interfaces:
      - {name: eth0, kind: nic, addresses: [10.0.7.4/24]}
      - {name: lo, kind: loopback, addresses: [127.0.0.1/8, LOOPBACK]}
    listeners: [{proto: tcp, address: 0.0.0.0, port: 80}, {proto: udp, address: 0.0.0.0, port: 5353}]
`

func TestConformUserDeployment(t *testing.T) {
	labtest.RequireRoot(t)
	for _, tt := range []struct {
		name     string
		loopback string
		exit     int
		failed   string
		lint     string // the report's lint cross-check: rule object case
	}{
		{"working", "203.0.113.60/32", exitOK, "", ""},
		{"frontend missing in the guest", "127.0.0.2/32", exitFindings, "RuleReplyDirect", "LB3001 guests.vm1 RuleReplyDirect"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "deploy.yaml")
			if err := os.WriteFile(cfg, []byte(strings.Replace(userDeployment, "LOOPBACK", tt.loopback, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "report")
			var stdout, stderr bytes.Buffer
			code := run([]string{"conform", "--config", cfg, "--report", out, "--junit", filepath.Join(dir, "junit.xml")}, &stdout, &stderr)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.exit, &stdout, &stderr)
			}
			for _, want := range []string{"] GuestReachesGateway ...", "] RuleDeliversToPool ...", "] RuleReplyDirect ...", "conformance suite: "} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			rep, err := reports.ReadConformance(filepath.Join(out, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Cases {
				wantStatus := reports.StatusPassed
				if c.Name == tt.failed {
					wantStatus = reports.StatusFailed
				}
				if c.Status != wantStatus {
					t.Errorf("%s: %s, want %s\n%s", c.Name, c.Status, wantStatus, c.Reason)
				}
				if _, err := os.Stat(filepath.Join(out, c.Pcap)); c.Pcap == "" || err != nil {
					t.Errorf("%s: capture %q missing: %v", c.Name, c.Pcap, err)
				}
			}
			for _, f := range []string{filepath.Join(out, "report.html"), filepath.Join(dir, "junit.xml")} {
				if _, err := os.Stat(f); err != nil {
					t.Error(err)
				}
			}
			// The lint findings on the deployment, and the case that shows
			// each with packets.
			var crossChecked []string
			for _, x := range rep.LintFindings {
				crossChecked = append(crossChecked, x.Rule+" "+x.Object+" "+strings.Join(x.ReproducedBy, ","))
			}
			if want := tt.lint; strings.Join(crossChecked, "; ") != want {
				t.Errorf("lint cross-check %q, want %q", crossChecked, want)
			}
			page, _ := os.ReadFile(filepath.Join(out, "report.html"))
			if tt.failed != "" && (!strings.Contains(stdout.String(), "lint LB3001 guests.vm1: a case failed on what it names: RuleReplyDirect") || !bytes.Contains(page, []byte(`id="lint-findings"`))) {
				t.Errorf("the cross-check is not in the summary or the page:\n%s", &stdout)
			}
		})
	}
}

// TestConformReportLinks plants symbolic links in --report DIR, as another
// user of a shared directory could: conform (root) must not write through
// them. A link for the directory or its pcap/ stops the run before it
// starts; one for report.html fails the write at the end. Each error names
// the link, and the file outside is unchanged.
func TestConformReportLinks(t *testing.T) {
	labtest.RequireRoot(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "deploy.yaml")
	if err := os.WriteFile(cfg, []byte(strings.Replace(userDeployment, "LOOPBACK", "203.0.113.60/32", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	const secret = "root's file outside the report\n"
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		link string // relative to the report directory; "." is the directory itself
		to   string
		ran  bool // the cases run before the error
	}{
		{"report directory", ".", filepath.Dir(outside), false},
		{"capture directory", "pcap", filepath.Dir(outside), false},
		{"report.html", "report.html", outside, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "report")
			link := filepath.Join(report, tt.link)
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tt.to, link); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := run([]string{"conform", "--config", cfg, "--report", report}, &stdout, &stderr)
			if want := link + " is a symbolic link"; code != exitUsage || !strings.Contains(stderr.String(), want) {
				t.Errorf("exit %d, want %d and %q in stderr:\n%s", code, exitUsage, want, &stderr)
			}
			if ran := strings.Contains(stderr.String(), "] RuleDeliversToPool ..."); ran != tt.ran {
				t.Errorf("cases ran: %v, want %v", ran, tt.ran)
			}
			if b, err := os.ReadFile(outside); err != nil || string(b) != secret {
				t.Errorf("%s changed: %q, %v", outside, b, err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(outside)); len(entries) != 1 {
				t.Errorf("conform wrote %d files next to %s", len(entries)-1, outside)
			}
		})
	}
}

// TestConformBrokenFixtures runs conform --config on each deployment of
// fixtures/broken against the reference forwarder: per lint finding, the
// cases that failed on what it names; the VMs conform failed (per-member
// verdicts) are exactly the guests the findings name. Then each file is
// fixed as its finding says, and the fixed deployment is lint-clean (no
// data-plane finding) and passes conform.
func TestConformBrokenFixtures(t *testing.T) {
	labtest.RequireRoot(t)
	for _, tt := range []struct {
		file  string
		want  []string
		fixes [][2]string // old, new: every occurrence
	}{
		{"app-binds-outbound-to-vip.yaml", []string{"LB3007 guests.web-1.outbound.payments API: GuestOutboundFlows"},
			[][2]string{{"sourceAddress: 203.0.113.10", "sourceAddress: 10.0.3.4"}}},
		{"linux-lo-slash24.yaml", []string{"LB3004 guests.nva-1.interfaces.lo: GuestReachesGateway", "LB3004 guests.nva-2.interfaces.lo: GuestReachesGateway"},
			[][2]string{{"10.0.2.10/24", "10.0.2.10/32"}}},
		{"sql-listener-floating-off.yaml", []string{"LB2004 loadBalancers.sql-ilb.loadBalancingRules.sql-listener: RuleReplyDirect",
			"LB3005 guests.sql-1.listeners.ag listener: RuleReplyDirect", "LB3005 guests.sql-2.listeners.ag listener: RuleReplyDirect"},
			[][2]string{{"enableFloatingIP: false", "enableFloatingIP: true"}}},
		{"web-port-reuse-without-floating.yaml", []string{
			"LB3005 guests.web-1.listeners.nginx site-a: RuleReplyDirect", "LB3008 guests.web-1.firewall: RuleReplyDirect",
			"LB3005 guests.web-2.listeners.nginx site-a: RuleReplyDirect", "LB3008 guests.web-2.firewall: RuleReplyDirect",
		}, [][2]string{{"        protocol: Tcp\n", "        protocol: Tcp\n        enableFloatingIP: true\n"}}},
		{"dns-forwarders-without-probe.yaml", []string{"LB2003 loadBalancers.dns-ilb.loadBalancingRules.dns-udp: MemberInRotationUntilProbeFails"},
			[][2]string{{"        protocol: Udp\n", "        probe: dns-tcp\n        protocol: Udp\n"}}},
		{"windows-missing-weakhostsend.yaml", []string{"LB3003 guests.sql-2.interfaces.Loopback: RuleReplyDirect"},
			[][2]string{{"weakHostReceive: true} # want LB3003", "weakHostReceive: true, weakHostSend: true} # want LB3003"}}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("../../fixtures/broken", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rep := conformFile(t, filepath.Join(t.TempDir(), tt.file), src, exitFindings)
			var got []string
			// Members that failed must be the guests lint names, or members
			// of a rule lint names (a rule's finding fails a member conform
			// picked, such as the one whose service it made fail).
			named, rules := map[string]bool{}, []string{}
			for _, x := range rep.LintFindings {
				by := strings.Join(x.ReproducedBy, ",")
				if by == "" {
					by = "-"
				}
				got = append(got, x.Rule+" "+x.Object+": "+by)
				switch parts := strings.Split(x.Object, "."); {
				case parts[0] == "guests":
					named[parts[1]] = true
				case len(parts) == 4 && parts[2] == "loadBalancingRules":
					rules = append(rules, " "+parts[1]+"/"+parts[3]+" ")
				}
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("lint findings and the cases that failed on them:\n got %q\nwant %q", got, tt.want)
			}
			failed := map[string]bool{}
			for _, c := range rep.Cases {
				for _, m := range c.Members {
					if m.Status != reports.StatusPassed && m.Status != reports.MemberExcluded && m.Status != reports.MemberUntested {
						failed[m.Member] = true
						if slices.ContainsFunc(rules, func(r string) bool { return strings.Contains(m.Rule, r) }) {
							named[m.Member] = true
						}
					}
				}
			}
			if fmt.Sprint(failed) != fmt.Sprint(named) {
				t.Errorf("conform failed on members %v; lint names %v", failed, named)
			}

			fixed := string(src)
			for _, f := range tt.fixes {
				if !strings.Contains(fixed, f[0]) {
					t.Fatalf("fix %q: not in the file", f[0])
				}
				fixed = strings.ReplaceAll(fixed, f[0], f[1])
			}
			rep = conformFile(t, filepath.Join(t.TempDir(), "fixed-"+tt.file), []byte(fixed), exitOK)
			for _, x := range rep.LintFindings {
				t.Errorf("fixed: lint still finds %s on %s: %s", x.Rule, x.Object, x.Message)
			}
		})
	}
}

// conformFile writes src to path, runs conform --config on it and returns
// the report, failing the test unless conform exits with want.
func conformFile(t *testing.T, path string, src []byte, want int) *reports.ConformanceReport {
	t.Helper()
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(path), "report.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"conform", "--config", path, "--json", out}, &stdout, &stderr); code != want {
		t.Fatalf("conform %s: exit %d, want %d\n%s%s", filepath.Base(path), code, want, &stdout, &stderr)
	}
	rep, err := reports.ReadConformance(out)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestConformLintCleanFixtures: every deployment lint accepts passes
// conform. The good fixtures of the data-plane rules (fixtures/lint/LB2*,
// LB3*) run through the generic cases in one run; ProbesAnsweredByMembers,
// which waits for real probe intervals, runs on the probe rules' fixtures.
func TestConformLintCleanFixtures(t *testing.T) {
	labtest.RequireRoot(t)
	files, _ := filepath.Glob("../../fixtures/lint/LB[23]*/good.yaml")
	if len(files) < 10 {
		t.Fatalf("%d good fixtures of LB2xxx/LB3xxx rules", len(files))
	}
	for _, tt := range []struct {
		run   string
		files []string
	}{
		{"^(GuestOutboundFlows|GuestReachesGateway|MemberInRotationUntilProbeFails|RuleDeliversToPool|RuleReplyDirect)$", files},
		{"^ProbesAnsweredByMembers$", []string{"../../fixtures/lint/LB3006/good.yaml", "../../fixtures/lint/LB3009/good.yaml"}},
	} {
		args := []string{"conform", "--run", tt.run}
		for _, f := range tt.files {
			args = append(args, "--config", f)
		}
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitOK {
			t.Errorf("conform --run %s on %d lint-clean fixtures: exit %d\n%s%s", tt.run, len(tt.files), code, &stdout, &stderr)
		}
	}
}

// TestConformReproducesLintFixtures runs conform --config on every bad
// fixture of a data-plane lint rule (fixtures/lint/LB2xxx, LB3xxx): each
// finding lint reports must be reproduced by a failing case, except those
// the rule documents as not observable with packets (lint.Doc.Unobservable),
// which the report then explains.
func TestConformReproducesLintFixtures(t *testing.T) {
	labtest.RequireRoot(t)
	files, _ := filepath.Glob("../../fixtures/lint/LB[23]*/bad.yaml")
	if len(files) < 14 {
		t.Fatalf("%d bad fixtures of LB2xxx/LB3xxx rules", len(files))
	}
	unobservable := map[string]bool{"LB2005 loadBalancers.app-ilb.loadBalancingRules.app-v6": true,
		"LB3003 guests.sql-2.interfaces.Loopback": true, "LB3010 guests.app-1": true}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "report.json")
			var stdout, stderr bytes.Buffer
			run([]string{"conform", "--config", f, "--json", out}, &stdout, &stderr)
			rep, err := reports.ReadConformance(out)
			if err != nil {
				t.Fatalf("%v\n%s%s", err, &stdout, &stderr)
			}
			if len(rep.LintFindings) == 0 {
				t.Errorf("lint found nothing on %s", f)
			}
			for _, x := range rep.LintFindings {
				key := x.Rule + " " + x.Object
				switch {
				case unobservable[key] && (len(x.ReproducedBy) > 0 || x.Unobservable == ""):
					t.Errorf("%s: reproduced by %q, explained %q; want no case and the rule's reason", key, x.ReproducedBy, x.Unobservable)
				case !unobservable[key] && len(x.ReproducedBy) == 0:
					t.Errorf("%s (%s): no case failed on it\n%s", key, x.Message, &stdout)
				}
			}
		})
	}
}

// TestConformSeveralTargets: two --target runs write one report each under
// --report DIR and their comparison beside them, with a column per target.
func TestConformSeveralTargets(t *testing.T) {
	labtest.RequireRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	example, err := filepath.Abs("../../fixtures/targets/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"conform", "--target", "ref", "--target", example, "--run", "^FloatingIPOnDestination$", "--report", out}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitOK, &stdout, &stderr)
	}
	var names []string
	for _, dir := range []string{"1-ref", "2-example"} {
		rep, err := reports.ReadConformance(filepath.Join(out, dir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, rep.Implementation.Name)
	}
	if names[0] != "lbcheck-ref" || names[1] != "lbcheck-ref-as-a-target" {
		t.Errorf("reports of %v, want lbcheck-ref and lbcheck-ref-as-a-target", names)
	}
	page, err := os.ReadFile(filepath.Join(out, "comparison.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range names {
		if !strings.Contains(string(page), s) {
			t.Errorf("comparison.html has no column for %s", s)
		}
	}
	if !strings.Contains(stdout.String(), "comparison: "+filepath.Join(out, "comparison.html")) {
		t.Errorf("stdout does not name the comparison:\n%s", &stdout)
	}
	if code := run([]string{"conform", "--target", "ref", "--target", example, "--json", filepath.Join(out, "x.json")}, &stdout, &stderr); code != exitUsage {
		t.Errorf("--json with two targets: exit %d, want %d", code, exitUsage)
	}
}
