package agent_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/refimpl/agent"
	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/schema"
)

// TestForgedControlMessages: the roles take control datagrams only from the
// peers the config names. A client floods the mux's control port with
// health reports marking every backend down and host 1's encapsulation port
// with encapsulated packets; a process on host 0's address and encapPort
// (host 0 runs no agent here) reports vm1 down, which only host 1 may do.
// None of it changes a member's health, each datagram is counted as
// foreign_sender and the log holds a line per second, not per datagram. Then
// vm1 really fails its probe and host 1's report takes it down.
func TestForgedControlMessages(t *testing.T) {
	d := fixture.Deployment(2, &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080})
	d.LoadBalancers[0].Probes[0].IntervalInSeconds = 1
	d.LoadBalancers[0].Probes[0].ProbeThreshold = 1
	tp := buildTopo(t, d)
	serveEcho(t, tp.vms[0], fixture.DIP(0)+":8080")
	var vm1Probe net.Listener
	must(t, tp.vms[1].Do(func() (err error) { vm1Probe, err = net.Listen("tcp4", fixture.DIP(1)+":8080"); return err }))
	defer vm1Probe.Close()
	go func() { // accept and close: the probe is a TCP connect
		for {
			c, err := vm1Probe.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	mux := tp.start(t, tp.mux, contract.EnvRole+"=mux", contract.EnvIface+"=eth0")
	host1 := tp.start(t, tp.hosts[1], contract.EnvRole+"=host", contract.EnvIface+"=eth0", contract.EnvVMIface+"=vm0", contract.EnvHostIndex+"=1")
	if !waitFor(func() bool { return mux.liveCounters()["health_reports"] > 0 }, 10*time.Second) {
		t.Fatalf("no health report from host 1; mux counters %v\n%s", mux.liveCounters(), host1.stderr)
	}

	const forged = 200
	muxCtl := fmt.Sprintf("%s:%d", muxAddr, ctrlPort)
	send := func(ns *netlab.NS, laddr, to string, msgs ...[]byte) {
		t.Helper()
		var c *net.UDPConn
		must(t, ns.Do(func() error {
			l, err := net.ResolveUDPAddr("udp4", laddr)
			if err != nil {
				return err
			}
			r, err := net.ResolveUDPAddr("udp4", to)
			if err != nil {
				return err
			}
			c, err = net.DialUDP("udp4", l, r)
			return err
		}))
		defer c.Close()
		for _, m := range msgs {
			if _, err := c.Write(m); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Microsecond) // stay within the socket buffers
		}
	}
	down := func(host, vm int) []byte {
		return agent.HealthReport{V: agent.ControlVersion, Host: host, Probe: "lb/p/" + fixture.DIP(vm), Up: false}.Marshal()
	}
	var reports [][]byte
	for i := range forged {
		reports = append(reports, down(i%2, i%2))
	}
	send(tp.client, clientAddr+":0", muxCtl, reports...)
	send(tp.hosts[0], fmt.Sprintf("%s:%d", hostAddr(0), encapPort), muxCtl, down(1, 1))
	pkt := make([]byte, encap.HeaderLen+20)
	encap.Put(pkt, encap.Header{Rule: 0, Backend: 1})
	send(tp.client, clientAddr+":0", fmt.Sprintf("%s:%d", hostAddr(1), encapPort), pkt, pkt, pkt)

	if !waitFor(func() bool { return mux.liveCounters()["foreign_sender"] >= forged+1 }, 5*time.Second) {
		t.Fatalf("mux counted %d foreign senders, want %d: %v", mux.liveCounters()["foreign_sender"], forged+1, mux.liveCounters())
	}
	if c := mux.liveCounters(); c["health_changes"] != 0 {
		t.Fatalf("forged reports changed a member's health: %v\n%s", c, mux.stderr)
	}

	vm1Probe.Close() // a real failure, reported by the real host 1
	if !waitFor(func() bool { return mux.liveCounters()["health_changes"] == 1 }, 10*time.Second) {
		t.Fatalf("host 1's report of vm1 down had no effect: mux %v host 1 %v", mux.liveCounters(), host1.liveCounters())
	}
	mux.stop(t)
	host1.stop(t)
	mc, hc := mux.finalCounters(t), host1.finalCounters(t)
	if mc["foreign_sender"] != forged+1 || mc["control_errors"] != 0 || mc["health_changes"] != 1 {
		t.Errorf("mux counters %v: want foreign_sender %d, control_errors 0, health_changes 1", mc, forged+1)
	}
	if hc["foreign_sender"] != 3 || hc["delivered"] != 0 || hc["encap_errors"] != 0 {
		t.Errorf("host 1 counters %v: want foreign_sender 3, nothing delivered", hc)
	}
	log := mux.stderr.String()
	// Flooded well within a second or two: the first line, at most one more,
	// and the count of the rest at exit.
	if n := strings.Count(log, "not a host agent of the target config"); n < 1 || n > 2 {
		t.Errorf("%d log lines for the %d forged reports, want 1 or 2:\n%s", n, forged, log)
	}
	for _, w := range []string{"report on probe lb/p/" + fixture.DIP(1) + " of VM vm1 dropped", "more lines like this left out since"} {
		if !strings.Contains(log, w) {
			t.Errorf("mux log lacks %q:\n%s", w, log)
		}
	}
}
