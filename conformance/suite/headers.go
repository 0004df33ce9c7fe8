package suite

import (
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/reports"
)

// The report's header fields are what the suite records of packets and
// expectations; pkt knows nothing of reports.

// packetHeaders returns the fields of p a report shows and compares.
func packetHeaders(p *pkt.Packet) reports.Headers {
	h := reports.Headers{Proto: p.Proto, SrcPort: int(p.SrcPort), DstPort: int(p.DstPort)}
	if p.IsIPv4() {
		h.SrcIP, h.DstIP = p.Src.String(), p.Dst.String()
	}
	if p.Proto == pkt.TCP {
		h.TCPFlags = p.Flags.String()
	}
	return h
}

// matchHeaders returns the fields m expects as report headers; an unset
// field is empty (any value).
func matchHeaders(m pkt.Match) reports.Headers {
	h := reports.Headers{Proto: m.Proto, SrcPort: int(m.SrcPort), DstPort: int(m.DstPort), TCPFlags: (m.Flags & pkt.CoreFlags).String()}
	if m.Src.IsValid() {
		h.SrcIP = m.Src.String()
	}
	if m.Dst.IsValid() {
		h.DstIP = m.Dst.String()
	}
	if m.Flags == 0 && m.Has != 0 {
		h.TCPFlags = m.Has.String() + " (and any)"
	}
	return h
}

// fieldDiffs is the field table of a check whose packet p arrived: every
// header field with what m expects and p carries, a mismatch exactly where
// m's own comparison (pkt.Match.Compare) finds one, and the payload when
// m expects one it lacks.
func fieldDiffs(m pkt.Match, p *pkt.Packet) []reports.FieldDiff {
	got := packetHeaders(p)
	rows := reports.DiffHeaders(matchHeaders(m), &got)
	bad := map[string]pkt.FieldDiff{}
	if p.IsIPv4() {
		for _, d := range m.Compare(p) {
			if !d.OK && d.Field == "has" {
				bad["flags"] = d // the report has one flags column
			} else if !d.OK {
				bad[d.Field] = d
			}
		}
	}
	for i := range rows {
		_, rows[i].Mismatch = bad[rows[i].Field]
	}
	if d, ok := bad["payload"]; ok {
		rows = append(rows, reports.FieldDiff{Field: "payload", Expected: d.Want, Observed: d.Got, Mismatch: true})
	}
	return rows
}
