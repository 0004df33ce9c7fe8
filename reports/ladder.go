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
	for i, h := range hops {
		row := ladderRow{
			Y:         ladderTop + i*ladderRowH + ladderRowH/2,
			Point:     h.Point,
			Direction: h.Direction,
			X1:        x[h.Point],
			X2:        x[h.Point],
			Note:      joinNotes(h.Note, notes[i]),
		}
		row.Origin = i == 0 || hops[i-1].Direction != h.Direction || hops[i-1].Point == h.Point
		if !row.Origin {
			row.X1 = x[hops[i-1].Point]
		}
		switch {
		case h.Seen && notes[i] != "":
			row.Kind = kindBad
		case h.Seen && h.Direction == "reply":
			row.Kind = kindReply
		case h.Seen:
			row.Kind = kindRequest
		case i == 0 || hops[i-1].Seen:
			row.Kind = kindDied
		default:
			row.Kind = kindUnreached
		}
		row.Label = FormatHeaders(h.Headers)
		if !h.Seen {
			row.Label = "not seen; expected " + row.Label
		}
		row.MarkX = row.X2
		if !row.Origin {
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
	}
	l.LabelX = l.Columns[len(l.Columns)-1].X + 40
	l.HeadersX = l.LabelX + ladderWhereW
	l.Width = l.LabelX + ladderLabelW
	l.Height = ladderTop + len(hops)*ladderRowH + 8
	return l
}

// failedCheckNotes maps each failed check to the hop it is about and returns
// the checks' descriptions per hop index. A check with an observed packet
// belongs to the seen hop at its point with the same headers; a check that
// saw nothing belongs to the first unseen hop at its point; otherwise the
// first hop at its point.
func failedCheckNotes(hops []Hop, checks []Check) []string {
	notes := make([]string, len(hops))
	for _, c := range checks {
		if c.OK {
			continue
		}
		i := hopForCheck(hops, c)
		if i < 0 {
			continue
		}
		msg := c.What
		if c.Message != "" {
			msg += ": " + c.Message
		}
		notes[i] = joinNotes(notes[i], msg)
	}
	return notes
}

func hopForCheck(hops []Hop, c Check) int {
	first, best := -1, -1
	for i, h := range hops {
		if h.Point != c.Point {
			continue
		}
		if first < 0 {
			first = i
		}
		if best >= 0 {
			continue
		}
		switch {
		case c.Observed != nil && h.Seen && h.Headers == *c.Observed:
			best = i
		case c.Observed == nil && !h.Seen:
			best = i
		}
	}
	if best >= 0 {
		return best
	}
	return first
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
