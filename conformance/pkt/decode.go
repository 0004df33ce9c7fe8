package pkt

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Packet is a decoded Ethernet frame: the header fields the harness compares.
// Fields a frame does not carry (or that could not be decoded) are zero.
type Packet struct {
	Data      []byte // the whole frame
	SrcMAC    net.HardwareAddr
	DstMAC    net.HardwareAddr
	EtherType layers.EthernetType
	Src, Dst  netip.Addr // IPv4 addresses; invalid if the frame is not IPv4
	TTL       uint8
	IPProto   layers.IPProtocol
	Proto     string // TCP, UDP, ICMP or "" for other frames
	SrcPort   uint16
	DstPort   uint16
	Flags     Flags  // TCP
	Seq, Ack  uint32 // TCP
	ICMPType  uint8
	ICMPCode  uint8
	Payload   []byte // transport payload
}

// Decode parses an Ethernet frame. It never panics: garbage decodes to a
// Packet with only the fields that could be read. The returned Packet refers
// to data; do not modify data afterwards.
func Decode(data []byte) *Packet {
	p := &Packet{Data: data}
	var (
		eth     layers.Ethernet
		ip      layers.IPv4
		tcp     layers.TCP
		udp     layers.UDP
		icmp    layers.ICMPv4
		arp     layers.ARP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip, &tcp, &udp, &icmp, &arp, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 4)
	// An error means a truncated or malformed layer: keep what decoded.
	_ = parser.DecodeLayers(data, &decoded)
	for _, lt := range decoded {
		switch lt {
		case layers.LayerTypeEthernet:
			p.SrcMAC, p.DstMAC, p.EtherType = eth.SrcMAC, eth.DstMAC, eth.EthernetType
		case layers.LayerTypeIPv4:
			p.Src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			p.Dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
			p.TTL, p.IPProto = ip.TTL, ip.Protocol
		case layers.LayerTypeTCP:
			p.Proto, p.SrcPort, p.DstPort = TCP, uint16(tcp.SrcPort), uint16(tcp.DstPort)
			p.Seq, p.Ack, p.Flags, p.Payload = tcp.Seq, tcp.Ack, tcpFlags(&tcp), tcp.Payload
		case layers.LayerTypeUDP:
			p.Proto, p.SrcPort, p.DstPort, p.Payload = UDP, uint16(udp.SrcPort), uint16(udp.DstPort), udp.Payload
		case layers.LayerTypeICMPv4:
			p.Proto, p.ICMPType, p.ICMPCode, p.Payload = ICMP, icmp.TypeCode.Type(), icmp.TypeCode.Code(), icmp.Payload
		}
	}
	return p
}

func tcpFlags(t *layers.TCP) Flags {
	var f Flags
	for _, b := range []struct {
		set bool
		f   Flags
	}{{t.FIN, FIN}, {t.SYN, SYN}, {t.RST, RST}, {t.PSH, PSH}, {t.ACK, ACK}, {t.URG, URG}, {t.ECE, ECE}, {t.CWR, CWR}} {
		if b.set {
			f |= b.f
		}
	}
	return f
}

// IsIPv4 reports whether the frame carried a decodable IPv4 header.
func (p *Packet) IsIPv4() bool { return p.Src.IsValid() }

// String is a one-line summary in tcpdump's spirit, e.g.
// "tcp 198.51.100.101:40000 > 10.0.0.4:80 [SYN] seq 1000 len 0".
func (p *Packet) String() string {
	switch {
	case p.Proto == TCP:
		return fmt.Sprintf("tcp %s > %s [%s] seq %d ack %d len %d", addrPort(p.Src, p.SrcPort), addrPort(p.Dst, p.DstPort), p.Flags, p.Seq, p.Ack, len(p.Payload))
	case p.Proto == UDP:
		return fmt.Sprintf("udp %s > %s len %d", addrPort(p.Src, p.SrcPort), addrPort(p.Dst, p.DstPort), len(p.Payload))
	case p.Proto == ICMP:
		return fmt.Sprintf("icmp %s > %s type %d code %d", p.Src, p.Dst, p.ICMPType, p.ICMPCode)
	case p.IsIPv4():
		return fmt.Sprintf("ip proto %d %s > %s", p.IPProto, p.Src, p.Dst)
	case p.EtherType == layers.EthernetTypeARP:
		return fmt.Sprintf("arp %s > %s", p.SrcMAC, p.DstMAC)
	case p.SrcMAC != nil:
		return fmt.Sprintf("ethertype %#04x %s > %s len %d", uint16(p.EtherType), p.SrcMAC, p.DstMAC, len(p.Data))
	default:
		return fmt.Sprintf("undecodable frame, %d bytes", len(p.Data))
	}
}

func addrPort(a netip.Addr, port uint16) string {
	if !a.IsValid() {
		return fmt.Sprintf("?:%d", port)
	}
	return netip.AddrPortFrom(a, port).String()
}
