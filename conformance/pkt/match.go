package pkt

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/lbcheck/lbcheck/reports"
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
	// Payload, when not empty, must occur in the transport payload.
	Payload string
}

// Match reports whether p satisfies m and, if not, the first field that
// differs, e.g. "dst 10.0.0.4, want 203.0.113.10".
func (m Match) Match(p *Packet) (ok bool, why string) {
	if p == nil || !p.IsIPv4() {
		return false, "not an IPv4 packet"
	}
	if m.Proto != "" && p.Proto != m.Proto {
		return false, fmt.Sprintf("proto %s, want %s", orNone(p.Proto), m.Proto)
	}
	if m.Src.IsValid() && p.Src != m.Src {
		return false, fmt.Sprintf("src %s, want %s", p.Src, m.Src)
	}
	if m.SrcPort != 0 && p.SrcPort != m.SrcPort {
		return false, fmt.Sprintf("sport %d, want %d", p.SrcPort, m.SrcPort)
	}
	if m.Dst.IsValid() && p.Dst != m.Dst {
		return false, fmt.Sprintf("dst %s, want %s", p.Dst, m.Dst)
	}
	if m.DstPort != 0 && p.DstPort != m.DstPort {
		return false, fmt.Sprintf("dport %d, want %d", p.DstPort, m.DstPort)
	}
	if m.Flags != 0 && p.Flags&CoreFlags != m.Flags&CoreFlags {
		return false, fmt.Sprintf("flags [%s], want [%s]", p.Flags, m.Flags&CoreFlags)
	}
	if m.Payload != "" && !bytes.Contains(p.Payload, []byte(m.Payload)) {
		return false, fmt.Sprintf("payload %q does not contain %q", truncate(p.Payload, 40), m.Payload)
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

// Headers returns m as report headers (unset fields empty).
func (m Match) Headers() reports.Headers {
	h := reports.Headers{Proto: m.Proto, SrcPort: int(m.SrcPort), DstPort: int(m.DstPort), TCPFlags: (m.Flags & CoreFlags).String()}
	if m.Src.IsValid() {
		h.SrcIP = m.Src.String()
	}
	if m.Dst.IsValid() {
		h.DstIP = m.Dst.String()
	}
	return h
}

// String renders the expectation, e.g. "proto=tcp dst=10.0.0.4 dport=80".
func (m Match) String() string {
	s := FormatHeaders(m.Headers())
	if m.Payload != "" {
		s += fmt.Sprintf(" payload~%q", m.Payload)
	}
	return s
}

// MatchHeaders converts report headers back to a Match.
func MatchHeaders(h reports.Headers) (Match, error) {
	m := Match{Proto: strings.ToLower(h.Proto)}
	switch m.Proto {
	case "", TCP, UDP, ICMP:
	default:
		return Match{}, fmt.Errorf("proto %q: want %s, %s or %s", h.Proto, TCP, UDP, ICMP)
	}
	var err error
	if m.Src, err = parseAddr("srcIP", h.SrcIP); err != nil {
		return Match{}, err
	}
	if m.Dst, err = parseAddr("dstIP", h.DstIP); err != nil {
		return Match{}, err
	}
	if m.SrcPort, err = port("srcPort", h.SrcPort); err != nil {
		return Match{}, err
	}
	if m.DstPort, err = port("dstPort", h.DstPort); err != nil {
		return Match{}, err
	}
	if m.Flags, err = ParseFlags(h.TCPFlags); err != nil {
		return Match{}, err
	}
	return m, nil
}

func parseAddr(field, s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%s %q: want an IPv4 address", field, s)
	}
	return a, nil
}

func port(field string, p int) (uint16, error) {
	if p < 0 || p > 65535 {
		return 0, fmt.Errorf("%s %d: want 0..65535", field, p)
	}
	return uint16(p), nil
}

// Score counts how many of m's set fields p satisfies, out of how many are
// set (payload excluded). Harnesses use it to show the closest packet when
// nothing matches.
func (m Match) Score(p *Packet) (score, of int) {
	if p == nil || !p.IsIPv4() {
		return 0, 0
	}
	check := func(set, eq bool) {
		if set {
			of++
			if eq {
				score++
			}
		}
	}
	check(m.Proto != "", p.Proto == m.Proto)
	check(m.Src.IsValid(), p.Src == m.Src)
	check(m.SrcPort != 0, p.SrcPort == m.SrcPort)
	check(m.Dst.IsValid(), p.Dst == m.Dst)
	check(m.DstPort != 0, p.DstPort == m.DstPort)
	check(m.Flags != 0, p.Flags&CoreFlags == m.Flags&CoreFlags)
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
