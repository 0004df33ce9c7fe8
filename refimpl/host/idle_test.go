package host_test

import (
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/host"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
	"github.com/lbcheck/lbcheck/schema"
)

// idleAgent is vm1's agent in f's deployment for rule 0 (Tcp 80 -> 8080, floating off, idle
// 4 minutes), rule 1 (Tcp 81 -> 8081, floating on, idle 4 minutes, TCP
// reset) and rule 2 (Udp 53 -> 5353, idle 4 minutes).
func idleAgent(t *testing.T, f fixture.Family) *host.Agent {
	t.Helper()
	d := f.Deployment(2,
		&schema.Rule{Name: "quiet", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080, IdleTimeoutInMinutes: 4},
		&schema.Rule{Name: "reset", Protocol: "Tcp", FrontendPort: 81, BackendPort: 8081, IdleTimeoutInMinutes: 4, EnableTcpReset: true, EnableFloatingIP: true},
		&schema.Rule{Name: "udp", Protocol: "Udp", FrontendPort: 53, BackendPort: 5353, IdleTimeoutInMinutes: 4},
	)
	set, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	return host.New(set, "vm1", host.Options{})
}

const minute = int64(time.Minute)

// conn drives one TCP connection through the agent: the client's segments
// inbound, the VM's as replies.
type conn struct {
	t                   *testing.T
	f                   fixture.Family
	a                   *host.Agent
	rule                uint16
	local               string // what the VM sees as its address
	fport, bport, cport uint16
	cseq, vseq          uint32 // next sequence number of each side
}

func (c *conn) fromClient(f pkttest.Flags, payload string, now int64) stats.Reason {
	c.t.Helper()
	f.Seq, f.Ack = c.cseq, c.vseq
	_, r := c.a.Inbound(encapsulate(encap.Header{Rule: c.rule, Backend: 1},
		pkttest.TCP(c.t, c.f.Client, c.cport, c.f.FIP, c.fport, f, []byte(payload))), now)
	if r == stats.Delivered {
		c.cseq += uint32(len(payload))
		if f.SYN || f.FIN {
			c.cseq++
		}
	}
	return r
}

func (c *conn) fromVM(f pkttest.Flags, payload string, now int64) stats.Reason {
	c.t.Helper()
	f.Seq, f.Ack = c.vseq, c.cseq
	_, _, r := c.a.Reply(pkttest.TCP(c.t, c.local, c.bport, c.f.Client, c.cport, f, []byte(payload)), now)
	if r == stats.Reply {
		c.vseq += uint32(len(payload))
		if f.SYN || f.FIN {
			c.vseq++
		}
	}
	return r
}

// establish runs the handshake and one exchange at time 0.
func (c *conn) establish() {
	c.t.Helper()
	ack := pkttest.Flags{ACK: true}
	for i, r := range []stats.Reason{
		c.fromClient(syn, "", 0), c.fromVM(synack, "", 0), c.fromClient(ack, "", 0),
		c.fromClient(ack, "hello\n", 0), c.fromVM(ack, "hello\n", 0),
	} {
		if r != stats.Delivered && r != stats.Reply {
			c.t.Fatalf("handshake step %d: %v", i+1, r)
		}
	}
}

func TestIdleTCPFlowEndsSilently(t *testing.T) { fixture.Each(t, testIdleTCPFlowEndsSilently) }

func testIdleTCPFlowEndsSilently(t *testing.T, f fixture.Family) {
	a := idleAgent(t, f)
	c := &conn{t: t, f: f, a: a, rule: 0, local: f.DIP(1), fport: 80, bport: 8080, cport: 40000, cseq: 5000, vseq: 9000}
	c.establish()
	if n, resets := a.ExpireFlows(4 * minute); n != 0 || len(resets) != 0 {
		t.Fatalf("at exactly the idle timeout: %d expired, %d resets", n, len(resets))
	}
	if n, resets := a.ExpireFlows(4*minute + 1); n != 1 || len(resets) != 0 {
		t.Fatalf("past the idle timeout: %d expired, %d resets; want 1 and none (no enableTcpReset)", n, len(resets))
	}
	later := 5 * minute
	if r := c.fromClient(pkttest.Flags{ACK: true}, "again\n", later); r != stats.FlowExpired {
		t.Errorf("f.Client segment after the idle timeout: %v, want flow_expired", r)
	}
	if r := c.fromVM(pkttest.Flags{ACK: true}, "late\n", later); r != stats.FlowExpired {
		t.Errorf("VM segment after the idle timeout: %v, want flow_expired", r)
	}
	// A new connection on the same 5-tuple is a new flow.
	if r := c.fromClient(syn, "", later); r != stats.Delivered {
		t.Errorf("SYN reusing the 5-tuple: %v, want delivered", r)
	}
}

func TestIdleTCPFlowResetAtBothEnds(t *testing.T) { fixture.Each(t, testIdleTCPFlowResetAtBothEnds) }

func testIdleTCPFlowResetAtBothEnds(t *testing.T, f fixture.Family) {
	a := idleAgent(t, f)
	// Initial sequence numbers past 2^31, one about to wrap.
	c := &conn{t: t, f: f, a: a, rule: 1, local: f.FIP, fport: 81, bport: 8081, cport: 40001, cseq: 0xfffffff0, vseq: 0x80000001}
	c.establish()
	_, resets := a.ExpireFlows(4*minute + 1)
	if len(resets) != 2 {
		t.Fatalf("%d resets, want 2 (to the VM and to the f.Client)", len(resets))
	}
	toVM, toClient := resets[0], resets[1]
	if !toVM.ToVM || toClient.ToVM {
		toVM, toClient = toClient, toVM
	}
	check := func(what string, r host.Reset, src string, sport uint16, dst string, dport uint16, seq, ack uint32) {
		t.Helper()
		d := pkttest.Decode(t, r.Packet) // checks both checksums
		if d.TCP == nil || !d.TCP.RST || d.Src().String() != src || uint16(d.TCP.SrcPort) != sport ||
			d.Dst().String() != dst || uint16(d.TCP.DstPort) != dport || d.TCP.Seq != seq || d.TCP.Ack != ack {
			t.Errorf("%s: got %v:%v -> %v:%v seq %d ack %d, want RST %s:%d -> %s:%d seq %d ack %d", what,
				d.Src(), d.TCP.SrcPort, d.Dst(), d.TCP.DstPort, d.TCP.Seq, d.TCP.Ack, src, sport, dst, dport, seq, ack)
		}
	}
	// Each reset carries the sequence number its receiver expects next.
	check("reset to the VM", toVM, f.Client, c.cport, f.FIP, 8081, c.cseq, c.vseq)
	check("reset to the f.Client", toClient, f.FIP, 81, f.Client, c.cport, c.vseq, c.cseq)
	if toClient.Dst != pkttest.Addr(f.Client) {
		t.Errorf("reset to the f.Client sent to %v", toClient.Dst)
	}
	if _, again := a.ExpireFlows(5 * minute); len(again) != 0 {
		t.Errorf("%d more resets for a flow already reset", len(again))
	}
}

func TestIdleResetOnlyForEstablished(t *testing.T) { fixture.Each(t, testIdleResetOnlyForEstablished) }

func testIdleResetOnlyForEstablished(t *testing.T, f fixture.Family) {
	for _, tt := range []struct {
		name string
		run  func(c *conn)
	}{
		{"half open (no ACK from the f.Client)", func(c *conn) {
			c.fromClient(syn, "", 0)
			c.fromVM(synack, "", 0)
		}},
		{"closed by FIN", func(c *conn) {
			c.establish()
			c.fromClient(pkttest.Flags{FIN: true, ACK: true}, "", 0)
			c.fromVM(pkttest.Flags{FIN: true, ACK: true}, "", 0)
			c.fromClient(pkttest.Flags{ACK: true}, "", 0)
		}},
		{"reset by the VM", func(c *conn) {
			c.establish()
			c.fromVM(pkttest.Flags{RST: true}, "", 0)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := idleAgent(t, f)
			tt.run(&conn{t: t, f: f, a: a, rule: 1, local: f.FIP, fport: 81, bport: 8081, cport: 40002, cseq: 1, vseq: 2})
			if n, resets := a.ExpireFlows(4*minute + 1); n != 1 || len(resets) != 0 {
				t.Errorf("%d expired, %d resets; want 1 and none", n, len(resets))
			}
		})
	}
}

// TestUDPIgnoresRuleIdleTimeout: Azure applies idleTimeoutInMinutes to TCP
// only; a UDP flow's replies still go out after longer silences.
func TestUDPIgnoresRuleIdleTimeout(t *testing.T) { fixture.Each(t, testUDPIgnoresRuleIdleTimeout) }

func testUDPIgnoresRuleIdleTimeout(t *testing.T, f fixture.Family) {
	a := idleAgent(t, f)
	if _, r := a.Inbound(encapsulate(encap.Header{Rule: 2, Backend: 1}, pkttest.UDP(t, f.Client, 5000, f.FIP, 53, []byte("q"))), 0); r != stats.Delivered {
		t.Fatalf("datagram: %v", r)
	}
	a.ExpireFlows(10 * minute)
	if _, _, r := a.Reply(pkttest.UDP(t, f.DIP(1), 5353, f.Client, 5000, []byte("a")), 10*minute); r != stats.Reply {
		t.Errorf("UDP reply after 10 minutes of silence: %v, want reply", r)
	}
	a.ExpireFlows(10*minute + int64(ruleset.UDPIdle) + 1)
	if _, _, r := a.Reply(pkttest.UDP(t, f.DIP(1), 5353, f.Client, 5000, []byte("a")), 10*minute+int64(ruleset.UDPIdle)+1); r != stats.FlowExpired {
		t.Errorf("UDP reply after ruleset.UDPIdle of silence: %v, want flow_expired", r)
	}
}
