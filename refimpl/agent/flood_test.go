package agent_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/refimpl/agent"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/flood"
	"github.com/lbcheck/lbcheck/refimpl/netio"
	"github.com/lbcheck/lbcheck/refimpl/stats"
	"github.com/lbcheck/lbcheck/schema"
)

// muxOutcomes are the mux counters of which exactly one counts each packet
// read (rx): forwarded, or dropped/ignored for a reason.
var muxOutcomes = []stats.Reason{stats.Forwarded, stats.NotFrontend, stats.NoRule, stats.Malformed, stats.Fragment,
	stats.Offload, stats.NoHealthyBackend, stats.FlowExpired, stats.TxError}

// TestFloodInNamespaces runs the mux and two host roles in this process and
// floods the mux from the client namespace with 20 000 frames (at most 20 s)
// built by refimpl/internal/flood: valid flows, fresh 5-tuples, truncated,
// bad-checksum, fragmented, misaddressed and random packets. It checks that
//   - the mux read every frame (rx == sent: the sender keeps at most 32
//     frames in flight, so the kernel has no reason to drop any; a drop
//     would show here, not be hidden),
//   - each packet is counted exactly once, under the reason its kind calls
//     for, and the hosts delivered every forwarded packet,
//   - every packet of every valid flow reached one VM NIC,
//   - the flow tables (limit 64) evicted rather than grew, and the heap
//     grew by less than 4 MiB,
//   - no goroutine is left after the roles stop.
//
// What the kernel does outside the forwarder's sockets is not counted by
// it: a bridge with br_netfilter drops malformed IPv4 frames before they
// reach the mux (the test turns that off in its fabric), the mux kernel
// also drops each frame (the frontend IP is not local, ip_forward=0), and a
// socket buffer overrun would be a kernel drop the forwarder cannot see —
// the flow control above rules that out. The hosts' answers to fresh
// 5-tuples from 192.0.2.0/24 (the VMs' RSTs) have no route and count as
// the hosts' tx_errors.
func TestFloodInNamespaces(t *testing.T) {
	const (
		sent   = 20_000
		window = 32
		limit  = 64
		flows  = 16
	)
	web := &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080}
	dns := &schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 53}
	d := fixture.Deployment(2, web, dns)
	web.Probe, dns.Probe, d.LoadBalancers[0].Probes = "", "", nil // no health reports on the fabric
	tp := buildTopo(t, d)
	// The fabric bridge validates IPv4 headers for netfilter
	// (br_netfilter, on by default) and drops malformed frames before any
	// mux could see them; turn that off in this test's fabric namespace so
	// the mux really faces them.
	must(t, tp.fabric.Sysctls([][2]string{{"net.bridge.bridge-nf-call-iptables", "0"}}))

	// VM side: count what reaches each VM NIC per valid flow.
	var seenMu sync.Mutex
	seen := map[[2]uint16]int{} // {proto, sport} of valid flows -> packets
	clientIP := netip.MustParseAddr(clientAddr).As4()
	for i, vm := range tp.vms {
		fd := openPacket(t, vm, "eth0")
		go func() {
			buf := make([]byte, 2048)
			for {
				n, err := unix.Read(fd, buf)
				if err == unix.EAGAIN || err == unix.EINTR {
					continue
				}
				if err != nil {
					return // closed
				}
				p := buf[:n]
				if n < 14+24 || binary.BigEndian.Uint16(p[12:14]) != 0x0800 || [4]byte(p[26:30]) != clientIP || [4]byte(p[30:34]) != netip.MustParseAddr(fixture.DIP(i)).As4() {
					continue
				}
				seenMu.Lock()
				seen[[2]uint16{uint16(p[23]), binary.BigEndian.Uint16(p[34:36])}]++
				seenMu.Unlock()
			}
		}()
		t.Cleanup(func() { unix.Close(fd) })
	}

	// Mux side: the other IPv4 frames on the mux's link (the fabric's own
	// IGMP reports, say), which the mux reads too.
	var others atomic.Uint64
	watch := openPacket(t, tp.mux, "eth0")
	t.Cleanup(func() { unix.Close(watch) })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := unix.Recvfrom(watch, buf, 0)
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			if err != nil {
				return // closed
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype != unix.PACKET_OUTGOING && n >= 14 && [6]byte(buf[6:12]) != [6]byte(mac(0, 100)) {
				others.Add(1)
			}
		}
	}()

	goroutines := runtime.NumGoroutine()
	roles := map[string]agent.Role{}
	start := func(name string, ns *netlab.NS, o agent.Options) {
		o.Config, o.Iface, o.Log, o.FlowLimit = tp.cfg, "eth0", io.Discard, limit
		must(t, ns.Do(func() (err error) {
			roles[name], err = agent.New(map[bool]string{true: "mux", false: "host"}[name == "mux"], o)
			return err
		}))
	}
	start("mux", tp.mux, agent.Options{})
	for i, h := range tp.hosts {
		start(fmt.Sprintf("host%d", i), h, agent.Options{VMIface: "vm0", HostIndex: i})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, len(roles))
	for _, r := range roles {
		go func() { done <- r.Run(ctx) }()
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for range roles {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("a role did not stop within 3 s of cancel")
			}
		}
	}
	t.Cleanup(stop)
	muxCtr := roles["mux"].Counters()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	// Client side: the flood, as Ethernet frames to the mux's MAC.
	out := openPacket(t, tp.client, "eth0")
	defer unix.Close(out)
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Halen: 6}
	must(t, tp.client.Do(func() error {
		ifc, err := netInterface("eth0")
		sa.Ifindex = ifc
		return err
	}))
	copy(sa.Addr[:], mac(0, 2))
	g := flood.New(flood.Config{Seed: 11, Frontend: netip.MustParseAddr(fixture.FIP).As4(), TCPPort: 80, UDPPort: 53, NoRule: 81,
		Client: clientIP, Flows: flows, NewFlowNet: [3]byte{192, 0, 2}})
	var (
		frame   [14 + flood.MaxLen]byte
		perKind [flood.NumKinds]int
		perFlow [flows]int
		want    = map[stats.Reason]uint64{}
	)
	copy(frame[0:6], mac(0, 2))
	copy(frame[6:12], mac(0, 100))
	binary.BigEndian.PutUint16(frame[12:14], 0x0800)
	deadline := time.Now().Add(20 * time.Second)
	n := 0
	for ; n < sent && time.Now().Before(deadline); n++ {
		if n%window == 0 {
			waitFor(func() bool { return muxCtr.Get(stats.Rx) >= uint64(n) }, time.Second)
		}
		k, l, f := g.Next(frame[14:])
		if err := unix.Sendto(out, frame[:14+l], 0, sa); err != nil {
			t.Fatalf("sending frame %d (%s, %d bytes): %v", n, k, l, err)
		}
		perKind[k]++
		want[k.Want()]++
		if f >= 0 {
			perFlow[f]++
		}
	}
	if n < sent {
		t.Errorf("sent only %d of %d frames in 20 s", n, sent)
	}
	hostCtr := func(r stats.Reason) (sum uint64) {
		for i := range tp.hosts {
			sum += roles[fmt.Sprintf("host%d", i)].Counters().Get(r)
		}
		return sum
	}
	settled := waitFor(func() bool {
		return muxCtr.Get(stats.Rx) >= uint64(n) && hostCtr(stats.EncapRx) >= muxCtr.Get(stats.Forwarded)
	}, 3*time.Second)
	time.Sleep(1300 * time.Millisecond) // one flow-expiry tick: flows_evicted is brought up to date
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	counters := func() string {
		s := fmt.Sprintf("mux %s", jsonOf(muxCtr))
		for i := range tp.hosts {
			s += fmt.Sprintf("\nhost%d %s", i, jsonOf(roles[fmt.Sprintf("host%d", i)].Counters()))
		}
		return s
	}
	t.Logf("sent %d frames, per kind %v; %d other frames on the mux link\n%s", n, perKind, others.Load(), counters())
	if !settled {
		t.Errorf("counters did not settle within 3 s of the last frame")
	}

	// Frames that are not the flood's are IPv4 to no frontend. The watcher
	// opened before the mux bound its socket, so one that arrived in
	// between is the watcher's only: the mux reads the flood and at most
	// the other frames.
	rx := muxCtr.Get(stats.Rx)
	if rx < uint64(n) || rx > uint64(n)+others.Load() {
		t.Errorf("mux read %d frames, sent %d (+%d other frames on the link)", rx, n, others.Load())
	} else {
		want[stats.NotFrontend] += rx - uint64(n)
	}
	var outcomes uint64
	for _, r := range muxOutcomes {
		outcomes += muxCtr.Get(r)
		if got := muxCtr.Get(r); got != want[r] {
			t.Errorf("mux %s = %d, want %d", r, got, want[r])
		}
	}
	if rx := muxCtr.Get(stats.Rx); outcomes != rx {
		t.Errorf("mux outcome counters add up to %d, rx %d: a packet went uncounted", outcomes, rx)
	}
	if fw, rx, del := muxCtr.Get(stats.Forwarded), hostCtr(stats.EncapRx), hostCtr(stats.Delivered); rx != fw || del != rx {
		t.Errorf("mux forwarded %d, hosts received %d and delivered %d", fw, rx, del)
	}
	if e := hostCtr(stats.EncapError) + hostCtr(stats.WrongHost); e > 0 {
		t.Errorf("hosts rejected %d encapsulated packets", e)
	}
	seenMu.Lock()
	for f, c := range perFlow {
		proto := uint16(6)
		if f%2 == 1 {
			proto = 17
		}
		if got := seen[[2]uint16{proto, flood.ValidSource(f)}]; got != c {
			t.Errorf("valid flow %d (proto %d, sport %d): %d of %d packets reached a VM", f, proto, flood.ValidSource(f), got, c)
		}
	}
	seenMu.Unlock()
	if min := uint64(perKind[flood.NewFlow] - limit); muxCtr.Get(stats.FlowsEvicted) < min {
		t.Errorf("mux evicted %d flows after %d fresh 5-tuples into a %d-flow table, want at least %d",
			muxCtr.Get(stats.FlowsEvicted), perKind[flood.NewFlow], limit, min)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("heap grew by %d bytes under the flood (%d -> %d)", grew, before.HeapAlloc, after.HeapAlloc)
	}

	stop()
	if !waitFor(func() bool { return runtime.NumGoroutine() <= goroutines }, 2*time.Second) {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before the roles started, %d after they stopped:\n%s", goroutines, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
}

// openPacket opens an AF_PACKET socket for IPv4 frames on iface inside ns
// (read timeout 200 ms, netio.BufferSize buffers).
func openPacket(t *testing.T, ns *netlab.NS, iface string) int {
	t.Helper()
	fd := -1
	must(t, ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP)))
		if err != nil {
			return err
		}
		idx, err := netInterface(iface)
		if err != nil {
			return err
		}
		if err := netio.SetBuffers(fd); err != nil { // the roles send in bursts of up to 32 frames
			return err
		}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200_000})
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: idx})
	}))
	return fd
}

// netInterface returns the index of iface in the calling thread's namespace.
func netInterface(iface string) (int, error) {
	ifr, err := unix.NewIfreq(iface)
	if err != nil {
		return 0, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("interface %s: %w", iface, err)
	}
	return int(ifr.Uint32()), nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// waitFor polls cond every millisecond until it holds or d passes.
func waitFor(cond func() bool, d time.Duration) bool {
	for end := time.Now().Add(d); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			return false
		}
	}
	return true
}

func jsonOf(c *stats.Counters) string {
	b, _ := c.MarshalJSON()
	return string(b)
}
