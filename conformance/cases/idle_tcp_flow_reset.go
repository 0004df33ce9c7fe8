package cases

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/internal/procnet"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "IdleTCPFlowReset",
		Description: "With enableTcpReset, an ESTABLISHED TCP connection reaching its idle timeout is reset at both ends, with sequence numbers both stacks accept; a connection already closed gets no reset.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.IdleTimeout, features.TCPReset, features.FloatingIP},
		Expectation: "With TCP reset enabled the load balancer sends bidirectional TCP resets to the client and server endpoints at the time of idle timeout, for TCP connections in the ESTABLISHED state only.",
		Source:      docTCPReset,
		Deployment:  "idle.yaml",
		Isolated:    true, // waits long: runs beside the fixture's other cases
		Minute:      idleMinute,
		Catches:     []string{"tcp-reset-ignored", "tcp-reset-any-state", "tcp-reset-wrong-seq"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe")
			local := ap(fe, 8081) // Floating IP: the VM's end of the connection
			open := func(what string) (net.Conn, netip.AddrPort) {
				conn, err := t.DialTCP(ap(fe, 81), exchangeTimeout)
				if err != nil {
					t.Fatalf("real TCP connection to %s:81: %v", fe, err)
				}
				if _, err := lineExchange(conn, what); err != nil {
					t.Fatalf("exchange on the %s connection: %v", what, err)
				}
				return conn, conn.LocalAddr().(*net.TCPAddr).AddrPort()
			}
			closed, closedPort := open("closed")
			closed.Close()
			idle := idleTimeout(t, "reset")
			awaitSocketState(t, "app", local, closedPort, func(s int) bool { return s != procnet.StateEstablished }, idle,
				"the VM's end of the closed connection leaves ESTABLISHED")
			conn, client := open("established")
			last := time.Now()
			if s, err := socketState(t, "app", local, client); err != nil || s != procnet.StateEstablished {
				t.Fatalf("the VM's socket %v <-> %v is in state %#x (%v), want ESTABLISHED", local, client, s, err)
			}
			t.Drain()

			// The client's socket learns of the reset: a read fails.
			if err := conn.SetReadDeadline(last.Add(3 * idle)); err != nil {
				t.Fatalf("%v", err)
			}
			_, err := conn.Read(make([]byte, 64))
			after := time.Since(last)
			switch {
			case errors.Is(err, syscall.ECONNRESET):
				t.Logf("client connection %v reset after %v idle (idle timeout %v)", client, after.Round(time.Millisecond), idle)
				if after < idle-idle/10 {
					t.Errorf("the reset came after %v idle, before the idle timeout of %v", after.Round(time.Millisecond), idle)
				}
			case err == nil:
				t.Errorf("the idle connection %v received data instead of a reset", client)
			default:
				t.Errorf("the client's idle connection %v was not reset within %v (3 idle timeouts): %v", client, 3*idle, err)
			}
			t.Expect(t.Client(), suite.Step{What: "a reset reaches the client from the frontend", Reply: true,
				Match: pkt.Match{Proto: pkt.TCP, Src: fe, SrcPort: 81, Dst: client.Addr(), DstPort: client.Port(), Has: pkt.RST}, Dir: capture.In, Timeout: idle})
			t.Expect(t.VM("app"), suite.Step{What: "a reset reaches the VM from the client, to " + local.String(),
				Match: pkt.Match{Proto: pkt.TCP, Src: client.Addr(), SrcPort: client.Port(), Dst: local.Addr(), DstPort: local.Port(), Has: pkt.RST}, Dir: capture.In, Timeout: idle})
			// The VM's stack accepted its reset: the socket is gone.
			awaitSocketState(t, "app", local, client, func(s int) bool { return s == 0 }, idle,
				"the VM's socket is closed by the reset (a reset with a sequence number outside the window is ignored)")
			t.ExpectNone(t.Client(), suite.Step{What: "the connection closed before the idle timeout gets no reset", Reply: true,
				Match: pkt.Match{Proto: pkt.TCP, Src: fe, SrcPort: 81, Dst: closedPort.Addr(), DstPort: closedPort.Port(), Has: pkt.RST}, Dir: capture.In, Timeout: idle / 20})
		},
	})
}

// awaitSocketState polls the state of the VM's TCP socket local <-> remote
// (0: none) until ok accepts it or timeout passes, and fails the case then.
func awaitSocketState(t *suite.T, vm string, local, remote netip.AddrPort, ok func(state int) bool, timeout time.Duration, what string) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := socketState(t, vm, local, remote)
		switch {
		case err != nil:
			t.Fatalf("%s: reading the VM's sockets: %v", what, err)
		case ok(s):
			return
		case time.Now().After(deadline):
			t.Errorf("%s: the socket %v <-> %v is still in state %#x after %v", what, local, remote, s, timeout)
			return
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		}
	}
}
