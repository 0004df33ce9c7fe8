// Package pkttest builds IPv4 and IPv6 test packets with gopacket and checks
// that packets the forwarder rewrote still carry valid checksums. It is
// shared by the refimpl packages' tests.
package pkttest

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

// Flags are the TCP flags, and the sequence and acknowledgement numbers
// (Seq 0 means 1000), for TCP.
type Flags struct {
	SYN, ACK, FIN, RST bool
	Seq, Ack           uint32
}

// TCP builds a TCP packet with valid checksums: IPv4 when src is an IPv4
// address, else IPv6.
func TCP(tb testing.TB, src string, sport uint16, dst string, dport uint16, f Flags, payload []byte) []byte {
	tb.Helper()
	ip, nl := network(src, dst, layers.IPProtocolTCP)
	seq := f.Seq
	if seq == 0 {
		seq = 1000
	}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: f.Ack, Window: 64240,
		SYN: f.SYN, ACK: f.ACK, FIN: f.FIN, RST: f.RST}
	if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
		tb.Fatal(err)
	}
	return serialize(tb, ip, tcp, gopacket.Payload(payload))
}

// UDP builds a UDP packet with valid checksums, IPv4 or IPv6 as TCP does.
func UDP(tb testing.TB, src string, sport uint16, dst string, dport uint16, payload []byte) []byte {
	tb.Helper()
	ip, nl := network(src, dst, layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := udp.SetNetworkLayerForChecksum(nl); err != nil {
		tb.Fatal(err)
	}
	return serialize(tb, ip, udp, gopacket.Payload(payload))
}

// ICMPEcho builds an ICMP echo request: ICMPv4 over IPv4 when src is an
// IPv4 address, else ICMPv6 over IPv6.
func ICMPEcho(tb testing.TB, src, dst string) []byte {
	tb.Helper()
	if is4(src) {
		ip, _ := network(src, dst, layers.IPProtocolICMPv4)
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}
		return serialize(tb, ip, icmp, gopacket.Payload("ping"))
	}
	ip, nl := network(src, dst, layers.IPProtocolICMPv6)
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	if err := icmp.SetNetworkLayerForChecksum(nl); err != nil {
		tb.Fatal(err)
	}
	return serialize(tb, ip, icmp, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, gopacket.Payload("ping"))
}

func is4(addr string) bool { return net.ParseIP(addr).To4() != nil }

// network returns the IP layer from src to dst carrying proto, IPv4 when
// src is an IPv4 address, else IPv6, as a layer to serialize and as the
// network layer of the transport checksum.
func network(src, dst string, proto layers.IPProtocol) (gopacket.SerializableLayer, gopacket.NetworkLayer) {
	if is4(src) {
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: 7, Protocol: proto,
			SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
		return ip, ip
	}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	return ip, ip
}

func serialize(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		tb.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// Extension is an IPv6 extension header: its type (the Next Header value
// naming it) and the bytes after its Next Header and Hdr Ext Len fields,
// padded with zeros to a multiple of 8 bytes (zeros are Pad1 options in
// options headers).
type Extension struct {
	Type uint8
	Body []byte
}

// WithExtensions returns a copy of the IPv6 packet b with exts inserted,
// in order, between its fixed header and what followed it, the payload
// length and the Next Header chain fixed. The transport checksum stays
// valid: the pseudo-header holds neither.
func WithExtensions(b []byte, exts ...Extension) []byte {
	out := append([]byte(nil), b[:40]...)
	next := b[6]
	out[6] = exts[0].Type
	for i, e := range exts {
		nh := next
		if i+1 < len(exts) {
			nh = exts[i+1].Type
		}
		h := append([]byte{nh, 0}, e.Body...)
		for len(h)%8 != 0 {
			h = append(h, 0)
		}
		h[1] = byte(len(h)/8 - 1)
		out = append(out, h...)
	}
	out = append(out, b[40:]...)
	plen := len(out) - 40
	out[4], out[5] = byte(plen>>8), byte(plen)
	return out
}

// Decoded is a decoded IPv4 (IP) or IPv6 (IP6) packet with its transport
// layer.
type Decoded struct {
	IP    *layers.IPv4
	IP6   *layers.IPv6
	TCP   *layers.TCP
	UDP   *layers.UDP
	ICMP  *layers.ICMPv4
	ICMP6 *layers.ICMPv6
}

// Src returns the source address.
func (d Decoded) Src() netip.Addr {
	if d.IP6 != nil {
		return addr(d.IP6.SrcIP)
	}
	return addr(d.IP.SrcIP)
}

// Dst returns the destination address.
func (d Decoded) Dst() netip.Addr {
	if d.IP6 != nil {
		return addr(d.IP6.DstIP)
	}
	return addr(d.IP.DstIP)
}

// TTL returns the IPv4 time to live or the IPv6 hop limit.
func (d Decoded) TTL() uint8 {
	if d.IP6 != nil {
		return d.IP6.HopLimit
	}
	return d.IP.TTL
}

func addr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// Decode decodes b with gopacket and fails the test unless its checksums
// are exactly what a full recompute by gopacket gives: the IPv4 header
// checksum and the TCP/UDP/ICMP checksum, or for IPv6 (extension headers
// skipped) the TCP/UDP/ICMPv6 checksum over the IPv6 pseudo-header.
func Decode(tb testing.TB, b []byte) Decoded {
	tb.Helper()
	var (
		d       Decoded
		ip      layers.IPv4
		ip6     layers.IPv6
		ext     layers.IPv6ExtensionSkipper
		tcp     layers.TCP
		udp     layers.UDP
		icmp    layers.ICMPv4
		icmp6   layers.ICMPv6
		payload gopacket.Payload
		found   []gopacket.LayerType
	)
	first := layers.LayerTypeIPv4
	if len(b) > 0 && b[0]>>4 == 6 {
		first = layers.LayerTypeIPv6
	}
	// A parser of exactly these layers: payloads are never decoded as
	// applications (port 53 is not DNS here).
	p := gopacket.NewDecodingLayerParser(first, &ip, &ip6, &ext, &tcp, &udp, &icmp, &icmp6, &payload)
	p.IgnoreUnsupported = true
	if err := p.DecodeLayers(b, &found); err != nil {
		tb.Fatalf("decode: %v", err)
	}
	for _, l := range found {
		switch l {
		case layers.LayerTypeIPv4:
			d.IP = &ip
		case layers.LayerTypeIPv6:
			d.IP6 = &ip6
		case layers.LayerTypeTCP:
			d.TCP = &tcp
		case layers.LayerTypeUDP:
			d.UDP = &udp
		case layers.LayerTypeICMPv4:
			d.ICMP = &icmp
		case layers.LayerTypeICMPv6:
			d.ICMP6 = &icmp6
		}
	}
	if d.IP6 != nil {
		check6(tb, b, d)
		return d
	}
	want := *d.IP
	ls := append([]gopacket.SerializableLayer{&want}, d.transport(&want)...)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, ls...); err != nil {
		tb.Fatalf("re-serialize: %v", err)
	}
	if got := buf.Bytes(); !bytes.Equal(got, b[:len(got)]) {
		tb.Fatalf("checksums differ from a full recompute:\n got  %x\n want %x", b[:len(got)], got)
	}
	return d
}

// check6 is Decode's check of an IPv6 packet: its transport segment,
// re-serialized with the checksum computed over the IPv6 pseudo-header,
// must equal the end of the packet (the IPv6 header has no checksum).
func check6(tb testing.TB, b []byte, d Decoded) {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, d.transport(d.IP6)...); err != nil {
		tb.Fatalf("re-serialize: %v", err)
	}
	end := 40 + int(d.IP6.Length)
	if end > len(b) {
		tb.Fatalf("payload length %d, but %d bytes after the IPv6 header", d.IP6.Length, len(b)-40)
	}
	got, want := b[max(end-len(buf.Bytes()), 0):end], buf.Bytes()
	if !bytes.Equal(got, want) {
		tb.Fatalf("checksums differ from a full recompute:\n got  %x\n want %x", got, want)
	}
}

// transport returns copies of d's transport layer and its payload, to
// re-serialize with the checksum computed over network layer nl.
func (d Decoded) transport(nl gopacket.NetworkLayer) []gopacket.SerializableLayer {
	switch {
	case d.TCP != nil:
		c := *d.TCP
		_ = c.SetNetworkLayerForChecksum(nl)
		return []gopacket.SerializableLayer{&c, gopacket.Payload(d.TCP.Payload)}
	case d.UDP != nil:
		c := *d.UDP
		_ = c.SetNetworkLayerForChecksum(nl)
		return []gopacket.SerializableLayer{&c, gopacket.Payload(d.UDP.Payload)}
	case d.ICMP != nil:
		c := *d.ICMP
		return []gopacket.SerializableLayer{&c, gopacket.Payload(d.ICMP.Payload)}
	case d.ICMP6 != nil:
		c := *d.ICMP6
		_ = c.SetNetworkLayerForChecksum(nl)
		return []gopacket.SerializableLayer{&c, gopacket.Payload(d.ICMP6.Payload)}
	}
	return nil
}

// Addr parses an IPv4 or IPv6 address into the forwarder's form.
func Addr(s string) packet.Addr { return packet.AddrFrom(netip.MustParseAddr(s)) }
