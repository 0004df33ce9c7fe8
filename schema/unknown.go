package schema

import (
	"sort"
	"strings"
)

// Imported files (ARM templates, Terraform plans) can hold values that are
// only known at deployment time: an ARM expression lbcheck cannot evaluate,
// or a Terraform attribute listed in after_unknown. Importers leave such a
// field at its zero value and mark it unknown, so that rules can say "cannot
// check: X is unknown" instead of guessing from the zero value.

// unknownKey is the key under which an unknown field is kept in Node.fields.
// JSON field names never start with a NUL byte.
func unknownKey(field string) string { return "\x00unknown:" + field }

// SetUnknown records that the named field (its JSON name) was written at p
// but its value is not known until deployment; why is the expression or
// reason, kept for messages.
func (n *Node) SetUnknown(field string, p Pos, why string) {
	n.SetField(field, p)
	n.SetField(unknownKey(field)+"\x00"+why, p)
}

// Unknown reports whether the named field's value is unknown, and if so the
// expression or reason recorded for it.
func (n *Node) Unknown(field string) (why string, ok bool) {
	prefix := unknownKey(field) + "\x00"
	for k := range n.fields {
		if rest, found := strings.CutPrefix(k, prefix); found {
			return rest, true
		}
	}
	return "", false
}

// UnknownFields lists, sorted, the fields whose values are unknown.
func (n *Node) UnknownFields() []string {
	var out []string
	for k := range n.fields {
		if rest, found := strings.CutPrefix(k, "\x00unknown:"); found {
			field, _, _ := strings.Cut(rest, "\x00")
			out = append(out, field)
		}
	}
	sort.Strings(out)
	return out
}
