package reports

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// FieldDiff is one header field of a check: what was expected and what was
// observed. Expected is "" when the check accepts any value.
type FieldDiff struct {
	Field    string `json:"field"` // proto, src, sport, dst, dport, flags, payload
	Expected string `json:"expected,omitempty"`
	Observed string `json:"observed,omitempty"`
	// Mismatch is set when the field had an expectation and the observed
	// packet carries a different value.
	Mismatch bool `json:"mismatch,omitempty"`
}

// headerFields lists the compared fields in display order.
var headerFields = []struct {
	name  string
	get   func(Headers) string
	equal func(a, b string) bool
}{
	{"proto", func(h Headers) string { return h.Proto }, strings.EqualFold},
	{"src", func(h Headers) string { return h.SrcIP }, sameIP},
	{"sport", func(h Headers) string { return port(h.SrcPort) }, equalString},
	{"dst", func(h Headers) string { return h.DstIP }, sameIP},
	{"dport", func(h Headers) string { return port(h.DstPort) }, equalString},
	{"flags", func(h Headers) string { return h.TCPFlags }, sameFlags},
}

// DiffHeaders compares expected with observed field by field. observed is
// nil when no matching packet arrived; then every Observed is "" and no
// field is a Mismatch (the whole check failed, not a field).
func DiffHeaders(expected Headers, observed *Headers) []FieldDiff {
	out := make([]FieldDiff, 0, len(headerFields))
	for _, f := range headerFields {
		d := FieldDiff{Field: f.name, Expected: f.get(expected)}
		if observed != nil {
			d.Observed = f.get(*observed)
			d.Mismatch = d.Expected != "" && !f.equal(d.Expected, d.Observed)
		}
		out = append(out, d)
	}
	return out
}

// Mismatches lists the fields of DiffHeaders that differ, as
// "dst: expected 203.0.113.10, observed 10.1.0.4", for one-line messages
// such as JUnit's.
func Mismatches(diffs []FieldDiff) []string {
	var out []string
	for _, d := range diffs {
		if d.Mismatch {
			out = append(out, d.Field+": expected "+d.Expected+", observed "+orNone(d.Observed))
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func port(p int) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(p)
}

func equalString(a, b string) bool { return a == b }

// sameIP compares addresses by value when both parse ("::1" == "0::1") and
// textually otherwise.
func sameIP(a, b string) bool {
	pa, errA := netip.ParseAddr(a)
	pb, errB := netip.ParseAddr(b)
	if errA == nil && errB == nil {
		return pa.Unmap() == pb.Unmap()
	}
	return a == b
}

// sameFlags compares TCP flag sets regardless of order and case:
// "SYN|ACK" equals "ack|syn".
func sameFlags(a, b string) bool {
	return slices.Equal(flagSet(a), flagSet(b))
}

func flagSet(s string) []string {
	parts := strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool { return r == '|' || r == ',' || r == ' ' })
	slices.Sort(parts)
	return slices.Compact(parts)
}

// FormatHeaders renders h on one line, e.g.
// "tcp 198.51.100.10:40000 → 203.0.113.10:80 [SYN]"; an unset address is
// "*" and unset ports and flags are left out.
func FormatHeaders(h Headers) string {
	var b strings.Builder
	if h.Proto != "" {
		b.WriteString(h.Proto)
		b.WriteByte(' ')
	}
	b.WriteString(endpoint(h.SrcIP, h.SrcPort))
	b.WriteString(" → ")
	b.WriteString(endpoint(h.DstIP, h.DstPort))
	if h.TCPFlags != "" {
		b.WriteString(" [" + h.TCPFlags + "]")
	}
	return b.String()
}

func endpoint(ip string, p int) string {
	if ip == "" {
		ip = "*"
	}
	if p == 0 {
		return ip
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	return ip + ":" + strconv.Itoa(p)
}
