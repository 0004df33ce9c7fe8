package cases

import (
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "UDPIgnoresIdleTimeout",
		Description: "A UDP flow silent for longer than its rule's idle timeout still works: the backend's next datagram reaches the client from the frontend.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.IdleTimeout, features.UDP},
		Expectation: "The idle timeout applies to TCP flows only: a UDP rule has no idle timeout, so a UDP flow's replies keep their frontend address after any silence.",
		Source:      docTCPReset,
		Deployment:  "idle.yaml",
		Isolated:    true, // waits long: runs beside the fixture's other cases
		Minute:      idleMinute,
		Catches:     []string{"udp-idle-timeout-applied"},
		Run: func(t *suite.T) {
			fe, vmDIP := frontendIP(t, "fe"), dip(t, "app")
			id := udpExchange(t, ap(fe, 53))
			last := time.Now()
			client := id.Remote
			idle := idleTimeout(t, "dns")
			waitPastIdle(t, last, idle)
			t.Logf("UDP flow %v silent for %v (the rule's idle timeout: %v)", client, time.Since(last).Round(time.Millisecond), idle)
			t.SendFromVM("app", pkt.Spec{Proto: pkt.UDP, Src: vmDIP, SrcPort: 5353, Dst: client.Addr(), DstPort: client.Port(), Payload: []byte("after the silence")})
			t.Expect(t.Client(), suite.Step{What: "the backend's datagram reaches the client from " + ap(fe, 53).String(), Reply: true,
				Match: pkt.Match{Proto: pkt.UDP, Src: fe, SrcPort: 53, Dst: client.Addr(), DstPort: client.Port(), Payload: "after the silence"}, Dir: capture.In})
		},
	})
}
