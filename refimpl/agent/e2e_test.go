package agent_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/refimpl/agent"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/netio"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/schema"
)

// The test binary doubles as the forwarder: with childEnv set it runs one
// role under the target contract (as `lbcheck forward` does) instead of the
// tests.
const (
	childEnv      = "LBCHECK_TEST_FORWARDER"
	childCounters = "LBCHECK_TEST_COUNTERS"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(forwarder())
	}
	os.Exit(m.Run())
}

func forwarder() int {
	cfg, err := contract.Load("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	idx, _ := strconv.Atoi(os.Getenv(contract.EnvHostIndex))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err = agent.Serve(ctx, agent.ServeOptions{
		Options: agent.Options{Config: cfg, Iface: os.Getenv(contract.EnvIface), VMIface: os.Getenv(contract.EnvVMIface), HostIndex: idx},
		Role:    os.Getenv(contract.EnvRole), Stdout: os.Stdout, Stderr: os.Stderr,
		CountersFile: os.Getenv(childCounters), CountersEvery: 100 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// echoServer accepts TCP connections in a VM and echoes; it records each
// connection's local and remote address.
type echoServer struct {
	mu    sync.Mutex
	conns [][2]netip.AddrPort // local, remote
}

func serveEcho(t *testing.T, ns *netlab.NS, addr string) *echoServer {
	t.Helper()
	var l net.Listener
	must(t, ns.Do(func() (err error) { l, err = net.Listen("tcp", addr); return err }))
	t.Cleanup(func() { l.Close() })
	e := &echoServer{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns = append(e.conns, [2]netip.AddrPort{c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()})
			e.mu.Unlock()
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return e
}

// serveUDPEcho echoes UDP datagrams in a VM.
func serveUDPEcho(t *testing.T, ns *netlab.NS, addr string) {
	t.Helper()
	var c net.PacketConn
	must(t, ns.Do(func() (err error) { c, err = net.ListenPacket("udp", addr); return err }))
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteTo(buf[:n], from)
		}
	}()
}

func (e *echoServer) seen() [][2]netip.AddrPort {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][2]netip.AddrPort(nil), e.conns...)
}

// sniffer records every IP packet an interface receives.
type sniffer struct {
	mu   sync.Mutex
	pkts []packet.Tuple
	stop chan struct{}
	done chan struct{}
}

func sniff(t testing.TB, ns *netlab.NS, iface string) *sniffer {
	t.Helper()
	var c *netio.PacketConn
	must(t, ns.Do(func() (err error) { c, err = netio.ListenPacket(iface, 50*time.Millisecond); return err }))
	s := &sniffer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer c.Close()
		batch := netio.NewBatch(8, 65536)
		for {
			select {
			case <-s.stop:
				return
			default:
			}
			n, err := c.ReadBatch(batch)
			if errors.Is(err, netio.ErrTimeout) {
				continue
			}
			if err != nil {
				return
			}
			for i := range n {
				pkt, _, err := batch.Packet(i)
				if err != nil {
					continue
				}
				if in, err := packet.Parse(pkt); err == nil {
					s.mu.Lock()
					s.pkts = append(s.pkts, in.Tuple)
					s.mu.Unlock()
				}
			}
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *sniffer) close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

func (s *sniffer) from(src packet.Addr) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.pkts {
		if p.Src == src {
			n++
		}
	}
	return n
}

// dialEcho connects from the client namespace, sends msg and reads it back.
func dialEcho(t *testing.T, client *netlab.NS, addr, msg string) (local netip.AddrPort) {
	t.Helper()
	var c net.Conn
	must(t, client.Do(func() (err error) { c, err = net.DialTimeout("tcp", addr, 3*time.Second); return err }))
	defer c.Close()
	must(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	werr := make(chan error, 1)
	go func() { _, err := io.WriteString(c, msg); werr <- err }()
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("echo of %d bytes from %s: %v after %d bytes", len(msg), addr, err, n)
	}
	must(t, <-werr)
	if string(got) != msg {
		t.Fatalf("echo differs from what was sent (%d bytes)", len(msg))
	}
	return c.LocalAddr().(*net.TCPAddr).AddrPort()
}

// TestEndToEnd: two hosts; vm1 has no probe listener, so it is probed down
// and every flow goes to vm0. Real TCP connections to FIP:80 (Floating IP
// off: the VM sees DIP:8080) and FIP:443 (on: the VM sees FIP:8443 on lo)
// echo back; replies go host -> client directly, never through the mux.
// The deployment is IPv4 or IPv6 (frontend, DIPs and client; the fabric
// between mux and hosts stays IPv4): IPv6 probes come from a link-local
// address of the host's VM link.
func TestEndToEnd(t *testing.T) { fixture.Each(t, testEndToEnd) }

func testEndToEnd(t *testing.T, f fixture.Family) {
	d := f.Deployment(2,
		&schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080},
		&schema.Rule{Name: "fweb", Protocol: "Tcp", FrontendPort: 443, BackendPort: 8443, EnableFloatingIP: true},
		&schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 5353},
	)
	d.LoadBalancers[0].Probes[0].IntervalInSeconds = 1
	tp := buildTopo(t, d)
	dip0 := f.DIP(0)
	probe := serveEcho(t, tp.vms[0], net.JoinHostPort(dip0, "8080")) // also the backend of "web"
	floating := serveEcho(t, tp.vms[0], net.JoinHostPort(f.FIP, "8443"))
	serveEcho(t, tp.vms[1], net.JoinHostPort(f.FIP, "8443")) // vm1 would serve, but fails its probe
	serveUDPEcho(t, tp.vms[0], net.JoinHostPort(dip0, "5353"))
	muxSniff := sniff(t, tp.mux, "eth0")

	mux := tp.start(t, tp.mux, contract.EnvRole+"=mux", contract.EnvIface+"=eth0")
	var hosts []*role
	for i, h := range tp.hosts {
		hosts = append(hosts, tp.start(t, h, contract.EnvRole+"=host", contract.EnvIface+"=eth0",
			contract.EnvVMIface+"=vm0", contract.EnvHostIndex+"="+strconv.Itoa(i)))
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range append([]*role{mux}, hosts...) {
				t.Logf("%s counters %v\n%s", r.name, r.liveCounters(), r.stderr)
			}
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for mux.liveCounters()["health_changes"] < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("vm1 never probed down; mux counters %v\nhost1 stderr:\n%s", mux.liveCounters(), hosts[1].stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}

	fip := netip.MustParseAddr(f.FIP)
	const n = 6
	for i := range n {
		local := dialEcho(t, tp.client, net.JoinHostPort(f.FIP, "80"), fmt.Sprintf("hello %d", i))
		if local.Addr().String() != f.Client {
			t.Fatalf("client used %v", local)
		}
		dialEcho(t, tp.client, net.JoinHostPort(f.FIP, "443"), fmt.Sprintf("floating %d", i))
	}
	// UDP: the reply must come from FIP:53 (a connected socket takes nothing else).
	var uc net.Conn
	must(t, tp.client.Do(func() (err error) { uc, err = net.Dial("udp", net.JoinHostPort(f.FIP, "53")); return err }))
	defer uc.Close()
	must(t, uc.SetDeadline(time.Now().Add(3*time.Second)))
	if _, err := uc.Write([]byte("query")); err != nil {
		t.Fatal(err)
	}
	ubuf := make([]byte, 64)
	if n, err := uc.Read(ubuf); err != nil || string(ubuf[:n]) != "query" {
		t.Fatalf("UDP echo via FIP:53: %q, %v", ubuf[:n], err)
	}
	// Bulk data both ways: the kernels hand AF_PACKET TCP segmentation
	// offload super-packets (up to 64 KiB) that the forwarder must split.
	bulk := strings.Repeat("0123456789abcdef", 16<<10) // 256 KiB
	dialEcho(t, tp.client, net.JoinHostPort(f.FIP, "80"), bulk)
	dialEcho(t, tp.client, net.JoinHostPort(f.FIP, "443"), bulk)
	var fromProbe, fromClient int
	for _, c := range probe.seen() {
		switch src := c[1].Addr(); {
		case src.String() == contract.ProbeSource, src.Is6() && src.IsLinkLocalUnicast():
			fromProbe++
		case src.String() == f.Client:
			fromClient++
			if c[0] != netip.AddrPortFrom(netip.MustParseAddr(dip0), 8080) {
				t.Errorf("floating off: VM saw the flow on %v, want %s:8080", c[0], dip0)
			}
		default:
			t.Errorf("unexpected connection from %v", c[1])
		}
	}
	if fromClient != n+1 || fromProbe == 0 {
		t.Errorf("vm0 DIP:8080 saw %d client connections (want %d) and %d probes from %s or a link-local address (want > 0)", fromClient, n, fromProbe, contract.ProbeSource)
	}
	fl := floating.seen()
	if len(fl) != n+1 {
		t.Errorf("vm0 FIP:8443 saw %d connections, want %d (vm1 is probed down)", len(fl), n)
	}
	for _, c := range fl {
		if c[0] != netip.AddrPortFrom(fip, 8443) || c[1].Addr().String() != f.Client {
			t.Errorf("floating on: VM saw %v -> %v, want %s -> %s:8443", c[1], c[0], f.Client, fip)
		}
	}

	muxSniff.close()
	if k := muxSniff.from(packet.AddrFrom(fip)); k != 0 {
		t.Errorf("%d packets from the frontend IP reached the mux: replies must go straight to the client", k)
	}
	mux.stop(t)
	for _, h := range hosts {
		h.stop(t)
	}
	mc, h0 := mux.finalCounters(t), hosts[0].finalCounters(t)
	t.Logf("mux counters %v", mc)
	t.Logf("host0 counters %v", h0)
	if mc["forwarded"] == 0 || mc["health_changes"] == 0 || h0["delivered"] == 0 || h0["replies"] == 0 {
		t.Errorf("counters do not show the traffic: mux %v host0 %v", mc, h0)
	}
	if h1 := hosts[1].finalCounters(t); h1["delivered"] != 0 || h1["probe_down"] == 0 {
		t.Errorf("host1 (probed down) got traffic or reported no failure: %v", h1)
	}
}
