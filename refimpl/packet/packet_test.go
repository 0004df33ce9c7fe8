package packet_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

func TestParse(t *testing.T) {
	syn := pkttest.TCP(t, "198.51.100.100", 40000, "203.0.113.10", 80, pkttest.Flags{SYN: true}, nil)
	udp := pkttest.UDP(t, "198.51.100.100", 5353, "203.0.113.10", 53, []byte("q"))
	padded := append(append([]byte(nil), udp...), 0, 0, 0, 0)
	badSum := append([]byte(nil), syn...)
	badSum[10] ^= 0xff
	frag := pkttest.UDP(t, "198.51.100.100", 5353, "203.0.113.10", 53, []byte("q"))
	frag[6] |= 0x20 // more fragments
	binary.BigEndian.PutUint16(frag[10:], 0)
	binary.BigEndian.PutUint16(frag[10:], packet.HeaderChecksum(frag))
	shortTCP := append([]byte(nil), syn[:30]...)
	binary.BigEndian.PutUint16(shortTCP[2:], 30)
	binary.BigEndian.PutUint16(shortTCP[10:], 0)
	binary.BigEndian.PutUint16(shortTCP[10:], packet.HeaderChecksum(shortTCP))

	tuple := func(sport, dport uint16, proto uint8) packet.Tuple {
		return packet.Tuple{Src: pkttest.Addr("198.51.100.100"), Dst: pkttest.Addr("203.0.113.10"), SrcPort: sport, DstPort: dport, Proto: proto}
	}
	runParse(t, []parseCase{
		{"tcp syn", syn, tuple(40000, 80, 6), packet.TCPSyn, len(syn), 20, nil},
		{"udp", udp, tuple(5353, 53, 17), 0, len(udp), 20, nil},
		{"link padding ignored", padded, tuple(5353, 53, 17), 0, len(udp), 20, nil},
		{"icmp has no ports", pkttest.ICMPEcho(t, "198.51.100.100", "203.0.113.10"), tuple(0, 0, 1), 0, 32, 20, nil},
		{"empty", nil, packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
		{"ip version 5", append([]byte{0x55}, make([]byte, 39)...), packet.Tuple{}, 0, 0, 0, packet.ErrVersion},
		{"truncated total length", syn[:len(syn)-1], packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
		{"bad header checksum", badSum, packet.Tuple{}, 0, 0, 0, packet.ErrChecksum},
		{"fragment", frag, packet.Tuple{}, 0, 0, 0, packet.ErrFragment},
		{"tcp header cut", shortTCP, packet.Tuple{}, 0, 0, 0, packet.ErrTruncated},
	})
}

// parseCase is a packet and what Parse returns for it: the tuple, TCP
// flags, length and transport offset of a valid packet, or the error.
type parseCase struct {
	name  string
	b     []byte
	want  packet.Tuple
	flags uint8
	len   int
	l4    int
	err   error
}

func runParse(t *testing.T, tests []parseCase) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := packet.Parse(tt.b)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if in.IPv6 == in.Src.Is4() || in.Tuple != tt.want || in.TCPFlags != tt.flags || in.Len != tt.len || in.L4 != tt.l4 {
				t.Errorf("got %+v, want tuple %+v flags %#x len %d transport at %d", in, tt.want, tt.flags, tt.len, tt.l4)
			}
		})
	}
}

func TestRewriteKeepsChecksumsValid(t *testing.T) {
	type rewrite func(b []byte, in *packet.Info)
	fip, dip := pkttest.Addr("203.0.113.10"), pkttest.Addr("10.1.0.4")
	tests := []struct {
		name string
		b    []byte
		do   rewrite
		want packet.Tuple
	}{
		{"tcp dnat ip+port", pkttest.TCP(t, "198.51.100.100", 40000, "203.0.113.10", 80, pkttest.Flags{SYN: true}, []byte("hello")),
			func(b []byte, in *packet.Info) { packet.SetDst(b, in, dip); packet.SetDstPort(b, in, 8080) },
			packet.Tuple{Src: pkttest.Addr("198.51.100.100"), Dst: dip, SrcPort: 40000, DstPort: 8080, Proto: 6}},
		{"tcp port only (odd payload)", pkttest.TCP(t, "198.51.100.100", 40000, "203.0.113.10", 80, pkttest.Flags{ACK: true}, []byte("odd")),
			func(b []byte, in *packet.Info) { packet.SetDstPort(b, in, 81) },
			packet.Tuple{Src: pkttest.Addr("198.51.100.100"), Dst: fip, SrcPort: 40000, DstPort: 81, Proto: 6}},
		{"udp reverse snat", pkttest.UDP(t, "10.1.0.4", 5300, "198.51.100.100", 40001, []byte("answer")),
			func(b []byte, in *packet.Info) { packet.SetSrc(b, in, fip); packet.SetSrcPort(b, in, 5000) },
			packet.Tuple{Src: fip, Dst: pkttest.Addr("198.51.100.100"), SrcPort: 5000, DstPort: 40001, Proto: 17}},
		{"tcp reverse snat", pkttest.TCP(t, "10.1.0.4", 8080, "198.51.100.100", 40000, pkttest.Flags{SYN: true, ACK: true}, nil),
			func(b []byte, in *packet.Info) { packet.SetSrc(b, in, fip); packet.SetSrcPort(b, in, 80) },
			packet.Tuple{Src: fip, Dst: pkttest.Addr("198.51.100.100"), SrcPort: 80, DstPort: 40000, Proto: 6}},
		{"ipv6 tcp dnat ip+port", pkttest.TCP(t, client6, 40000, fip6, 80, pkttest.Flags{SYN: true}, []byte("hello")),
			func(b []byte, in *packet.Info) {
				packet.SetDst(b, in, pkttest.Addr(dip6))
				packet.SetDstPort(b, in, 8080)
			},
			packet.Tuple{Src: pkttest.Addr(client6), Dst: pkttest.Addr(dip6), SrcPort: 40000, DstPort: 8080, Proto: 6}},
		{"ipv6 udp reverse snat (odd payload)", pkttest.UDP(t, dip6, 5300, client6, 40001, []byte("odd")),
			func(b []byte, in *packet.Info) {
				packet.SetSrc(b, in, pkttest.Addr(fip6))
				packet.SetSrcPort(b, in, 5000)
			},
			packet.Tuple{Src: pkttest.Addr(fip6), Dst: pkttest.Addr(client6), SrcPort: 5000, DstPort: 40001, Proto: 17}},
		{"ipv6 tcp behind extension headers", pkttest.WithExtensions(pkttest.TCP(t, client6, 40000, fip6, 80, pkttest.Flags{ACK: true}, []byte("x")), hopByHop, dstOpts, routed),
			func(b []byte, in *packet.Info) {
				packet.SetDst(b, in, pkttest.Addr(dip6))
				packet.SetDstPort(b, in, 8080)
			},
			packet.Tuple{Src: pkttest.Addr(client6), Dst: pkttest.Addr(dip6), SrcPort: 40000, DstPort: 8080, Proto: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := packet.Parse(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			tt.do(tt.b, &in)
			if in.Tuple != tt.want {
				t.Errorf("info tuple %+v, want %+v", in.Tuple, tt.want)
			}
			again, err := packet.Parse(tt.b)
			if err != nil {
				t.Fatalf("rewritten packet does not parse: %v", err)
			}
			if again.Tuple != tt.want {
				t.Errorf("parsed tuple %+v, want %+v", again.Tuple, tt.want)
			}
			pkttest.Decode(t, tt.b) // fails unless checksums equal a full recompute
			if got, want := binary.BigEndian.Uint16(tt.b[in.L4+csumOff(in.Proto):]), packet.TransportChecksum(tt.b, &in); got != want {
				t.Errorf("transport checksum %#04x, full recompute %#04x", got, want)
			}
		})
	}
}

func csumOff(proto uint8) int {
	if proto == packet.ProtoUDP {
		return 6
	}
	return 16
}

// TestUDPZeroChecksumStaysZero: a UDP packet sent without a checksum must
// not grow a wrong one.
func TestUDPZeroChecksumStaysZero(t *testing.T) {
	b := pkttest.UDP(t, "198.51.100.100", 1, "203.0.113.10", 2, []byte("x"))
	in, _ := packet.Parse(b)
	binary.BigEndian.PutUint16(b[in.L4+6:], 0)
	packet.SetDst(b, &in, pkttest.Addr("10.1.0.4"))
	packet.SetDstPort(b, &in, 3)
	if c := binary.BigEndian.Uint16(b[in.L4+6:]); c != 0 {
		t.Fatalf("checksum = %#x, want 0 (none)", c)
	}
	if _, err := packet.Parse(b); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(pkttest.TCP(f, "198.51.100.100", 40000, "203.0.113.10", 80, pkttest.Flags{SYN: true}, []byte("x")))
	f.Add(pkttest.UDP(f, "198.51.100.100", 1, "203.0.113.10", 53, nil))
	f.Add(pkttest.ICMPEcho(f, "198.51.100.100", "203.0.113.10"))
	f.Add(pkttest.TCP(f, "2001:db8::1", 40000, "2001:db8::10", 80, pkttest.Flags{SYN: true}, []byte("x")))
	f.Add([]byte{0x45})
	f.Fuzz(checkParsed)
}

// checkParsed is the property of both fuzz targets: a packet Parse accepts
// has offsets within it and, for TCP and UDP, rewriting every address and
// port keeps the checksum equal to a full recompute and the tuple what was
// written.
func checkParsed(t *testing.T, b []byte) {
	in, err := packet.Parse(b)
	if err != nil {
		return
	}
	if in.Len > len(b) || in.L4 > in.Len {
		t.Fatalf("bad offsets %+v for %d bytes", in, len(b))
	}
	if in.Proto != packet.ProtoTCP && in.Proto != packet.ProtoUDP {
		return
	}
	dip, fip := pkttest.Addr("10.1.0.4"), pkttest.Addr("203.0.113.10")
	if in.IPv6 {
		dip, fip = pkttest.Addr("2001:db8:1::4"), pkttest.Addr("2001:db8:ff::10")
	}
	// Give the packet a valid transport checksum, rewrite everything,
	// and require the incremental result to equal a full recompute.
	off := in.L4 + csumOff(in.Proto)
	binary.BigEndian.PutUint16(b[off:], 0)
	binary.BigEndian.PutUint16(b[off:], packet.TransportChecksum(b, &in))
	packet.SetDst(b, &in, dip)
	packet.SetDstPort(b, &in, 8080)
	packet.SetSrc(b, &in, fip)
	packet.SetSrcPort(b, &in, 80)
	again, err := packet.Parse(b)
	if err != nil {
		t.Fatalf("rewritten packet rejected: %v", err)
	}
	if again.Tuple != in.Tuple {
		t.Fatalf("tuple %+v, want %+v", again.Tuple, in.Tuple)
	}
	got := binary.BigEndian.Uint16(b[off:])
	binary.BigEndian.PutUint16(b[off:], 0)
	want := packet.TransportChecksum(b, &in)
	// 0x0000 and 0xffff are the same one's complement value.
	if got != want && got^want != 0xffff {
		t.Fatalf("incremental checksum %#04x, full recompute %#04x", got, want)
	}
}

func TestWriteResetAndTCPNext(t *testing.T) {
	tup := packet.Tuple{Src: pkttest.Addr("203.0.113.10"), Dst: pkttest.Addr("198.51.100.7"), SrcPort: 80, DstPort: 40000, Proto: packet.ProtoTCP}
	var buf [100]byte
	p := packet.WriteReset(buf[:], tup, 1000, 2000)
	in, err := packet.Parse(p)
	if err != nil {
		t.Fatalf("reset does not parse: %v", err)
	}
	if in.Tuple != tup || in.TCPFlags != packet.TCPRst|packet.TCPAck || in.Len != packet.ResetLen {
		t.Errorf("reset: %+v flags %#x", in.Tuple, in.TCPFlags)
	}
	if got := binary.BigEndian.Uint16(p[36:38]); got != packet.TransportChecksum(p, &in) {
		t.Errorf("TCP checksum %#x, want %#x", got, packet.TransportChecksum(p, &in))
	}
	if seq, ack := packet.TCPSeq(p, &in); seq != 1000 || ack != 2000 {
		t.Errorf("seq %d ack %d, want 1000 2000", seq, ack)
	}
	if n := packet.TCPNext(p, &in); n != 1000 {
		t.Errorf("TCPNext of a bare RST = %d, want 1000", n)
	}
	// SYN and FIN count one each, the payload its length.
	for _, c := range []struct {
		flags   uint8
		payload int
		want    uint32
	}{{packet.TCPSyn, 0, 1001}, {packet.TCPAck, 10, 1010}, {packet.TCPFin | packet.TCPAck, 3, 1004}} {
		seg := make([]byte, 40+c.payload)
		copy(seg, p)
		binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)))
		seg[10], seg[11] = 0, 0
		binary.BigEndian.PutUint16(seg[10:], packet.HeaderChecksum(seg))
		seg[33] = c.flags
		in, err := packet.Parse(seg)
		if err != nil {
			t.Fatal(err)
		}
		if n := packet.TCPNext(seg, &in); n != c.want {
			t.Errorf("flags %#x payload %d: TCPNext %d, want %d", c.flags, c.payload, n, c.want)
		}
	}
}

func TestWriteFragNeeded(t *testing.T) {
	orig := pkttest.TCP(t, "198.51.100.7", 40000, "203.0.113.10", 80, pkttest.Flags{ACK: true}, make([]byte, 1980))
	orig[6] |= 0x40 // DF
	binary.BigEndian.PutUint16(orig[10:], 0)
	binary.BigEndian.PutUint16(orig[10:], packet.HeaderChecksum(orig))
	in, err := packet.Parse(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !packet.DontFragment(orig) {
		t.Fatal("DF not seen")
	}
	var buf [128]byte
	p := packet.WriteFragNeeded(buf[:], orig, &in, pkttest.Addr("203.0.113.10"), 1500)
	d := pkttest.Decode(t, p) // checks the IPv4 and ICMP checksums
	if d.ICMP == nil || d.ICMP.TypeCode.Type() != 3 || d.ICMP.TypeCode.Code() != 4 {
		t.Fatalf("not an ICMP fragmentation needed: %+v", d.ICMP)
	}
	if len(p) != packet.FragNeededLen || d.IP.SrcIP.String() != "203.0.113.10" || d.IP.DstIP.String() != "198.51.100.7" {
		t.Errorf("len %d %v -> %v", len(p), d.IP.SrcIP, d.IP.DstIP)
	}
	if mtu := binary.BigEndian.Uint16(p[26:28]); mtu != 1500 {
		t.Errorf("next-hop MTU %d, want 1500", mtu)
	}
	if string(p[28:]) != string(orig[:28]) {
		t.Error("the ICMP payload is not the original header and its first 8 bytes")
	}
}
