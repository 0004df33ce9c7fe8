package cases

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "ProbesAnsweredByMembers",
		Description: "For every load-balancing rule with a health probe, each pool member the rule sends flows receives the probe from 168.63.129.16 on its DIP and probe port and accepts it (SYN-ACK), so the member stays in rotation.",
		Profile:     suite.Core,
		Features:    []features.Name{features.HealthProbe},
		Expectation: "Health probes come from 168.63.129.16 to DIP:probePort; a member whose probe is refused or dropped (no service on the probe port, a firewall that blocks 168.63.129.16) is marked down and gets no new flows.",
		Source:      docProbes,
		Catches:     []string{"probe-source-not-platform", "probe-wrong-port"},
		Budget: func(d *schema.Deployment, to target.Timeouts) time.Duration {
			targets, wait := probeTargets(view.Resolve(d), func(string) bool { return true })
			return wait + time.Duration(len(targets)+1)*to.Deliver
		},
		Run: func(t *suite.T) {
			targets, interval := probeTargets(view.Resolve(t.Deployment()), func(vm string) bool { return t.Config().HostForVM(vm) != nil })
			wait := t.Config().Scaled(interval) + t.Timeouts().Deliver
			if len(targets) == 0 {
				t.Skipf("no load-balancing rule of the deployment has a health probe on a hosted member")
			}
			src := netip.MustParseAddr(contract.ProbeSource)
			// Captures keep what arrived since the case began: the first
			// wait covers one interval of every probe, later ones find
			// their probe already there.
			deadline := time.Now().Add(wait)
			for _, p := range targets {
				if t.Context().Err() != nil {
					return
				}
				what := fmt.Sprintf("probe %s/%s (%s %d)", p.lb, p.probe.Name, p.probe.Protocol, p.probe.Port)
				in := pkt.Match{Proto: pkt.TCP, Src: src, Dst: p.dip, DstPort: uint16(p.probe.Port), Flags: pkt.SYN}
				syn := t.Expect(t.VM(p.vm), suite.Step{What: what + " reaches " + p.vm + " on " + p.dip.String(), Match: in, Dir: capture.In,
					Timeout: max(time.Until(deadline), t.Timeouts().Deliver)})
				if syn == nil {
					t.Member(what, p.vm, reports.StatusFailed, "no probe arrived")
					continue
				}
				ack := pkt.Match{Proto: pkt.TCP, Src: p.dip, SrcPort: uint16(p.probe.Port), Dst: src, DstPort: syn.SrcPort, Flags: pkt.SYN | pkt.ACK}
				if t.Expect(t.VM(p.vm), suite.Step{What: p.vm + " accepts " + what + " (SYN-ACK): the member stays up", Reply: true, Match: ack, Dir: capture.Out}) == nil {
					t.Member(what, p.vm, reports.StatusFailed, "the probe was refused or dropped: the member goes down")
					continue
				}
				t.Member(what, p.vm, reports.StatusPassed, p.dip.String())
			}
		},
	})
}

// probeTarget is one probe aimed at one member's DIP.
type probeTarget struct {
	lb    string
	probe *schema.Probe
	vm    string
	dip   netip.Addr
}

// probeTargets lists, once each, the probes of v's load-balancing rules
// and the IPv4 DIPs of their members that get flows on VMs hosted says
// are in the topology, and the longest probe interval: with the deliver
// timeout, how long the first probe can take to arrive.
func probeTargets(v *view.View, hosted func(vm string) bool) ([]probeTarget, time.Duration) {
	type key struct {
		probe *schema.Probe
		dip   netip.Addr
	}
	seen := map[key]bool{}
	var out []probeTarget
	var wait time.Duration
	for _, b := range v.Bindings {
		if b.Probe == nil {
			continue
		}
		for _, d := range b.Deliveries {
			k := key{b.Probe, d.DIP}
			if d.Excluded != "" || !d.DIP.Is4() || !hosted(d.VM.Name) || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, probeTarget{lb: b.LB.Name, probe: b.Probe, vm: d.VM.Name, dip: d.DIP})
			wait = max(wait, time.Duration(b.Probe.IntervalInSeconds)*time.Second)
		}
	}
	return out, wait
}
