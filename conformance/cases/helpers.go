package cases

import (
	"bufio"
	"cmp"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/schema"
)

// Documentation the cases cite.
const (
	docMultiVIP   = "https://learn.microsoft.com/azure/load-balancer/load-balancer-multivip-overview"
	docFloatingIP = "https://learn.microsoft.com/azure/load-balancer/load-balancer-floating-ip"
	docHAPorts    = "https://learn.microsoft.com/azure/load-balancer/load-balancer-ha-ports-overview"
	docDistMode   = "https://learn.microsoft.com/azure/load-balancer/distribution-mode-concepts"
	docProbes     = "https://learn.microsoft.com/azure/load-balancer/load-balancer-custom-probe-overview"
	docConcepts   = "https://learn.microsoft.com/azure/load-balancer/concepts"
	docRFC1122    = "https://www.rfc-editor.org/rfc/rfc1122#section-3.3.4.2"
	docFibLocal   = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/net/ipv4/fib_frontend.c"
	docTCPReset   = "https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset"
)

// probeMinute is how long one minute of the probe fixtures' time lasts for
// the target (suite.Case.Minute): their 5-second probe intervals pass in
// half a second, and their 4-minute idle timeouts in 24 s, longer than
// any of their cases.
const probeMinute = 6 * time.Second

// idleMinute is how long one minute of idle.yaml's idle timeouts lasts
// for the target (suite.Case.Minute): its 4-minute timeouts pass in 1 s.
const idleMinute = 250 * time.Millisecond

// idleTimeout returns the idle timeout of the named load-balancing rule as
// the target counts it (idleTimeoutInMinutes, default 4, times the
// deployment's minute).
func idleTimeout(t *suite.T, rule string) time.Duration {
	for _, lb := range t.Deployment().LoadBalancers {
		for _, r := range lb.LoadBalancingRules {
			if r.Name == rule {
				return time.Duration(cmp.Or(r.IdleTimeoutInMinutes, 4)) * t.Config().Minute()
			}
		}
	}
	t.Fatalf("deployment has no load-balancing rule %q", rule)
	return 0
}

// waitPastIdle waits until a flow last used at last has been idle for half
// as long again as timeout: an implementation expiring flows on a timer
// has done so by then.
func waitPastIdle(t *suite.T, last time.Time, timeout time.Duration) {
	select {
	case <-time.After(time.Until(last.Add(timeout + timeout/2))):
	case <-t.Context().Done():
		t.Fatalf("waiting out the idle timeout: %v", t.Context().Err())
	}
}

// exchangeTimeout bounds one real request/response with a responder.
const exchangeTimeout = 3 * time.Second

// frontendIP returns the address of the named frontend (of any load
// balancer), stopping the case if there is none.
func frontendIP(t *suite.T, name string) netip.Addr {
	for _, lb := range t.Deployment().LoadBalancers {
		if f := lb.Frontend(name); f != nil {
			a, err := netip.ParseAddr(f.IPAddress)
			if err != nil {
				t.Fatalf("frontend %s: %v", name, err)
			}
			return a
		}
	}
	t.Fatalf("deployment has no frontend %q", name)
	return netip.Addr{}
}

// dip returns the primary DIP of the named VM as the topology configured it.
func dip(t *suite.T, vm string) netip.Addr {
	h := t.Config().HostForVM(vm)
	if h == nil || len(h.VM.DIPs) == 0 {
		t.Fatalf("topology has no VM %q with an address", vm)
	}
	a, err := netip.ParseAddr(h.VM.DIPs[0])
	if err != nil {
		t.Fatalf("VM %s DIP: %v", vm, err)
	}
	return a
}

// gateway returns the named VM's default gateway.
func gateway(t *suite.T, vm string) netip.Addr {
	h := t.Config().HostForVM(vm)
	if h == nil {
		t.Fatalf("topology has no VM %q", vm)
	}
	a, err := netip.ParseAddr(h.Gateway)
	if err != nil {
		t.Fatalf("VM %s gateway: %v", vm, err)
	}
	return a
}

// syn sends a crafted TCP SYN from the client to dst:port and returns it.
func syn(t *suite.T, dst netip.Addr, port uint16) pkt.Spec {
	return t.Send(pkt.Spec{Proto: pkt.TCP, Dst: dst, DstPort: port})
}

// request is the part of a sent packet that the backend must see unchanged:
// the client's address and port.
func fromClient(s pkt.Spec) pkt.Match {
	return pkt.Match{Proto: s.Proto, Src: s.Src, SrcPort: s.SrcPort}
}

// toBackend matches sent as a member receives it: from the client, on the
// rule's backend port bport.
func toBackend(sent pkt.Spec, bport uint16) pkt.Match {
	m := fromClient(sent)
	m.DstPort = bport
	return m
}

// replyTo matches the reply the client must get for s from frontend:fport.
func replyTo(s pkt.Spec) pkt.Match {
	return pkt.Match{Proto: s.Proto, Src: s.Dst, SrcPort: s.DstPort, Dst: s.Src, DstPort: s.SrcPort}
}

// tcpExchange opens a real TCP connection from the client, sends one line
// and returns who answered. Failures stop the case.
func tcpExchange(t *suite.T, dst netip.AddrPort) guest.Ident {
	conn, err := t.DialTCP(dst, exchangeTimeout)
	if err != nil {
		t.Fatalf("real TCP connection to %s: %v", dst, err)
	}
	id, err := lineExchange(conn, "hello "+t.Name())
	if err != nil {
		t.Fatalf("TCP exchange with %s: %v", dst, err)
	}
	return id
}

// conn is the part of net.Conn lineExchange needs.
type conn interface {
	Write(b []byte) (int, error)
	Read(b []byte) (int, error)
	SetDeadline(t time.Time) error
}

// lineExchange writes one line on an open TCP connection and reads the echo
// and the responder's ident line.
func lineExchange(c conn, line string) (guest.Ident, error) {
	if err := c.SetDeadline(time.Now().Add(exchangeTimeout)); err != nil {
		return guest.Ident{}, err
	}
	if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
		return guest.Ident{}, fmt.Errorf("sending: %w", err)
	}
	r := bufio.NewReader(c)
	echo, err := r.ReadString('\n')
	if err != nil {
		return guest.Ident{}, fmt.Errorf("reading the echo: %w", err)
	}
	if strings.TrimSuffix(echo, "\n") != line {
		return guest.Ident{}, fmt.Errorf("echo %q, want %q", echo, line)
	}
	ident, err := r.ReadString('\n')
	if err != nil {
		return guest.Ident{}, fmt.Errorf("reading the ident line: %w", err)
	}
	return guest.ParseIdent(ident)
}

// udpExchange sends one datagram from the client and returns who answered.
// The socket is connected, so the answer came from dst (frontendIP:port).
func udpExchange(t *suite.T, dst netip.AddrPort) guest.Ident {
	c, err := t.DialUDP(dst)
	if err != nil {
		t.Fatalf("UDP socket to %s: %v", dst, err)
	}
	if err := c.SetDeadline(time.Now().Add(exchangeTimeout)); err != nil {
		t.Fatalf("%v", err)
	}
	if _, err := c.Write([]byte("hello " + t.Name())); err != nil {
		t.Fatalf("UDP send to %s: %v", dst, err)
	}
	buf := make([]byte, 2048)
	n, err := c.Read(buf) // a connected socket only returns datagrams from dst
	if err != nil {
		t.Fatalf("no UDP answer from %s: %v", dst, err)
	}
	_, id, err := guest.ParseReply(buf[:n])
	if err != nil {
		t.Fatalf("UDP answer from %s: %v", dst, err)
	}
	return id
}

// checkIdent compares what the responder saw with what the case expects.
func checkIdent(t *suite.T, what string, got guest.Ident, vm string, local netip.AddrPort, remote netip.Addr) {
	switch {
	case vm != "" && got.VM != vm:
		t.Errorf("%s: answered by VM %s, want %s", what, got.VM, vm)
	case got.Local != local:
		t.Errorf("%s: VM %s saw destination %s, want %s", what, got.VM, got.Local, local)
	case got.Remote.Addr() != remote:
		t.Errorf("%s: VM %s saw source %s, want the client %s", what, got.VM, got.Remote, remote)
	default:
		t.Logf("%s: %s", what, got)
	}
}

// poolVMs returns the VM names of a rule's backend pool.
func poolVMs(lb *schema.LoadBalancer, r *schema.Rule) []string {
	p := lb.Pool(r.BackendAddressPool)
	if p == nil {
		return nil
	}
	var vms []string
	for _, m := range p.Members {
		vms = append(vms, m.VM)
	}
	return vms
}

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

func itoa(n int) string { return fmt.Sprint(n) }
