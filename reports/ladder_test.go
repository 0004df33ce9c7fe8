package reports

import (
	"slices"
	"strings"
	"testing"
)

func TestBuildLadder(t *testing.T) {
	syn := Headers{Proto: "tcp", SrcIP: "198.51.100.10", SrcPort: 40000, DstIP: "203.0.113.10", DstPort: 80, TCPFlags: "SYN"}
	synDIP := syn
	synDIP.DstIP = "10.1.0.4"
	synack := Headers{Proto: "tcp", SrcIP: "203.0.113.10", SrcPort: 80, DstIP: "198.51.100.10", DstPort: 40000, TCPFlags: "SYN|ACK"}
	hop := func(point, dir string, seen bool, h Headers) Hop {
		return Hop{Point: point, Direction: dir, Seen: seen, Headers: h}
	}
	checked := func(h Hop, check int) Hop { h.Check = check; return h }
	full := []Hop{
		hop("client", "request", true, syn), hop("mux", "request", true, syn), hop("host", "request", true, syn),
		hop("vm", "request", true, syn), hop("vm", "reply", true, synack), hop("host", "reply", true, synack),
		hop("client", "reply", true, synack),
	}
	type row struct {
		kind   string
		origin bool
		from   string // column the arrow starts at ("" for an origin)
	}
	tests := []struct {
		name   string
		hops   []Hop
		checks []Check
		want   []row
	}{
		{"full DSR flow: reply skips the mux", full, nil, []row{
			{kindRequest, true, ""}, {kindRequest, false, "client"}, {kindRequest, false, "mux"}, {kindRequest, false, "host"},
			{kindReply, true, ""}, {kindReply, false, "vm"}, {kindReply, false, "host"},
		}},
		{"dies at the VM, later hops unreached",
			[]Hop{hop("client", "request", true, syn), hop("mux", "request", true, syn), hop("vm", "request", false, syn),
				hop("vm", "reply", false, synack), hop("client", "reply", false, synack)},
			nil,
			[]row{{kindRequest, true, ""}, {kindRequest, false, "client"}, {kindDied, false, "mux"}, {kindUnreached, true, ""}, {kindUnreached, false, "vm"}}},
		{"never sent",
			[]Hop{hop("client", "request", false, syn)}, nil,
			[]row{{kindDied, true, ""}}},
		{"a failed check marks the hop it recorded",
			[]Hop{hop("client", "request", true, syn), checked(hop("vm", "request", true, synDIP), 1)},
			[]Check{{Point: "vm", What: "SYN on the frontend IP", Expected: syn, Observed: &synDIP}},
			[]row{{kindRequest, true, ""}, {kindBad, false, "client"}}},
		{"the reply turns where the request ended (as the suite records it: no VM send hop)",
			[]Hop{hop("client", "request", true, syn), hop("mux", "request", true, syn), hop("vm", "request", true, syn), hop("client", "reply", true, synack)},
			nil,
			[]row{{kindRequest, true, ""}, {kindRequest, false, "client"}, {kindRequest, false, "mux"}, {kindReply, false, "vm"}}},
		{"a rightly absent packet is not part of the flow",
			[]Hop{hop("client", "request", true, syn), hop("vm", "request", true, syn), checked(hop("mux", "reply", false, synack), 1), hop("client", "reply", true, synack)},
			[]Check{{Point: "mux", What: "no reply via the mux", Negative: true, Expected: synack, OK: true}},
			[]row{{kindRequest, true, ""}, {kindRequest, false, "client"}, {kindAbsent, true, ""}, {kindReply, false, "vm"}}},
		{"an unseen hop no negative check recorded died, even with a negative check on the same headers",
			[]Hop{hop("client", "request", true, syn), hop("mux", "reply", false, synack)},
			[]Check{{Point: "mux", What: "same headers", Negative: true, Expected: synack, OK: true}},
			[]row{{kindRequest, true, ""}, {kindDied, false, "client"}}},
		{"a failed check marks only its hop, not another with its observed headers",
			[]Hop{hop("client", "request", true, syn), hop("vm", "request", true, synDIP), checked(hop("vm", "request", false, syn), 1)},
			[]Check{{Point: "vm", What: "SYN on the frontend IP", Expected: syn, Observed: &synDIP}},
			[]row{{kindRequest, true, ""}, {kindRequest, false, "client"}, {kindDied, true, ""}}},
		{"passing checks mark nothing", full[:2],
			[]Check{{Point: "mux", Expected: syn, Observed: &syn, OK: true}},
			[]row{{kindRequest, true, ""}, {kindRequest, false, "client"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLadder(tt.hops, tt.checks)
			colX := map[int]string{}
			for _, c := range l.Columns {
				colX[c.X] = c.Name
			}
			var got []row
			for i, r := range l.Rows {
				from := ""
				if !r.Origin {
					from = colX[r.X1-ladderGap] + colX[r.X1+ladderGap]
				}
				got = append(got, row{r.Kind, r.Origin, from})
				if r.MarkX != l.Columns[slices.IndexFunc(l.Columns, func(c ladderColumn) bool { return c.Name == tt.hops[i].Point })].X {
					t.Errorf("row %d: marker at x=%d, not on the %s lifeline", i, r.MarkX, tt.hops[i].Point)
				}
				if i > 0 && r.Y <= l.Rows[i-1].Y {
					t.Errorf("row %d is not below row %d", i, i-1)
				}
				if r.Y >= l.Height {
					t.Errorf("row %d at y=%d is outside the drawing (height %d)", i, r.Y, l.Height)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows\n got %v\nwant %v", got, tt.want)
			}
		})
	}
	if buildLadder(nil, nil) != nil {
		t.Errorf("buildLadder(nil) is not nil")
	}
}

func TestBuildLadderNotesAndColumns(t *testing.T) {
	hops := []Hop{
		{Point: "client", Direction: "request", Seen: true},
		{Point: "probe", Direction: "request", Seen: false, Note: "dropped: no route", Check: 1},
	}
	checks := []Check{{Point: "probe", What: "SYN at the probe", Message: "nothing within 2s"}}
	l := buildLadder(hops, checks)
	var cols []string
	for _, c := range l.Columns {
		cols = append(cols, c.Name)
	}
	if want := []string{"client", "mux", "host", "vm", "probe"}; !slices.Equal(cols, want) {
		t.Errorf("columns %v, want %v (unknown points appended)", cols, want)
	}
	note := l.Rows[1].Note
	for _, s := range []string{"dropped: no route", "SYN at the probe: nothing within 2s"} {
		if !strings.Contains(note, s) {
			t.Errorf("note %q lacks %q", note, s)
		}
	}
	if l.Width < l.HeadersX+200 {
		t.Errorf("width %d leaves no room for labels starting at %d", l.Width, l.HeadersX)
	}
}
