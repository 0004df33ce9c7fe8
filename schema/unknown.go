package schema

import (
	"maps"
	"slices"
)

// Imported files (ARM templates, Terraform plans) can hold values that are
// only known at deployment time: an ARM expression lbcheck cannot evaluate,
// or a Terraform attribute listed in after_unknown. Importers leave such a
// field at its zero value and mark it unknown, so that rules can say "cannot
// check: X is unknown" instead of guessing from the zero value.

// SetUnknown records that the named field (its JSON name) was written at p
// but its value is not known until deployment; why is the expression or
// reason, kept for messages.
func (n *Node) SetUnknown(field string, p Pos, why string) {
	n.SetField(field, p)
	if n.unknown == nil {
		n.unknown = make(map[string]string)
	}
	n.unknown[field] = why
}

// Unknown reports whether the named field's value is unknown, and if so the
// expression or reason recorded for it.
func (n *Node) Unknown(field string) (why string, ok bool) {
	why, ok = n.unknown[field]
	return why, ok
}

// UnknownFields lists, sorted, the fields whose values are unknown.
func (n *Node) UnknownFields() []string {
	return slices.Sorted(maps.Keys(n.unknown))
}
