package cases

import (
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "StickinessPerMode",
		Description: "Each load distribution mode keeps its affinity: Default per 5-tuple, SourceIP per client IP across ports and protocols, SourceIPProtocol per client IP and protocol.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.LoadDistribution, features.SessionPersistence},
		Expectation: "Default: packets of one 5-tuple always reach the same backend. SourceIP: the same (client IP, frontend) reaches the same backend whatever the ports and protocol. SourceIPProtocol: the same (client IP, frontend, protocol).",
		Source:      docDistMode,
		Deployment:  "distribution.yaml",
		Run: func(t *suite.T) {
			pool := t.VMs("be1", "be2", "be3")
			sticky := func(mode string, want *string, got string) {
				switch {
				case got == "":
				case *want == "":
					*want = got
				case got != *want:
					t.Errorf("%s: a flow went to %s, want %s like the previous ones", mode, got, *want)
				}
			}

			// Default: the same 5-tuple (a retransmitted SYN) sticks.
			def := frontendIP(t, "fe-default")
			port := t.SrcPort()
			var first string
			for i := range 3 {
				got := backendOf(t, pool, pkt.Spec{Dst: def, DstPort: 80, SrcPort: port, Seq: uint32(1000 + i)}, 8080, "Default: same 5-tuple, same backend")
				sticky("Default", &first, got)
			}

			// SourceIP: new source ports and both protocols stick.
			sip := frontendIP(t, "fe-sourceip")
			var bySource string
			for i := range 8 {
				proto := pkt.TCP
				if i%2 == 1 {
					proto = pkt.UDP
				}
				got := backendOf(t, pool, pkt.Spec{Proto: proto, Dst: sip, DstPort: 80, Payload: payloadFor(proto)}, 8081, "SourceIP: "+proto+" from a new port, same backend")
				sticky("SourceIP", &bySource, got)
			}

			// SourceIPProtocol: new source ports stick per protocol.
			sipp := frontendIP(t, "fe-sourceipproto")
			for _, proto := range []string{pkt.TCP, pkt.UDP} {
				var byProto string
				for range 4 {
					got := backendOf(t, pool, pkt.Spec{Proto: proto, Dst: sipp, DstPort: 80, Payload: payloadFor(proto)}, 8082, "SourceIPProtocol: "+proto+" from a new port, same backend")
					sticky("SourceIPProtocol/"+proto, &byProto, got)
				}
			}
		},
	})
}
