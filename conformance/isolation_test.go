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

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/reports"
)

// suiteNets are the addresses the suite's topologies use: fabric and
// clients (198.51.100.0/24), frontends (203.0.113.0/24), DIPs and gateways
// (10.0.0.0/8) and the probe source. 192.0.2.0/24 is not listed: the suite
// never assigns it, and this machine's own root-namespace network may use
// it (a documentation range).
var suiteNets = []netip.Prefix{
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix(contract.ProbeSource + "/32"),
}

// leak returns the suite address an Ethernet frame carries (IPv4 source or
// destination, ARP sender or target), if any.
func leak(frame []byte) (netip.Addr, bool) {
	if len(frame) < 14 {
		return netip.Addr{}, false
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
		ip := netip.AddrFrom4([4]byte(a))
		for _, p := range suiteNets {
			if p.Contains(ip) {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

func TestLeakClassifier(t *testing.T) {
	frame := func(ethType uint16, l3 []byte) []byte {
		b := make([]byte, 14, 14+len(l3))
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
	for _, tt := range []struct {
		name  string
		frame []byte
		want  bool
	}{
		{"client to frontend", frame(unix.ETH_P_IP, ipv4("198.51.100.100", "203.0.113.10")), true},
		{"DIP source", frame(unix.ETH_P_IP, ipv4("10.1.0.4", "8.8.8.8")), true},
		{"probe source", frame(unix.ETH_P_IP, ipv4("1.1.1.1", "168.63.129.16")), true},
		{"ARP for a fabric address", frame(unix.ETH_P_ARP, arp("192.0.2.2", "198.51.100.2")), true},
		{"the machine's own traffic", frame(unix.ETH_P_IP, ipv4("192.0.2.2", "192.0.2.1")), false},
		{"IPv6", frame(0x86dd, make([]byte, 40)), false},
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

// TestCaptureControl runs the capture in a namespace of its own, sends a
// datagram between suite addresses there, and checks the capture flags it:
// the isolation test's silence is not a capture that sees nothing.
func TestCaptureControl(t *testing.T) {
	labtest.RequireRoot(t)
	ns, err := labtest.NewLab(t).NewNS("control")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.AddAddr("lo", netip.MustParsePrefix("198.51.100.7/32")); err != nil {
		t.Fatal(err)
	}
	var c *rootCapture
	if err := ns.Do(func() error {
		c = openCapture(t)
		conn, err := net.Dial("udp4", "198.51.100.7:9")
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.Write([]byte("lbcheck capture control"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	frames, leaks, _ := c.close()
	if frames == 0 || len(leaks) == 0 {
		t.Fatalf("the capture saw %d frames and flagged %v; want the control datagram flagged", frames, leaks)
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// TestFullSuiteIsolation runs the whole suite (core and extended) against
// the reference forwarder while capturing on every interface of the root
// network namespace, and fails if any frame there carries a suite address.
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
