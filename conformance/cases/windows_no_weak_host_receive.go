package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "WindowsNoWeakHostReceive",
		Description: "A Windows guest holding the frontend IP on its loopback, but without weakhostreceive on the NIC, silently discards the SYN.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.GuestOS},
		Expectation: "Windows is a strong host: a packet for an address of another interface is discarded unless the receiving interface has weakhostreceive enabled; the Azure doc requires it on the NIC. No SYN-ACK and no RST reach the client.",
		Source:      docFloatingIP,
		Deployment:  "windows.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fip-recv")
			dropped := hostModelDrops(t, "win-recv")
			s := syn(t, fip, 80)
			m := fromClient(s)
			m.Dst, m.DstPort = fip, 80
			vm := t.VM("win-recv")
			t.Expect(vm, suite.Step{What: "SYN reaches the VM's NIC", Match: m, Dir: capture.In})
			back := suite.Step{What: "the VM sends nothing back (strong-host receive)", Reply: true,
				Match: pkt.Match{Dst: s.Src}, Note: "dropped: strong-host receive on the NIC"}
			back.Timeout = hostModelDropped(t, "win-recv", dropped, back)
			t.ExpectNone(vm, back)
			t.ExpectNone(t.Client(), suite.Step{What: "the client gets neither SYN-ACK nor RST", Reply: true, Match: replyTo(s), Timeout: back.Timeout})
			state, err := socketState(t, "win-recv", ap(fip, 80), ap(s.Src, s.SrcPort))
			if err != nil {
				t.Fatalf("reading the VM's sockets: %v", err)
			}
			if state != 0 {
				t.Errorf("the VM's TCP stack accepted the SYN (socket state %d): the NIC behaved as weak-host receive", state)
			}
		},
	})
}
