package cases

import (
	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/internal/procnet"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "WindowsNoWeakHostSend",
		Description: "A Windows guest that receives the SYN on the frontend IP, but has weakhostsend enabled nowhere, never lets the SYN-ACK leave the VM.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.GuestOS},
		Expectation: "Strong-host send: a packet with a source address of another interface (the loopback's FIP) may not leave the NIC unless weakhostsend is enabled; the Azure doc enables it on the loopback. The server socket sits in SYN-RECV and nothing appears on the wire.",
		Source:      docFloatingIP,
		Deployment:  "windows.yaml",
		Run: func(t *suite.T) {
			fip := frontendIP(t, "fip-send")
			dropped := hostModelDrops(t, "win-send")
			s := syn(t, fip, 80)
			m := fromClient(s)
			m.Dst, m.DstPort = fip, 80
			vm := t.VM("win-send")
			t.Expect(vm, suite.Step{What: "SYN reaches the VM's NIC", Match: m, Dir: capture.In})
			synAck := suite.Step{What: "the SYN-ACK never leaves the VM", Reply: true,
				Match: pkt.Match{Src: fip, Dst: s.Src}, Dir: capture.Out, Note: "dropped: strong-host send on the NIC"}
			synAck.Timeout = hostModelDropped(t, "win-send", dropped, synAck)
			t.ExpectNone(vm, synAck)
			t.ExpectNone(t.Client(), suite.Step{What: "the client gets no reply", Reply: true, Match: replyTo(s), Timeout: synAck.Timeout})
			state, err := socketState(t, "win-send", ap(fip, 80), ap(s.Src, s.SrcPort))
			if err != nil {
				t.Fatalf("reading the VM's sockets: %v", err)
			}
			if state != procnet.StateSynRecv {
				t.Errorf("the VM's socket for the flow is in state %d, want SYN-RECV (%d): the SYN should have reached the listener", state, procnet.StateSynRecv)
			}
		},
	})
}
