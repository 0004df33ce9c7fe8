package reports

import (
	"slices"
	"strings"
	"testing"
)

func TestDiffHeaders(t *testing.T) {
	tests := []struct {
		name     string
		expected Headers
		observed *Headers
		want     []string // mismatching fields
	}{
		{"equal", Headers{Proto: "tcp", DstIP: "203.0.113.10", DstPort: 80}, &Headers{Proto: "tcp", SrcIP: "198.51.100.1", DstIP: "203.0.113.10", DstPort: 80}, nil},
		{"unset expectations accept anything", Headers{}, &Headers{Proto: "udp", SrcIP: "10.0.0.1", SrcPort: 1, DstIP: "10.0.0.2", DstPort: 2, TCPFlags: "RST"}, nil},
		{"rewritten destination", Headers{DstIP: "203.0.113.10", DstPort: 80}, &Headers{DstIP: "10.1.0.4", DstPort: 8080}, []string{"dst", "dport"}},
		{"expected field missing in observed", Headers{SrcPort: 80, TCPFlags: "SYN"}, &Headers{}, []string{"sport", "flags"}},
		{"proto case-insensitive", Headers{Proto: "TCP"}, &Headers{Proto: "tcp"}, nil},
		{"flag order and case ignored", Headers{TCPFlags: "SYN|ACK"}, &Headers{TCPFlags: "ack|syn"}, nil},
		{"flags differ", Headers{TCPFlags: "SYN|ACK"}, &Headers{TCPFlags: "RST|ACK"}, []string{"flags"}},
		{"IPv6 compared by value", Headers{SrcIP: "2001:db8::1"}, &Headers{SrcIP: "2001:0db8:0::1"}, nil},
		{"IPv4-mapped equals IPv4", Headers{SrcIP: "192.0.2.1"}, &Headers{SrcIP: "::ffff:192.0.2.1"}, nil},
		{"nothing observed is no field mismatch", Headers{DstIP: "203.0.113.10"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diffs := DiffHeaders(tt.expected, tt.observed)
			var got, fields []string
			for _, d := range diffs {
				fields = append(fields, d.Field)
				if d.Mismatch {
					got = append(got, d.Field)
				}
			}
			if want := []string{"proto", "src", "sport", "dst", "dport", "flags"}; !slices.Equal(fields, want) {
				t.Errorf("fields %v, want %v", fields, want)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("mismatches %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMismatches(t *testing.T) {
	got := Mismatches(DiffHeaders(Headers{DstIP: "203.0.113.10", TCPFlags: "SYN"}, &Headers{DstIP: "10.1.0.4"}))
	want := []string{"dst: expected 203.0.113.10, observed 10.1.0.4", "flags: expected SYN, observed none"}
	if !slices.Equal(got, want) {
		t.Errorf("Mismatches = %q, want %q", got, want)
	}
}

func TestFormatHeaders(t *testing.T) {
	tests := []struct {
		h    Headers
		want string
	}{
		{Headers{Proto: "tcp", SrcIP: "198.51.100.10", SrcPort: 40000, DstIP: "203.0.113.10", DstPort: 80, TCPFlags: "SYN"}, "tcp 198.51.100.10:40000 → 203.0.113.10:80 [SYN]"},
		{Headers{DstIP: "2001:db8::1", DstPort: 443}, "* → [2001:db8::1]:443"},
		{Headers{Proto: "icmp", SrcIP: "192.0.2.1", DstIP: "203.0.113.10"}, "icmp 192.0.2.1 → 203.0.113.10"},
	}
	for _, tt := range tests {
		if got := FormatHeaders(tt.h); got != tt.want {
			t.Errorf("FormatHeaders(%+v) = %q, want %q", tt.h, got, tt.want)
		}
	}
}

// TestCheckFieldDiffs: a check's recorded field verdicts win over
// comparing its header strings, which reports without them fall back to.
func TestCheckFieldDiffs(t *testing.T) {
	obs := Headers{Proto: "tcp", TCPFlags: "SYN|PSH|ACK"}
	c := Check{Expected: Headers{Proto: "tcp", TCPFlags: "SYN|ACK"}, Observed: &obs, OK: true}
	if m := Mismatches(c.FieldDiffs()); len(m) != 1 || !strings.HasPrefix(m[0], "flags") {
		t.Errorf("without recorded fields: %q, want the string comparison's flags mismatch", m)
	}
	c.Fields = []FieldDiff{{Field: "proto", Expected: "tcp", Observed: "tcp"}, {Field: "flags", Expected: "SYN|ACK", Observed: "SYN|PSH|ACK"}}
	if m := Mismatches(c.FieldDiffs()); len(m) != 0 {
		t.Errorf("with recorded fields: %q, want none (the harness's verdict)", m)
	}
}
