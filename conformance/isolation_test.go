package conformance_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/reports"
)

// leak says whether an Ethernet frame is the suite's, by what only the
// suite uses: a MAC the topology assigns (topo.IsSuiteMAC) as source or
// destination, or an IPv4 or ARP address in the suite's fabric
// (198.51.100.0/24: clients, mux and hosts). Frontends, DIPs and the probe
// source are not: 10.0.0.0/8, 203.0.113.0/24 and 168.63.129.16 are the
// machine's own DNS and HTTPS endpoints on Azure VMs and many CI runners.
func leak(frame []byte) (string, bool) {
	if len(frame) < 14 {
		return "", false
	}
	for _, m := range []net.HardwareAddr{frame[0:6], frame[6:12]} {
		if topo.IsSuiteMAC(m) {
			return m.String(), true
		}
	}
	var addrs [][]byte
	switch l3 := frame[14:]; binary.BigEndian.Uint16(frame[12:14]) {
	case unix.ETH_P_IP:
		if len(l3) >= 20 {
			addrs = [][]byte{l3[12:16], l3[16:20]}
		}
	case unix.ETH_P_ARP:
		if len(l3) >= 28 {
			addrs = [][]byte{l3[14:18], l3[24:28]}
		}
	}
	for _, a := range addrs {
		if ip := netip.AddrFrom4([4]byte(a)); topo.FabricNet.Contains(ip) {
			return ip.String(), true
		}
	}
	return "", false
}

func TestLeakClassifier(t *testing.T) {
	frame := func(src, dst net.HardwareAddr, ethType uint16, l3 []byte) []byte {
		b := make([]byte, 14, 14+len(l3))
		copy(b, dst)
		copy(b[6:], src)
		binary.BigEndian.PutUint16(b[12:], ethType)
		return append(b, l3...)
	}
	ipv4 := func(src, dst string) []byte {
		b := make([]byte, 20)
		b[0] = 0x45
		copy(b[12:], netip.MustParseAddr(src).AsSlice())
		copy(b[16:], netip.MustParseAddr(dst).AsSlice())
		return b
	}
	arp := func(sender, target string) []byte {
		b := make([]byte, 28)
		copy(b[14:], netip.MustParseAddr(sender).AsSlice())
		copy(b[24:], netip.MustParseAddr(target).AsSlice())
		return b
	}
	host := net.HardwareAddr{0x00, 0x0d, 0x3a, 0x12, 0x34, 0x56}    // an Azure NIC
	gateway := net.HardwareAddr{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc} // Azure's gateway
	for _, tt := range []struct {
		name  string
		frame []byte
		want  bool
	}{
		{"a VM NIC's frame", frame(topo.MAC(0x05, 0), gateway, unix.ETH_P_IP, ipv4("10.1.0.4", "8.8.8.8")), true},
		{"to a fabric port", frame(host, net.HardwareAddr{0x06, 0, 0, 0x02, 0, 0}, unix.ETH_P_IP, ipv4("192.0.2.9", "192.0.2.10")), true},
		{"client to frontend", frame(host, gateway, unix.ETH_P_IP, ipv4("198.51.100.100", "203.0.113.10")), true},
		{"ARP for a fabric address", frame(host, gateway, unix.ETH_P_ARP, arp("192.0.2.2", "198.51.100.2")), true},
		{"the machine's DNS in 168.63.129.16", frame(host, gateway, unix.ETH_P_IP, ipv4("10.1.0.4", "168.63.129.16")), false},
		{"the machine's HTTPS to 203.0.113.10", frame(host, gateway, unix.ETH_P_IP, ipv4("10.0.0.5", "203.0.113.10")), false},
		{"a locally administered MAC of another kind", frame(net.HardwareAddr{0x02, 0, 0, 0x09, 0, 1}, gateway, unix.ETH_P_IP, ipv4("192.0.2.2", "192.0.2.1")), false},
		{"IPv6", frame(host, gateway, 0x86dd, make([]byte, 40)), false},
		{"runt", []byte{1, 2, 3}, false},
	} {
		if _, got := leak(tt.frame); got != tt.want {
			t.Errorf("%s: leak = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// rootCapture reads every frame of every interface of one network namespace
// (AF_PACKET, ETH_P_ALL, read-only) until closed, and records those that
// carry a suite address.
type rootCapture struct {
	fd     int
	wg     sync.WaitGroup
	mu     sync.Mutex
	frames int
	leaks  []string
}

// openCapture starts a capture in the calling thread's network namespace.
func openCapture(t *testing.T) *rootCapture {
	t.Helper()
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		t.Skipf("cannot capture: %v", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 64<<20)
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100_000}); err != nil {
		t.Fatal(err)
	}
	c := &rootCapture{fd: fd}
	c.wg.Go(func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := unix.Recvfrom(fd, buf, unix.MSG_TRUNC)
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			if err != nil {
				return // closed
			}
			c.mu.Lock()
			c.frames++
			if ip, ok := leak(buf[:min(n, len(buf))]); ok && len(c.leaks) < 20 {
				ifname := "?"
				if ll, ok := from.(*unix.SockaddrLinklayer); ok {
					ifname = fmt.Sprint("ifindex ", ll.Ifindex)
				}
				c.leaks = append(c.leaks, fmt.Sprintf("%s on %s: % x", ip, ifname, buf[:min(n, 42)]))
			}
			c.mu.Unlock()
		}
	})
	return c
}

// close stops the capture and returns the frames seen, the leaks and the
// frames the kernel dropped because the capture fell behind.
func (c *rootCapture) close() (frames int, leaks []string, dropped uint32) {
	// PACKET_STATISTICS: struct tpacket_stats {packets, drops uint32}.
	var st [2]uint32
	l := uint32(unsafe.Sizeof(st))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(c.fd), unix.SOL_PACKET, unix.PACKET_STATISTICS,
		uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&l)), 0)
	if errno != 0 {
		st[1] = 0
	}
	_ = unix.Shutdown(c.fd, unix.SHUT_RDWR)
	unix.Close(c.fd)
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames, c.leaks, st[1]
}

// TestCaptureControl runs the capture in a namespace of its own standing
// in for the root namespace, linked by a veth to another, and sends a
// datagram across twice: from interfaces with the suite's MACs, which the
// capture must flag (the isolation test's silence is not a capture that
// sees nothing), and from interfaces with ordinary MACs between the
// addresses a machine's own DNS and HTTPS use (10/8, 203.0.113/24), which
// it must not (the test does not fail on the host's own traffic).
func TestCaptureControl(t *testing.T) {
	labtest.RequireRoot(t)
	for _, tc := range []struct {
		name    string
		a, b    net.HardwareAddr
		from    string
		to      string
		flagged bool
	}{
		{"suite MACs", topo.MAC(0x05, 7), topo.MAC(0x04, 7), "10.9.0.1", "10.9.0.2", true},
		{"the machine's traffic", net.HardwareAddr{0x00, 0x0d, 0x3a, 1, 2, 3}, net.HardwareAddr{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc}, "10.9.0.1", "203.0.113.53", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab := labtest.NewLab(t)
			root, err := lab.NewNS("croot")
			if err != nil {
				t.Fatal(err)
			}
			peer, err := lab.NewNS("cpeer")
			if err != nil {
				t.Fatal(err)
			}
			if err := root.AddVeth("veth0", tc.a, peer, "veth0", tc.b); err != nil {
				t.Fatal(err)
			}
			for _, x := range []struct {
				ns interface {
					AddAddr(string, netip.Prefix) error
				}
				addr string
			}{{root, tc.from}, {peer, tc.to}} {
				if err := x.ns.AddAddr("veth0", netip.PrefixFrom(netip.MustParseAddr(x.addr), 8)); err != nil {
					t.Fatal(err)
				}
			}
			for _, ns := range []interface{ Up(...string) error }{root, peer} {
				if err := ns.Up("veth0"); err != nil {
					t.Fatal(err)
				}
			}
			if err := root.AddRoute(netlab.Route{Dst: netip.PrefixFrom(netip.MustParseAddr(tc.to), 32), Dev: "veth0"}); err != nil {
				t.Fatal(err)
			}
			var c *rootCapture
			if err := root.Do(func() error {
				c = openCapture(t)
				conn, err := net.ListenPacket("udp4", ":0") // unconnected: the peer's ICMP errors do not stop it
				if err != nil {
					return err
				}
				defer conn.Close()
				dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(tc.to), 9))
				for range 3 {
					if _, err := conn.WriteTo([]byte("lbcheck capture control"), dst); err != nil {
						return err
					}
					time.Sleep(50 * time.Millisecond)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			frames, leaks, _ := c.close()
			if frames == 0 || (len(leaks) > 0) != tc.flagged {
				t.Fatalf("the capture saw %d frames and flagged %v; want flagged %v", frames, leaks, tc.flagged)
			}
		})
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// TestFullSuiteIsolation runs the whole suite (core and extended) against
// the reference forwarder while capturing on every interface of the root
// network namespace, and fails if any frame there is the suite's (see leak:
// a suite MAC or fabric address; the machine's own traffic is not).
// It sends nothing in the root namespace.
func TestFullSuiteIsolation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite; skipped with -short")
	}
	labtest.RequireRoot(t)
	// The test process never leaves the namespace it started in (netlab
	// switches only locked threads): the machine's root namespace, unless
	// the tests themselves run in a container.
	self, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	c := openCapture(t)
	rep, err := runSuite(t, "", nil)
	frames, leaks, dropped := c.close()
	if err != nil {
		t.Fatalf("suite: %v", err)
	}
	t.Logf("%d cases ran (result %s); %d frames inspected in %s (TestCaptureControl shows the capture sees and flags suite traffic)", len(rep.Cases), rep.Result, frames, self)
	if len(rep.Cases) < 20 || rep.Result != reports.ResultSuccess {
		t.Errorf("the run proves isolation only if the whole suite ran and passed: %d cases, result %s", len(rep.Cases), rep.Result)
	}
	for _, l := range leaks {
		t.Errorf("suite address in the root namespace: %s", l)
	}
	if dropped > 0 {
		t.Errorf("the root-namespace capture dropped %d frames: isolation is not proven for them", dropped)
	}
}
