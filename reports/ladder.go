package reports

import "strings"

// Observation points in flow order: the columns of a packet ladder.
var ladderPoints = []string{"client", "mux", "host", "vm"}

// Ladder geometry, in SVG user units (pixels at 100% zoom).
const (
	ladderX0     = 50  // centre of the first column
	ladderColW   = 112 // distance between columns
	ladderTop    = 40  // first row starts below the column names
	ladderRowH   = 46
	ladderWhereW = 112 // the "point · direction" column of the text
	ladderLabelW = 640 // room for the text to the right of the columns
	ladderGap    = 6   // arrow tips stop this far from a lifeline
	ladderDeadX  = 16  // a dead packet's arrow stops this far from its ✗
)

// Row kinds; they are CSS classes in the page.
const (
	kindRequest   = "req"       // request seen where expected
	kindReply     = "rep"       // reply seen where expected
	kindBad       = "bad"       // seen, but a check about it failed
	kindDied      = "died"      // expected here, not seen: the packet died on the way
	kindUnreached = "unreached" // not seen, and neither was the hop before it
	kindAbsent    = "absent"    // not seen, as a negative check required
)

// ladder is the drawing of a case's flow: one lifeline per observation point
// and one row per hop, time running down.
type ladder struct {
	Width, Height int
	Columns       []ladderColumn
	LifeTop       int
	LabelX        int // where "point · direction" starts
	HeadersX      int // where the addresses start
	Rows          []ladderRow
}

type ladderColumn struct {
	Name string
	X    int
}

// ladderRow is one hop. An origin row (the first hop of a direction) is a dot
// where the packet was sent; any other row is an arrow from the previous
// hop's point to this one.
type ladderRow struct {
	Y         int
	Kind      string
	Origin    bool
	X1, X2    int // the arrow; X1 == X2 for an origin
	MarkX     int // centre of the ✗ for a died row
	Point     string
	Direction string
	Label     string // the addresses seen at this hop
	Note      string // why it died, or the failed check
}

// Dead reports whether the row ends in a ✗.
func (r ladderRow) Dead() bool { return r.Kind == kindDied }

// Absent reports whether the row is a packet that rightly never came.
func (r ladderRow) Absent() bool { return r.Kind == kindAbsent }

// buildLadder lays out hops as a ladder. Failed checks mark the hop they are
// about. It returns nil when there are no hops.
func buildLadder(hops []Hop, checks []Check) *ladder {
	if len(hops) == 0 {
		return nil
	}
	l := &ladder{LifeTop: ladderTop - 12}
	x := map[string]int{}
	addColumn := func(name string) {
		if _, ok := x[name]; !ok {
			x[name] = ladderX0 + len(l.Columns)*ladderColW
			l.Columns = append(l.Columns, ladderColumn{Name: name, X: x[name]})
		}
	}
	for _, p := range ladderPoints {
		addColumn(p)
	}
	for _, h := range hops {
		addColumn(h.Point)
	}
	notes := failedCheckNotes(hops, checks)
	absent := absentHops(hops, checks)
	prev := -1 // the last hop of the flow; absent hops are not part of it
	for i, h := range hops {
		row := ladderRow{
			Y:         ladderTop + i*ladderRowH + ladderRowH/2,
			Point:     h.Point,
			Direction: h.Direction,
			X1:        x[h.Point],
			X2:        x[h.Point],
			MarkX:     x[h.Point],
			Label:     FormatHeaders(h.Headers),
			Note:      joinNotes(h.Note, notes[i]),
		}
		if absent[i] != "" {
			row.Kind, row.Origin = kindAbsent, true
			row.Label = "none, as expected: " + row.Label
			row.Note = joinNotes(h.Note, absent[i])
			l.Rows = append(l.Rows, row)
			continue
		}
		// A hop at a new point is an arrow from the previous hop's point,
		// also when the direction turns (the reply leaves where the request
		// ended); a hop at the same point, or the first, is where a packet
		// starts.
		row.Origin = prev < 0 || hops[prev].Point == h.Point
		switch {
		case h.Seen && notes[i] != "":
			row.Kind = kindBad
		case h.Seen && h.Direction == "reply":
			row.Kind = kindReply
		case h.Seen:
			row.Kind = kindRequest
		case prev < 0 || hops[prev].Seen:
			row.Kind = kindDied
		default:
			row.Kind = kindUnreached
		}
		if !h.Seen {
			row.Label = "not seen; expected " + row.Label
		}
		if !row.Origin {
			row.X1 = x[hops[prev].Point]
			dir := 1
			if row.X2 < row.X1 {
				dir = -1
			}
			stop := ladderGap
			if row.Kind == kindDied {
				stop = ladderDeadX
			}
			row.X1 += dir * ladderGap
			row.X2 -= dir * stop
		}
		l.Rows = append(l.Rows, row)
		prev = i
	}
	l.LabelX = l.Columns[len(l.Columns)-1].X + 40
	l.HeadersX = l.LabelX + ladderWhereW
	l.Width = l.LabelX + ladderLabelW
	l.Height = ladderTop + len(hops)*ladderRowH + 8
	return l
}

// failedCheckNotes returns, per hop index, the description of the failed
// check that recorded the hop (Hop.Check).
func failedCheckNotes(hops []Hop, checks []Check) []string {
	notes := make([]string, len(hops))
	for i, h := range hops {
		c, ok := checkOf(h, checks)
		if !ok || c.OK {
			continue
		}
		notes[i] = c.What
		if c.Message != "" {
			notes[i] += ": " + c.Message
		}
	}
	return notes
}

// absentHops returns, per hop index, the description of the negative check
// that recorded the hop unseen: a packet rightly not seen ("" for other
// hops).
func absentHops(hops []Hop, checks []Check) []string {
	out := make([]string, len(hops))
	for i, h := range hops {
		if c, ok := checkOf(h, checks); ok && c.Negative && !h.Seen {
			out[i] = c.What
		}
	}
	return out
}

// checkOf returns the check that recorded h, if any.
func checkOf(h Hop, checks []Check) (Check, bool) {
	if h.Check < 1 || h.Check > len(checks) {
		return Check{}, false
	}
	return checks[h.Check-1], true
}

func joinNotes(a, b string) string {
	return strings.Join(nonEmpty(a, b), "; ")
}

func nonEmpty(s ...string) []string {
	out := s[:0]
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
