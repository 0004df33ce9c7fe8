package topo

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"golang.org/x/sys/unix"
)

// suiteNets are the ranges the topology uses; none may appear in the root
// namespace.
var suiteNets = []netip.Prefix{FabricNet, netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix(contract.ProbeSource + "/32")}

// TestIsolation captures on every interface of the root namespace while a
// topology is built, carries traffic and is torn down, and checks that no
// packet with a suite address showed up there.
func TestIsolation(t *testing.T) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		t.Skipf("cannot capture in the root namespace: %v", err)
	}
	defer unix.Close(fd)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)

	// Control: a datagram on the root namespace's loopback must be seen, or
	// the capture proves nothing.
	if c, err := net.Dial("udp4", "127.0.0.1:9"); err == nil {
		c.Write([]byte("lbcheck isolation control"))
		c.Close()
	}
	top := build(t, deployment(), Options{Clients: 2})
	for _, h := range top.Hosts {
		exchange(t, h.NS, contract.ProbeSource, netip.AddrPortFrom(h.VM.DIPs[0], 80))
	}
	if err := top.Close(); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 65536)
	frames, control := 0, false
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			break // EAGAIN: drained
		}
		frames++
		if n < 34 || binary.BigEndian.Uint16(buf[12:14]) != 0x0800 {
			continue
		}
		src := netip.AddrFrom4([4]byte(buf[26:30]))
		dst := netip.AddrFrom4([4]byte(buf[30:34]))
		control = control || dst.IsLoopback()
		for _, p := range suiteNets {
			if p.Contains(src) || p.Contains(dst) {
				t.Errorf("packet %s -> %s in the root namespace", src, dst)
			}
		}
	}
	t.Logf("inspected %d root-namespace frames", frames)
	if !control {
		t.Fatal("the control datagram on lo was not captured: the root-namespace capture does not work")
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
