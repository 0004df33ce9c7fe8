package schema

import "fmt"

// Pos is a position in a user's file. Line and Column start at 1; the zero
// Pos means "unknown".
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// IsValid reports whether p names a line in a file.
func (p Pos) IsValid() bool { return p.File != "" && p.Line > 0 }

// String renders p as file:line:col, the form editors and CI annotations
// understand.
func (p Pos) String() string {
	switch {
	case !p.IsValid():
		return p.File
	case p.Column > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	default:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
}

// Node records where a model object was declared: the object's own
// position, the position of each field the user wrote, and the object's path
// (e.g. "loadBalancers.sql-ilb.loadBalancingRules.sql") used in findings.
type Node struct {
	pos    Pos
	path   string
	fields map[string]Pos
	// unknown maps each field only known at deployment to why (see
	// SetUnknown); nil for the many objects without one.
	unknown map[string]string
}

// Pos returns where the object starts in the user's file.
func (n *Node) Pos() Pos { return n.pos }

// Path returns the object's path, built from names rather than indexes.
func (n *Node) Path() string { return n.path }

// At returns the position of the named field (its JSON name). A field the
// user did not write (a default) falls back to the object's position.
func (n *Node) At(field string) Pos {
	if p, ok := n.fields[field]; ok {
		return p
	}
	return n.pos
}

// Has reports whether the user wrote the named field, as opposed to it
// taking its default.
func (n *Node) Has(field string) bool {
	_, ok := n.fields[field]
	return ok
}

// SetPos records the object's position and path. Loaders and importers call it.
func (n *Node) SetPos(p Pos, path string) {
	n.pos = p
	n.path = path
}

// SetField records the position of one field the user wrote.
func (n *Node) SetField(field string, p Pos) {
	if n.fields == nil {
		n.fields = make(map[string]Pos)
	}
	n.fields[field] = p
}

// MovePositions replaces every position n records, its own and its
// fields' (unknown fields' included), with move(p). Importers that read a
// file through a translation (Bicep compiled to ARM JSON) use it to point
// back at the file the user wrote.
func (n *Node) MovePositions(move func(Pos) Pos) {
	n.pos = move(n.pos)
	for k, p := range n.fields {
		n.fields[k] = move(p)
	}
}
