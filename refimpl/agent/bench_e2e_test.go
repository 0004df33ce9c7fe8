package agent_test

import (
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/schema"
)

const (
	benchPort    = 9000
	maxBenchPkts = 500000          // per run, whatever b.N asks
	maxBenchTime = 5 * time.Second // per run
)

// BenchmarkForwardPPS sends UDP from the client to FIP:9000 and counts what
// reaches a socket in the VM, through three data planes on the same veth
// topology: the reference forwarder (mux + host agent, Floating IP off, VM
// sees DIP:9000), the kernel forwarding the same packets (ip_forward=1 in
// mux and host, VM has the FIP), and the kernel with an nftables DNAT rule
// FIP:9000 -> DIP:9000 in the host. Reported: delivered packets per second
// and the share lost. Senders are bounded by count and time.
//
// The three planes get the same traffic and the same arithmetic: one flow
// of 64-byte datagrams, min(b.N, maxBenchPkts) of them in at most
// maxBenchTime, after the same warm-up; pkts/s is what the VM's socket
// received divided by the time from the first send to the last arrival (a
// backlog drained after the sender stopped counts, at its real pace);
// %lost is (sent - received) / sent. The sender is not paced, which is the
// same for all but does not offer the same rate: a kernel plane forwards
// inside the sender's own send (veth hands the packet on in the sending
// thread's softirq, all the way to the VM's socket), so the sender cannot
// outrun it, while the forwarder's processes take packets from socket
// queues and compete with the sender for the two CPUs. Its loss is
// therefore queue overflow during a burst the forwarder is slower than:
// it depends on the burst length (use -benchtime 300000x or 500000x to
// compare runs) and on the socket buffers (netio.BufferSize). The refimpl
// round logs where packets went (mux and host counters) to locate loss.
func BenchmarkForwardPPS(b *testing.B) {
	d := fixture.Deployment(1, &schema.Rule{Name: "udp", Protocol: "Udp", FrontendPort: benchPort, BackendPort: benchPort})
	d.LoadBalancers[0].LoadBalancingRules[0].Probe = ""
	d.LoadBalancers[0].Probes = nil
	tp := buildTopo(b, d)
	must(b, tp.vms[0].AddAddr("lo", pfx(fixture.FIP+"/32"))) // for the kernel planes, which do not rewrite
	sink := newSink(b, tp.vms[0])
	// The roles belong to the outer benchmark: a sub-benchmark's cleanups
	// run after each of its rounds.
	roles := []*role{tp.start(b, tp.mux, contract.EnvRole+"=mux", contract.EnvIface+"=eth0"),
		tp.start(b, tp.hosts[0], contract.EnvRole+"=host", contract.EnvIface+"=eth0", contract.EnvVMIface+"=vm0", contract.EnvHostIndex+"=0")}
	b.Run("refimpl", func(b *testing.B) {
		defer func() {
			if b.Failed() {
				for _, r := range roles {
					b.Logf("%s counters %v\n%s", r.name, r.liveCounters(), r.stderr)
				}
			}
		}()
		runPPS(b, tp, sink)
		time.Sleep(150 * time.Millisecond) // the roles rewrite their counters every 100 ms
		mux, host := roles[0].liveCounters(), roles[1].liveCounters()
		b.Logf("where packets went (cumulative): mux rx %d forwarded %d, host encap_rx %d delivered %d",
			mux["rx"], mux["forwarded"], host["encap_rx"], host["delivered"])
	})
	for _, r := range roles {
		r.stop(b)
	}
	// Each kernel plane is set up once, on its first round, and stays for
	// the next: nft DNAT runs on top of kernel forwarding.
	for _, plane := range []struct {
		name  string
		setup func(testing.TB)
	}{{"kernel-forward", tp.kernelForwarding}, {"kernel-nft-dnat", tp.nftDNAT}} {
		ready := false
		b.Run(plane.name, func(b *testing.B) {
			if !ready {
				ready = true
				plane.setup(b)
			}
			runPPS(b, tp, sink)
		})
	}
}

// kernelForwarding turns mux and host into plain routers for the FIP.
func (tp *topo) kernelForwarding(tb testing.TB) {
	fwd := [][2]string{{"net.ipv4.ip_forward", "1"}}
	must(tb, tp.mux.Sysctls(fwd))
	must(tb, tp.hosts[0].Sysctls(fwd))
	must(tb, tp.mux.AddRoute(netlab.Route{Dst: pfx(fixture.FIP + "/32"), Via: netip.MustParseAddr(hostAddr(0)), Dev: "eth0"}))
	must(tb, tp.hosts[0].AddRoute(netlab.Route{Dst: pfx(fixture.FIP + "/32"), Dev: "vm0"}))
}

// nftDNAT adds "ip daddr FIP udp dport 9000 dnat to DIP:9000" at prerouting
// in the host.
func (tp *topo) nftDNAT(tb testing.TB) {
	c, err := nftables.New(nftables.WithNetNSFd(tp.hosts[0].Fd()))
	must(tb, err)
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "lbcbench"})
	ch := c.AddChain(&nftables.Chain{Name: "pre", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest})
	fip := netip.MustParseAddr(fixture.FIP).As4()
	dip := netip.MustParseAddr(fixture.DIP(0)).As4()
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: fip[:]},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 9, Len: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_UDP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(benchPort)},
		&expr.Immediate{Register: 1, Data: dip[:]},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(benchPort)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}})
	must(tb, c.Flush())
}

// sink counts UDP datagrams to port 9000 in the VM (any local address).
type sink struct {
	n    atomic.Uint64
	last atomic.Int64 // unix nanos of the last datagram
}

func newSink(tb testing.TB, vm *netlab.NS) *sink {
	var c *net.UDPConn
	must(tb, vm.Do(func() (err error) {
		c, err = net.ListenUDP("udp4", &net.UDPAddr{Port: benchPort})
		return err
	}))
	_ = c.SetReadBuffer(8 << 20)
	s := &sink{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, err := c.Read(buf); err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			s.n.Add(1)
			s.last.Store(time.Now().UnixNano())
		}
	}()
	tb.Cleanup(func() { c.Close(); <-done })
	return s
}

// runPPS sends min(b.N, maxBenchPkts) datagrams (at most maxBenchTime) and
// reports what arrived.
func runPPS(b *testing.B, tp *topo, s *sink) {
	var c *net.UDPConn
	must(b, tp.client.Do(func() (err error) {
		c, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(fixture.FIP), benchPort)))
		return err
	}))
	defer c.Close()
	payload := make([]byte, 64)
	// Warm up (ARP, flow state) and prove the plane forwards at all.
	before := s.n.Load()
	werrs, lastErr := 0, error(nil)
	for deadline := time.Now().Add(3 * time.Second); s.n.Load() == before; {
		if time.Now().After(deadline) {
			b.Fatalf("nothing reached the VM in 3 s: the data plane does not forward (write errors %d: %v)", werrs, lastErr)
		}
		if _, err := c.Write(payload); err != nil {
			werrs++
			lastErr = err
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	want := min(b.N, maxBenchPkts)
	start0 := s.n.Load()
	b.ResetTimer()
	start := time.Now()
	sent := 0
	for sent < want && time.Since(start) < maxBenchTime {
		if _, err := c.Write(payload); err == nil {
			sent++
		}
	}
	sendTime := time.Since(start).Seconds()
	// Wait until the sink has been quiet for 200 ms.
	for time.Since(time.Unix(0, s.last.Load())) < 200*time.Millisecond {
		time.Sleep(50 * time.Millisecond)
	}
	b.StopTimer()
	got := s.n.Load() - start0
	elapsed := time.Unix(0, s.last.Load()).Sub(start).Seconds()
	if got == 0 || elapsed <= 0 {
		b.Fatalf("sent %d, none arrived", sent)
	}
	b.ReportMetric(float64(got)/elapsed, "pkts/s")
	b.ReportMetric(100*float64(sent-int(got))/float64(sent), "%lost")
	b.ReportMetric(float64(sent)/sendTime, "sent/s")
}
