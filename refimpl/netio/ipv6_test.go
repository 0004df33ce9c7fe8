package netio_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/netio"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

// TestPacketConnFamilies: IPv4 and IPv6 packets sent with a PacketBatch
// arrive with their own ethertype and are read back; a frame of another
// ethertype (ARP) is dropped by the read socket's filter.
func TestPacketConnFamilies(t *testing.T) {
	a, b, ns := vethPair(t, 50*time.Millisecond)
	out := a.NewPacketBatch(2, 2048)
	v4 := pkttest.UDP(t, "198.51.100.1", 1000, "203.0.113.10", 53, []byte("four"))
	v6 := pkttest.UDP(t, "2001:db8:c::1", 1001, "2001:db8:ff::10", 53, []byte("six"))
	must(t, out.Add(v4, [6]byte(macB)))
	must(t, out.Add(v6, [6]byte(macB)))
	if sent, failed, err := out.Flush(); sent != 2 || failed != 0 || err != nil {
		t.Fatalf("Flush: sent %d, failed %d, %v", sent, failed, err)
	}
	batch := netio.NewBatch(4, 2048)
	var got [][]byte
	for len(got) < 2 {
		n, err := b.ReadBatch(batch)
		if err != nil {
			t.Fatalf("after %d packets: %v", len(got), err)
		}
		for i := range n {
			p, _, err := batch.Packet(i)
			must(t, err)
			got = append(got, append([]byte(nil), p...))
		}
	}
	for i, want := range [][]byte{v4, v6} {
		if string(got[i]) != string(want) {
			t.Errorf("packet %d: %x, want %x", i, got[i], want)
		}
		if frame := batch.Buf(i)[netio.HeaderRoom-2 : netio.HeaderRoom]; i == 1 && (frame[0] != 0x86 || frame[1] != 0xdd) {
			t.Errorf("IPv6 packet sent with ethertype %x", frame)
		}
	}
	must(t, ns.Do(sendARP))
	if n, err := b.ReadBatch(batch); !errors.Is(err, netio.ErrTimeout) {
		t.Errorf("after an ARP frame: read %d, %v; want a timeout (filtered)", n, err)
	}
}

// sendARP sends an ARP frame (its content does not matter) from interface
// a of vethPair to b's MAC.
func sendARP() error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifi, err := net.InterfaceByName("a")
	if err != nil {
		return err
	}
	sa := &unix.SockaddrLinklayer{Protocol: 0x0608, Ifindex: ifi.Index, Halen: 6} // ETH_P_ARP, network byte order
	copy(sa.Addr[:], macB)
	return unix.Sendto(fd, make([]byte, 28), 0, sa)
}

// TestRawConn sends an IPv4 and an IPv6 packet from an address that is not
// local (a frontend's, as replies are) through a RawConn: the kernel routes
// each to the neighbour, where they arrive unchanged.
func TestRawConn(t *testing.T) {
	lab := labtest.NewLab(t)
	ns, err := lab.NewNS("io")
	must(t, err)
	must(t, ns.Sysctls([][2]string{{"net.ipv6.conf.default.disable_ipv6", "0"}, {"net.ipv6.conf.default.accept_dad", "0"},
		{"net.ipv6.conf.default.accept_ra", "0"}, {"net.ipv6.conf.default.router_solicitations", "0"}}))
	must(t, ns.AddVeth("a", net.HardwareAddr{2, 0, 0, 0, 0, 0xa}, ns, "b", macB))
	must(t, ns.Up("a", "b"))
	must(t, ns.WaitUp(5*time.Second, "a", "b"))
	must(t, ns.AddAddr("a", netip.MustParsePrefix("198.51.100.1/24")))
	must(t, ns.AddAddr("a", netip.MustParsePrefix("2001:db8:c::1/64")))
	for _, dst := range []string{"198.51.100.100", "2001:db8:c::100"} {
		l, err := ns.Netlink().LinkByName("a")
		must(t, err)
		ip := netip.MustParseAddr(dst)
		family := netlink.FAMILY_V4
		if ip.Is6() {
			family = netlink.FAMILY_V6
		}
		must(t, ns.Netlink().NeighSet(&netlink.Neigh{LinkIndex: l.Attrs().Index, Family: family, State: netlink.NUD_PERMANENT, IP: ip.AsSlice(), HardwareAddr: macB}))
	}
	var raw *netio.RawConn
	var b *netio.PacketConn
	must(t, ns.Do(func() (err error) {
		if raw, err = netio.ListenRaw(); err != nil {
			return err
		}
		b, err = netio.ListenPacket("b", time.Second)
		return err
	}))
	t.Cleanup(func() { raw.Close(); b.Close() })
	batch := netio.NewBatch(4, 2048)
	for _, p := range [][]byte{
		pkttest.TCP(t, "203.0.113.10", 80, "198.51.100.100", 40000, pkttest.Flags{SYN: true, ACK: true}, nil),
		pkttest.TCP(t, "2001:db8:ff::10", 80, "2001:db8:c::100", 40000, pkttest.Flags{SYN: true, ACK: true}, nil),
	} {
		in, err := packet.Parse(p)
		must(t, err)
		must(t, raw.WriteTo(p, in.Dst))
		for {
			n, err := b.ReadBatch(batch)
			if err != nil {
				t.Fatalf("%v -> %v: %v", in.Src, in.Dst, err)
			}
			got, _, err := batch.Packet(n - 1)
			must(t, err)
			if g, err := packet.Parse(got); err == nil && g.Tuple == in.Tuple {
				pkttest.Decode(t, got)
				break
			}
		}
	}
}
