package pkt

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// Match is a partial expectation about a packet. A zero field means "any".
// Only IPv4 packets can match.
type Match struct {
	Proto   string // TCP, UDP or ICMP
	Src     netip.Addr
	SrcPort uint16
	Dst     netip.Addr
	DstPort uint16
	// Flags, when not zero, must equal the packet's CoreFlags (SYN, ACK,
	// FIN, RST); PSH, URG, ECE and CWR are ignored.
	Flags Flags
	// Has, when not zero, are flags the packet must have, with any others
	// (Has: RST matches RST and RST|ACK).
	Has Flags
	// Payload, when not empty, must occur in the transport payload.
	Payload string
}

// FieldDiff is one field a Match sets, compared with a packet: what the
// Match wants, what the packet has, and whether they agree.
type FieldDiff struct {
	Field     string // proto, src, sport, dst, dport, flags, payload
	Want, Got string
	OK        bool
}

// Compare compares each field m sets with p, in the order proto, src,
// sport, dst, dport, flags, has, payload. It is the one comparison Match, Score
// and the reports' field tables rest on. p must be an IPv4 packet.
func (m Match) Compare(p *Packet) []FieldDiff {
	var out []FieldDiff
	add := func(set bool, field, want, got string, ok bool) {
		if set {
			out = append(out, FieldDiff{Field: field, Want: want, Got: got, OK: ok})
		}
	}
	add(m.Proto != "", "proto", m.Proto, orNone(p.Proto), p.Proto == m.Proto)
	add(m.Src.IsValid(), "src", m.Src.String(), p.Src.String(), p.Src == m.Src)
	add(m.SrcPort != 0, "sport", fmt.Sprint(m.SrcPort), fmt.Sprint(p.SrcPort), p.SrcPort == m.SrcPort)
	add(m.Dst.IsValid(), "dst", m.Dst.String(), p.Dst.String(), p.Dst == m.Dst)
	add(m.DstPort != 0, "dport", fmt.Sprint(m.DstPort), fmt.Sprint(p.DstPort), p.DstPort == m.DstPort)
	add(m.Flags != 0, "flags", (m.Flags & CoreFlags).String(), p.Flags.String(), p.Flags&CoreFlags == m.Flags&CoreFlags)
	add(m.Has != 0, "has", m.Has.String(), p.Flags.String(), p.Flags&m.Has == m.Has)
	add(m.Payload != "", "payload", m.Payload, truncate(p.Payload, 40), bytes.Contains(p.Payload, []byte(m.Payload)))
	return out
}

// Match reports whether p satisfies m and, if not, the first field that
// differs, e.g. "dst 10.0.0.4, want 203.0.113.10".
func (m Match) Match(p *Packet) (ok bool, why string) {
	if p == nil || !p.IsIPv4() {
		return false, "not an IPv4 packet"
	}
	for _, d := range m.Compare(p) {
		switch {
		case d.OK:
		case d.Field == "flags":
			return false, fmt.Sprintf("flags [%s], want [%s]", d.Got, d.Want)
		case d.Field == "has":
			return false, fmt.Sprintf("flags [%s], want [%s] among them", d.Got, d.Want)
		case d.Field == "payload":
			return false, fmt.Sprintf("payload %q does not contain %q", d.Got, d.Want)
		default:
			return false, fmt.Sprintf("%s %s, want %s", d.Field, d.Got, d.Want)
		}
	}
	return true, ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// String renders the expectation, e.g. "proto=tcp dst=10.0.0.4 dport=80";
// the empty Match is "any packet".
func (m Match) String() string {
	var parts []string
	field := func(set bool, name string, v any) {
		if set {
			parts = append(parts, fmt.Sprintf("%s=%v", name, v))
		}
	}
	field(m.Proto != "", "proto", m.Proto)
	field(m.Src.IsValid(), "src", m.Src)
	field(m.SrcPort != 0, "sport", m.SrcPort)
	field(m.Dst.IsValid(), "dst", m.Dst)
	field(m.DstPort != 0, "dport", m.DstPort)
	field(m.Flags&CoreFlags != 0, "flags", m.Flags&CoreFlags)
	field(m.Has != 0, "has", m.Has)
	if m.Payload != "" {
		parts = append(parts, fmt.Sprintf("payload~%q", m.Payload))
	}
	if len(parts) == 0 {
		return "any packet"
	}
	return strings.Join(parts, " ")
}

// Score counts how many of m's set fields p satisfies, out of how many are
// set (payload excluded). Harnesses use it to show the closest packet when
// nothing matches.
func (m Match) Score(p *Packet) (score, of int) {
	if p == nil || !p.IsIPv4() {
		return 0, 0
	}
	for _, d := range m.Compare(p) {
		if d.Field == "payload" {
			continue
		}
		of++
		if d.OK {
			score++
		}
	}
	return score, of
}

// Closest returns the index of the packet that satisfies most of m's set
// fields, provided it has m's protocol and satisfies more than half of the
// set fields; -1 when none is that close.
func (m Match) Closest(ps []*Packet) int {
	best, bestScore := -1, 0
	for i, p := range ps {
		if p == nil || (m.Proto != "" && p.Proto != m.Proto) {
			continue
		}
		score, of := m.Score(p)
		if 2*score > of && score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
