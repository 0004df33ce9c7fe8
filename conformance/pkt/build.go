package pkt

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Transport protocol names, as in reports.Headers.Proto.
const (
	TCP  = "tcp"
	UDP  = "udp"
	ICMP = "icmp"
)

// Defaults used by Spec.Frame for fields left at their zero value.
var (
	DefaultSrcMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	DefaultDstMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	DefaultSrc     = netip.MustParseAddr("198.51.100.100")
	DefaultDst     = netip.MustParseAddr("203.0.113.10")
	DefaultSrcPort = uint16(40000)
	DefaultDstPort = uint16(80)
)

const (
	defaultTTL    = 64
	defaultID     = 1
	defaultSeq    = 1000
	defaultWindow = 64240
)

// Spec describes one Ethernet/IPv4 frame to build. Every zero field takes a
// default: MACs and addresses from the Default* variables, TTL 64, IP ID 1,
// protocol TCP, TCP flags SYN, sequence number 1000, window 64240, ICMP echo
// request (so an ICMP echo reply cannot be crafted; the harness never sends
// one). Lengths and checksums are always computed.
type Spec struct {
	Proto            string // TCP, UDP or ICMP; default TCP
	SrcMAC, DstMAC   net.HardwareAddr
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16 // TCP and UDP
	TTL              uint8
	ID               uint16 // IPv4 identification
	Flags            Flags  // TCP; default SYN
	Seq, Ack         uint32 // TCP
	Window           uint16 // TCP
	ICMPType         uint8  // default 8 (echo request)
	ICMPCode         uint8
	ICMPID, ICMPSeq  uint16
	Payload          []byte
}

// withDefaults returns s with every zero field replaced by its default.
func (s Spec) withDefaults() Spec {
	if s.SrcMAC == nil {
		s.SrcMAC = DefaultSrcMAC
	}
	if s.DstMAC == nil {
		s.DstMAC = DefaultDstMAC
	}
	s.Proto = cmp.Or(s.Proto, TCP)
	s.Src = cmp.Or(s.Src, DefaultSrc) // the zero Addr is the only invalid one
	s.Dst = cmp.Or(s.Dst, DefaultDst)
	s.SrcPort = cmp.Or(s.SrcPort, DefaultSrcPort)
	s.DstPort = cmp.Or(s.DstPort, DefaultDstPort)
	s.TTL = cmp.Or(s.TTL, defaultTTL)
	s.ID = cmp.Or(s.ID, defaultID)
	s.Flags = cmp.Or(s.Flags, SYN)
	s.Seq = cmp.Or(s.Seq, defaultSeq)
	s.Window = cmp.Or(s.Window, defaultWindow)
	if s.ICMPType == 0 && s.ICMPCode == 0 {
		s.ICMPType = layers.ICMPv4TypeEchoRequest
	}
	return s
}

// Frame serialises the frame with lengths and checksums computed.
func (s Spec) Frame() ([]byte, error) {
	s = s.withDefaults()
	if !s.Src.Is4() || !s.Dst.Is4() {
		return nil, fmt.Errorf("pkt: %v -> %v: only IPv4 frames can be built", s.Src, s.Dst)
	}
	eth := &layers.Ethernet{SrcMAC: s.SrcMAC, DstMAC: s.DstMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{
		Version: 4, IHL: 5, TTL: s.TTL, Id: s.ID, Flags: layers.IPv4DontFragment,
		SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice(),
	}
	var l4 gopacket.SerializableLayer
	switch s.Proto {
	case TCP:
		ip.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{
			SrcPort: layers.TCPPort(s.SrcPort), DstPort: layers.TCPPort(s.DstPort),
			Seq: s.Seq, Ack: s.Ack, Window: s.Window,
			FIN: s.Flags&FIN != 0, SYN: s.Flags&SYN != 0, RST: s.Flags&RST != 0, PSH: s.Flags&PSH != 0,
			ACK: s.Flags&ACK != 0, URG: s.Flags&URG != 0, ECE: s.Flags&ECE != 0, CWR: s.Flags&CWR != 0,
		}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			return nil, fmt.Errorf("pkt: %w", err)
		}
		l4 = tcp
	case UDP:
		ip.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(s.SrcPort), DstPort: layers.UDPPort(s.DstPort)}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			return nil, fmt.Errorf("pkt: %w", err)
		}
		l4 = udp
	case ICMP:
		ip.Protocol = layers.IPProtocolICMPv4
		l4 = &layers.ICMPv4{
			TypeCode: layers.CreateICMPv4TypeCode(s.ICMPType, s.ICMPCode),
			Id:       s.ICMPID, Seq: s.ICMPSeq,
		}
	default:
		return nil, fmt.Errorf("pkt: unknown protocol %q (want %s, %s or %s)", s.Proto, TCP, UDP, ICMP)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, l4, gopacket.Payload(s.Payload)); err != nil {
		return nil, fmt.Errorf("pkt: serialising %s frame: %w", s.Proto, err)
	}
	return buf.Bytes(), nil
}
