package packet_test

import (
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

// benchPackets are a client's TCP segment with 64 bytes of data to a
// frontend, per family, and the DIP a rule with Floating IP off maps it to.
func benchPackets(b *testing.B) []struct {
	name string
	pkt  []byte
	dip  packet.Addr
} {
	ack := pkttest.Flags{ACK: true}
	v6 := pkttest.TCP(b, client6, 40000, fip6, 80, ack, make([]byte, 64))
	return []struct {
		name string
		pkt  []byte
		dip  packet.Addr
	}{
		{"ipv4", pkttest.TCP(b, "198.51.100.100", 40000, "203.0.113.10", 80, ack, make([]byte, 64)), pkttest.Addr("10.1.0.4")},
		{"ipv6", v6, pkttest.Addr(dip6)},
		{"ipv6-extensions", pkttest.WithExtensions(v6, hopByHop, dstOpts), pkttest.Addr(dip6)},
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range benchPackets(b) {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := packet.Parse(bc.pkt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRewrite parses a packet and rewrites its destination address
// and port (Floating IP off), then back: two of the host's rewrites.
func BenchmarkRewrite(b *testing.B) {
	for _, bc := range benchPackets(b) {
		b.Run(bc.name, func(b *testing.B) {
			in, err := packet.Parse(bc.pkt)
			if err != nil {
				b.Fatal(err)
			}
			fip := in.Dst
			b.ReportAllocs()
			for b.Loop() {
				in, _ := packet.Parse(bc.pkt)
				packet.SetDst(bc.pkt, &in, bc.dip)
				packet.SetDstPort(bc.pkt, &in, 8080)
				packet.SetDst(bc.pkt, &in, fip)
				packet.SetDstPort(bc.pkt, &in, 80)
			}
		})
	}
}
