// Package pkt builds and decodes the Ethernet/IPv4 frames the conformance
// harness sends and observes, and matches observed frames against partial
// header expectations.
//
// Builders default every field (MACs, TTL 64, ports, sequence numbers,
// flags), so a case states only what it checks:
//
//	frame, err := pkt.Spec{Dst: fip, DstPort: 80}.Frame() // a TCP SYN
//
// Matchers compare only the fields that are set and explain a mismatch:
//
//	ok, why := pkt.Match{Proto: pkt.TCP, Dst: dip, DstPort: 8080}.Match(p)
//
// Decode never panics, whatever the bytes: a frame it cannot parse decodes
// to a Packet with only the fields it could read.
package pkt
