// Package pkttest builds IPv4 test packets with gopacket and checks that
// packets the forwarder rewrote still carry valid checksums. It is shared by
// the refimpl packages' tests.
package pkttest

import (
	"bytes"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Flags are the TCP flags, and the sequence and acknowledgement numbers
// (Seq 0 means 1000), for TCP.
type Flags struct {
	SYN, ACK, FIN, RST bool
	Seq, Ack           uint32
}

// TCP builds an IPv4/TCP packet with valid checksums.
func TCP(tb testing.TB, src string, sport uint16, dst string, dport uint16, f Flags, payload []byte) []byte {
	tb.Helper()
	ip := ipv4(src, dst, layers.IPProtocolTCP)
	seq := f.Seq
	if seq == 0 {
		seq = 1000
	}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: f.Ack, Window: 64240,
		SYN: f.SYN, ACK: f.ACK, FIN: f.FIN, RST: f.RST}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	return serialize(tb, ip, tcp, gopacket.Payload(payload))
}

// UDP builds an IPv4/UDP packet with valid checksums.
func UDP(tb testing.TB, src string, sport uint16, dst string, dport uint16, payload []byte) []byte {
	tb.Helper()
	ip := ipv4(src, dst, layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	return serialize(tb, ip, udp, gopacket.Payload(payload))
}

// ICMPEcho builds an IPv4 ICMP echo request.
func ICMPEcho(tb testing.TB, src, dst string) []byte {
	tb.Helper()
	ip := ipv4(src, dst, layers.IPProtocolICMPv4)
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}
	return serialize(tb, ip, icmp, gopacket.Payload("ping"))
}

func ipv4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Id: 7, Protocol: proto,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func serialize(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		tb.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// Decoded is a decoded IPv4 packet with its transport layer.
type Decoded struct {
	IP   *layers.IPv4
	TCP  *layers.TCP
	UDP  *layers.UDP
	ICMP *layers.ICMPv4
}

// Decode decodes b with gopacket and fails the test unless the IPv4 header
// checksum and the TCP/UDP (or ICMP) checksum are exactly what a full
// recompute gives.
func Decode(tb testing.TB, b []byte) Decoded {
	tb.Helper()
	var (
		d       Decoded
		ip      layers.IPv4
		tcp     layers.TCP
		udp     layers.UDP
		icmp    layers.ICMPv4
		payload gopacket.Payload
		found   []gopacket.LayerType
	)
	// A parser of exactly these layers: payloads are never decoded as
	// applications (port 53 is not DNS here).
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeIPv4, &ip, &tcp, &udp, &icmp, &payload)
	p.IgnoreUnsupported = true
	if err := p.DecodeLayers(b, &found); err != nil {
		tb.Fatalf("decode: %v", err)
	}
	d.IP = &ip
	for _, l := range found {
		switch l {
		case layers.LayerTypeTCP:
			d.TCP = &tcp
		case layers.LayerTypeUDP:
			d.UDP = &udp
		case layers.LayerTypeICMPv4:
			d.ICMP = &icmp
		}
	}
	want := *d.IP
	ls := []gopacket.SerializableLayer{&want}
	switch {
	case d.TCP != nil:
		c := *d.TCP
		_ = c.SetNetworkLayerForChecksum(&want)
		ls = append(ls, &c, gopacket.Payload(d.TCP.Payload))
	case d.UDP != nil:
		c := *d.UDP
		_ = c.SetNetworkLayerForChecksum(&want)
		ls = append(ls, &c, gopacket.Payload(d.UDP.Payload))
	case d.ICMP != nil:
		c := *d.ICMP
		ls = append(ls, &c, gopacket.Payload(d.ICMP.Payload))
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, ls...); err != nil {
		tb.Fatalf("re-serialize: %v", err)
	}
	if got := buf.Bytes(); !bytes.Equal(got, b[:len(got)]) {
		tb.Fatalf("checksums differ from a full recompute:\n got  %x\n want %x", b[:len(got)], got)
	}
	return d
}
