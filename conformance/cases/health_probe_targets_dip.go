package cases

import (
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "HealthProbeTargetsDIP",
		Description: "Health probes reach every pool member from 168.63.129.16 on its DIP and probe port, never on the frontend IP.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.HealthProbe},
		Expectation: "Health probes are always directed to the DIP of a VM, from the Azure infrastructure address 168.63.129.16; a TCP probe is up when the member answers SYN-ACK.",
		Source:      docProbes,
		Deployment:  "probe.yaml",
		Minute:      probeMinute,
		Run: func(t *suite.T) {
			src, fe := netip.MustParseAddr(contract.ProbeSource), frontendIP(t, "fe")
			// The next probe comes within one interval.
			interval, _ := probeTiming(t, 8090)
			wait := interval + t.Timeouts().Deliver
			for _, vm := range []string{"app1", "app2"} {
				probe := pkt.Match{Proto: pkt.TCP, Src: src, Dst: dip(t, vm), DstPort: 8090, Flags: pkt.SYN}
				p := t.Expect(t.VM(vm), suite.Step{What: "a probe SYN reaches " + vm + " on DIP:8090", Match: probe, Dir: capture.In, Timeout: wait})
				if p == nil {
					continue
				}
				ack := pkt.Match{Proto: pkt.TCP, Src: probe.Dst, SrcPort: 8090, Dst: src, DstPort: p.SrcPort, Flags: pkt.SYN | pkt.ACK}
				t.Expect(t.VM(vm), suite.Step{What: vm + " answers the probe (member up)", Reply: true, Match: ack, Dir: capture.Out})
				t.ExpectNone(t.VM(vm), suite.Step{What: "no probe is addressed to the frontend IP", Match: pkt.Match{Src: src, Dst: fe}, Timeout: suite.AfterBarrier})
			}
		},
	})
}
