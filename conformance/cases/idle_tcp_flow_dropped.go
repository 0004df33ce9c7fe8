package cases

import (
	"net"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "IdleTCPFlowDropped",
		Description: "A TCP connection idle for longer than its rule's idle timeout (no TCP reset) is over: later segments from either end are dropped silently, and nobody gets a reset.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.IdleTimeout},
		Expectation: "By default the load balancer silently drops flows when the idle timeout of a flow is reached; after that the client's segments reach no backend and the backend's reach no client.",
		Source:      docTCPReset,
		Deployment:  "idle.yaml",
		Isolated:    true, // waits long: runs beside the fixture's other cases
		Minute:      idleMinute,
		Catches:     []string{"idle-timeout-ignored", "expired-flows-forgotten"},
		Run: func(t *suite.T) {
			fe, vmDIP := frontendIP(t, "fe"), dip(t, "app")
			conn, err := t.DialTCP(ap(fe, 80), exchangeTimeout)
			if err != nil {
				t.Fatalf("real TCP connection to %s:80: %v", fe, err)
			}
			if _, err := lineExchange(conn, "before the idle timeout"); err != nil {
				t.Fatalf("exchange on the new connection: %v", err)
			}
			last := time.Now()
			client := conn.LocalAddr().(*net.TCPAddr).AddrPort()
			t.Drain()
			idle := idleTimeout(t, "quiet")
			waitPastIdle(t, last, idle)
			t.Logf("connection %v idle for %v (idle timeout %v)", client, time.Since(last).Round(time.Millisecond), idle)

			if _, err := conn.Write([]byte("after the idle timeout\n")); err != nil {
				t.Fatalf("client write: %v", err)
			}
			t.SendFromVM("app", pkt.Spec{Proto: pkt.TCP, Src: vmDIP, SrcPort: 8080, Dst: client.Addr(), DstPort: client.Port(),
				Flags: pkt.ACK | pkt.PSH, Seq: 1, Ack: 1, Payload: []byte("late answer")})
			// A new connection of the rule, to the same VM, closes the checks
			// below both ways: its SYN reaches the VM after the client's
			// segment, its SYN-ACK the client after the VM's.
			tcpExchange(t, ap(fe, 80))
			data := pkt.Match{Proto: pkt.TCP, Src: client.Addr(), SrcPort: client.Port(), Dst: vmDIP, DstPort: 8080, Payload: "after the idle timeout"}
			late := pkt.Match{Proto: pkt.TCP, Dst: client.Addr(), DstPort: client.Port(), Payload: "late answer"}
			t.ExpectNone(t.VM("app"), suite.Step{What: "the client's segment after the idle timeout does not reach the VM", Match: data, Dir: capture.In, Timeout: suite.AfterBarrier})
			t.ExpectNone(t.Client(), suite.Step{What: "the VM's segment after the idle timeout does not reach the client", Reply: true, Match: late, Dir: capture.In, Timeout: suite.AfterBarrier})
			// Frames since the Drain count: a reset sent at the idle timeout was seen.
			data.Payload, late.Payload = "", ""
			data.Has, late.Has = pkt.RST, pkt.RST
			t.ExpectNone(t.VM("app"), suite.Step{What: "no reset reaches the VM (no enableTcpReset)", Match: data, Dir: capture.In, Timeout: suite.AfterBarrier})
			t.ExpectNone(t.Client(), suite.Step{What: "no reset reaches the client (no enableTcpReset)", Reply: true, Match: late, Dir: capture.In, Timeout: suite.AfterBarrier})
		},
	})
}
