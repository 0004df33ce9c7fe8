package suite

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/reports"
)

func TestHeaders(t *testing.T) {
	cip, fip := netip.MustParseAddr("198.51.100.101"), netip.MustParseAddr("203.0.113.10")
	m := pkt.Match{Proto: pkt.TCP, Src: cip, SrcPort: 5, Dst: fip, DstPort: 80, Flags: pkt.SYN | pkt.ACK | pkt.PSH}
	want := reports.Headers{Proto: "tcp", SrcIP: "198.51.100.101", SrcPort: 5, DstIP: "203.0.113.10", DstPort: 80, TCPFlags: "SYN|ACK"}
	if h := matchHeaders(m); h != want {
		t.Errorf("matchHeaders = %+v, want %+v (PSH is not compared)", h, want)
	}
	if h := matchHeaders(pkt.Match{}); h != (reports.Headers{}) {
		t.Errorf("matchHeaders(any) = %+v, want all fields empty", h)
	}
	frame, err := pkt.Spec{Src: fip, Dst: cip, SrcPort: 80, DstPort: 5, Flags: pkt.SYN | pkt.ACK}.Frame()
	if err != nil {
		t.Fatal(err)
	}
	want = reports.Headers{Proto: "tcp", SrcIP: "203.0.113.10", SrcPort: 80, DstIP: "198.51.100.101", DstPort: 5, TCPFlags: "SYN|ACK"}
	if h := packetHeaders(pkt.Decode(frame)); h != want {
		t.Errorf("packetHeaders = %+v, want %+v", h, want)
	}
	frame, err = pkt.Spec{Proto: pkt.UDP, Src: fip, Dst: cip, SrcPort: 53, DstPort: 5}.Frame()
	if err != nil {
		t.Fatal(err)
	}
	if h := packetHeaders(pkt.Decode(frame)); h.TCPFlags != "" || h.Proto != "udp" {
		t.Errorf("UDP packetHeaders = %+v, want no flags", h)
	}
}

// TestFieldDiffs: the field table shows the matcher's verdict. A SYN|ACK
// expectation is met by a SYN|PSH|ACK segment (flags compare SYN, ACK, FIN
// and RST), which comparing the header strings would call a mismatch.
func TestFieldDiffs(t *testing.T) {
	cip, fip, dip := netip.MustParseAddr("198.51.100.101"), netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("10.0.0.4")
	frame, err := pkt.Spec{Src: cip, Dst: dip, SrcPort: 5, DstPort: 80, Flags: pkt.SYN | pkt.ACK | pkt.PSH, Payload: []byte("hello")}.Frame()
	if err != nil {
		t.Fatal(err)
	}
	p := pkt.Decode(frame)
	m := pkt.Match{Proto: pkt.TCP, Dst: fip, DstPort: 80, Flags: pkt.SYN | pkt.ACK, Payload: "bye"}
	var got []string
	for _, d := range fieldDiffs(m, p) {
		if d.Mismatch {
			got = append(got, d.Field+": "+d.Expected+" / "+d.Observed)
		}
	}
	if want := []string{"dst: 203.0.113.10 / 10.0.0.4", "payload: bye / hello"}; strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("mismatches %q, want %q", got, want)
	}
	oh := packetHeaders(p)
	if strs := reports.Mismatches(reports.DiffHeaders(matchHeaders(m), &oh)); !strings.Contains(strings.Join(strs, ";"), "flags") {
		t.Errorf("the string comparison was expected to disagree on flags (the reason the verdict is recorded): %q", strs)
	}
}
