package packet_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

// Documentation addresses (2001:db8::/32) of the IPv6 tests.
const (
	client6 = "2001:db8:c::100"
	fip6    = "2001:db8:ff::10"
	dip6    = "2001:db8:1::4"
)

// Extension headers for the tests: options headers of 8 bytes (Pad1
// options), a Routing header (type 4) with no segment left or one left,
// the first fragment of a fragmented packet.
var (
	hopByHop  = pkttest.Extension{Type: 0, Body: make([]byte, 6)}
	dstOpts   = pkttest.Extension{Type: 60, Body: make([]byte, 6)}
	routed    = pkttest.Extension{Type: 43, Body: []byte{4, 0}}
	routing   = pkttest.Extension{Type: 43, Body: []byte{4, 1}}
	firstFrag = pkttest.Extension{Type: 44, Body: []byte{0, 1, 0, 0, 0, 7}}
)

// withNext returns a copy of the IPv6 packet b whose Next Header is next.
func withNext(b []byte, next byte) []byte {
	c := append([]byte(nil), b...)
	c[6] = next
	return c
}

func TestParseIPv6(t *testing.T) {
	syn := pkttest.TCP(t, client6, 40000, fip6, 80, pkttest.Flags{SYN: true}, nil)
	udp := pkttest.UDP(t, client6, 5353, fip6, 53, []byte("q"))
	tcpTuple := packet.Tuple{Src: pkttest.Addr(client6), Dst: pkttest.Addr(fip6), SrcPort: 40000, DstPort: 80, Proto: packet.ProtoTCP}
	udpTuple := packet.Tuple{Src: pkttest.Addr(client6), Dst: pkttest.Addr(fip6), SrcPort: 5353, DstPort: 53, Proto: packet.ProtoUDP}
	noPorts := func(proto uint8) packet.Tuple {
		return packet.Tuple{Src: pkttest.Addr(client6), Dst: pkttest.Addr(fip6), Proto: proto}
	}
	mapped := append([]byte(nil), syn...)
	v4 := pkttest.Addr("198.51.100.100") // in its IPv4-mapped form
	copy(mapped[8:24], v4[:])
	noSum := append([]byte(nil), udp...)
	binary.BigEndian.PutUint16(noSum[46:], 0)
	overrun := pkttest.WithExtensions(syn, dstOpts)
	overrun[41] = 200
	shortTCP := append([]byte(nil), syn[:50]...)
	binary.BigEndian.PutUint16(shortTCP[4:], 10)
	jumbo := pkttest.WithExtensions(syn, hopByHop)
	binary.BigEndian.PutUint16(jumbo[4:], 0)
	eight := pkttest.WithExtensions(syn, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts)
	nine := pkttest.WithExtensions(syn, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts, dstOpts)

	runParse(t, []parseCase{
		{"tcp syn", syn, tcpTuple, packet.TCPSyn, 60, 40, nil},
		{"udp", udp, udpTuple, 0, 49, 40, nil},
		{"link padding ignored", append(append([]byte(nil), udp...), 0, 0, 0), udpTuple, 0, 49, 40, nil},
		{"icmpv6 has no ports", pkttest.ICMPEcho(t, client6, fip6), noPorts(packet.ProtoICMPv6), 0, 52, 40, nil},
		{"hop-by-hop skipped", pkttest.WithExtensions(syn, hopByHop), tcpTuple, packet.TCPSyn, 68, 48, nil},
		{"hop-by-hop, destination options, finished routing skipped", pkttest.WithExtensions(syn, hopByHop, dstOpts, routed, dstOpts),
			tcpTuple, packet.TCPSyn, 92, 72, nil},
		{"eight extension headers skipped", eight, tcpTuple, packet.TCPSyn, 124, 104, nil},
		{"esp has no ports", withNext(udp, 50), noPorts(50), 0, 49, 40, nil},
		{"ah ends the walk", withNext(udp, 51), noPorts(51), 0, 49, 40, nil},
		{"no next header", withNext(udp, 59), noPorts(59), 0, 49, 40, nil},
		{"unknown protocol", pkttest.WithExtensions(withNext(udp, 253), dstOpts), noPorts(253), 0, 57, 48, nil},
		{"fragment header", pkttest.WithExtensions(udp, firstFrag), packet.Tuple{}, 0, 0, 0, packet.ErrFragment},
		{"fragment header after options", pkttest.WithExtensions(syn, dstOpts, firstFrag), packet.Tuple{}, 0, 0, 0, packet.ErrFragment},
		{"routing with segments left", pkttest.WithExtensions(syn, routing), packet.Tuple{}, 0, 0, 0, packet.ErrExtension},
		{"hop-by-hop not first", pkttest.WithExtensions(syn, dstOpts, hopByHop), packet.Tuple{}, 0, 0, 0, packet.ErrExtension},
		{"nine extension headers", nine, packet.Tuple{}, 0, 0, 0, packet.ErrExtension},
		{"extension header beyond the payload", overrun, packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
		{"jumbogram", jumbo, packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
		{"shorter than the header", syn[:39], packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
		{"payload length beyond the buffer", syn[:len(syn)-1], packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
		{"tcp header cut", shortTCP, packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
		{"ipv4-mapped address", mapped, packet.Tuple{}, 0, 0, 0, packet.ErrAddress},
		{"udp without checksum", noSum, packet.Tuple{}, 0, 0, 0, packet.ErrNoChecksum},
	})
}

// TestCompleteChecksum: a checksum left to offload (the pseudo-header sum
// only) is completed to what gopacket computes, for both families, behind
// IPv6 extension headers too, and a UDP/IPv6 one that is zero.
func TestCompleteChecksum(t *testing.T) {
	for _, b := range [][]byte{
		pkttest.TCP(t, "198.51.100.100", 40000, "203.0.113.10", 80, pkttest.Flags{ACK: true}, []byte("data")),
		pkttest.UDP(t, "198.51.100.100", 5353, "203.0.113.10", 53, []byte("q")),
		pkttest.TCP(t, client6, 40000, fip6, 80, pkttest.Flags{ACK: true}, []byte("data")),
		pkttest.WithExtensions(pkttest.UDP(t, client6, 5353, fip6, 53, []byte("q")), hopByHop, dstOpts),
	} {
		in, err := packet.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, partial := range []uint16{0x1234, 0} {
			binary.BigEndian.PutUint16(b[in.L4+csumOff(in.Proto):], partial)
			packet.CompleteChecksum(b)
			pkttest.Decode(t, b)
		}
	}
}

func TestWriteResetIPv6(t *testing.T) {
	tup := packet.Tuple{Src: pkttest.Addr(fip6), Dst: pkttest.Addr(client6), SrcPort: 80, DstPort: 40000, Proto: packet.ProtoTCP}
	var buf [100]byte
	p := packet.WriteReset(buf[:], tup, 1000, 2000)
	d := pkttest.Decode(t, p) // the TCP checksum over the IPv6 pseudo-header
	in, err := packet.Parse(p)
	if err != nil {
		t.Fatalf("reset does not parse: %v", err)
	}
	if len(p) != packet.ResetLen6 || in.Tuple != tup || in.TCPFlags != packet.TCPRst|packet.TCPAck || d.IP6.HopLimit != 64 {
		t.Errorf("reset: %d bytes, %+v flags %#x hop limit %d", len(p), in.Tuple, in.TCPFlags, d.IP6.HopLimit)
	}
	if seq, ack := packet.TCPSeq(p, &in); seq != 1000 || ack != 2000 || packet.TCPNext(p, &in) != 1000 {
		t.Errorf("seq %d ack %d next %d, want 1000 2000 1000", seq, ack, packet.TCPNext(p, &in))
	}
}

func TestWritePacketTooBig(t *testing.T) {
	for _, size := range []int{1980, 100} {
		orig := pkttest.TCP(t, client6, 40000, fip6, 80, pkttest.Flags{ACK: true}, make([]byte, size))
		in, err := packet.Parse(orig)
		if err != nil {
			t.Fatal(err)
		}
		if !packet.DontFragment(orig) {
			t.Fatal("an IPv6 packet may be fragmented on its way")
		}
		var buf [packet.PacketTooBigLen]byte
		p := packet.WritePacketTooBig(buf[:], orig, &in, pkttest.Addr(fip6), 1500)
		d := pkttest.Decode(t, p) // checks the ICMPv6 checksum over the pseudo-header
		if d.ICMP6 == nil || d.ICMP6.TypeCode.Type() != 2 || d.ICMP6.TypeCode.Code() != 0 {
			t.Fatalf("not an ICMPv6 packet too big: %+v", d.ICMP6)
		}
		want := min(len(orig), packet.PacketTooBigLen-48)
		if len(p) != 48+want || d.Src() != pkttest.Addr(fip6).NetIP() || d.Dst() != pkttest.Addr(client6).NetIP() {
			t.Errorf("%d bytes %v -> %v, want %d", len(p), d.Src(), d.Dst(), 48+want)
		}
		if mtu := binary.BigEndian.Uint32(p[44:48]); mtu != 1500 {
			t.Errorf("MTU %d, want 1500", mtu)
		}
		if !bytes.Equal(p[48:], orig[:want]) {
			t.Error("the ICMPv6 payload is not the start of the original packet")
		}
	}
}

// FuzzParseIPv6 fuzzes what follows a valid IPv6 fixed header: the first
// Next Header and the payload (extension headers, transport header, data).
func FuzzParseIPv6(f *testing.F) {
	syn := pkttest.TCP(f, client6, 40000, fip6, 80, pkttest.Flags{SYN: true}, []byte("x"))
	ext := pkttest.WithExtensions(pkttest.UDP(f, client6, 5353, fip6, 53, []byte("q")), hopByHop, dstOpts, routed)
	f.Add(syn[6], syn[40:])
	f.Add(ext[6], ext[40:])
	f.Add(byte(44), firstFrag.Body)
	hdr := syn[:40]
	f.Fuzz(func(t *testing.T, next byte, payload []byte) {
		if len(payload) > 0xffff {
			return
		}
		b := append(append([]byte(nil), hdr...), payload...)
		b[6] = next
		binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
		checkParsed(t, b)
	})
}
