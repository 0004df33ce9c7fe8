package tfconfig

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// reason is the mark an unknown value carries: why it is unknown.
type reason string

// unknown is an unknown value of any type, marked with why.
func unknown(format string, args ...any) cty.Value {
	return cty.DynamicVal.Mark(reason(fmt.Sprintf(format, args...)))
}

// reasons joins the reasons among marks, sorted; "" when there are none.
func reasons(marks cty.ValueMarks) string {
	var rs []string
	for m := range marks {
		if r, ok := m.(reason); ok {
			rs = append(rs, string(r))
		}
	}
	slices.Sort(rs)
	return strings.Join(rs, "; ")
}

// because is the reasons among marks, or, when no value on the way
// carried one, what is known of it.
func because(marks cty.ValueMarks) string {
	if r := reasons(marks); r != "" {
		return r
	}
	return "it depends on values known only at apply"
}

// pos converts an HCL position.
func pos(file string, p hcl.Pos) jsonpos.Pos {
	return jsonpos.Pos{File: file, Line: p.Line, Col: p.Column}
}

// toJSON turns v into the JSON value of a plan's after and its
// after_unknown shape (nil when v is wholly known). key and at position
// the value (key: where its attribute is named); elems position list
// elements when known; why is the reason inherited from enclosing values.
func toJSON(v cty.Value, key, at jsonpos.Pos, elems []jsonpos.Pos, why string) (*jsonpos.Value, *jsonpos.Value) {
	v, marks := v.Unmark()
	if r := reasons(marks); r != "" {
		why = r
	}
	val := &jsonpos.Value{Kind: jsonpos.Null, Pos: at, KeyPos: key}
	if !v.IsKnown() {
		return val, &jsonpos.Value{Kind: jsonpos.Bool, Bool: true, Text: why, Pos: at, KeyPos: key}
	}
	if v.IsNull() {
		return val, nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		val.Kind, val.Text = jsonpos.String, v.AsString()
	case ty == cty.Number:
		val.Kind, val.Text = jsonpos.Number, v.AsBigFloat().Text('f', -1)
	case ty == cty.Bool:
		val.Kind, val.Bool = jsonpos.Bool, v.True()
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		val.Kind = jsonpos.Array
		unk := &jsonpos.Value{Kind: jsonpos.Array, Pos: at, KeyPos: key}
		partial := false
		for i, it := 0, v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			p := at
			if i < len(elems) {
				p = elems[i]
			}
			ev, eu := toJSON(e, p, p, nil, why)
			val.Elems = append(val.Elems, ev)
			if eu == nil {
				eu = &jsonpos.Value{Kind: jsonpos.Bool, Pos: p, KeyPos: p}
			} else {
				partial = true
			}
			unk.Elems = append(unk.Elems, eu)
		}
		if partial {
			return val, unk
		}
	case ty.IsMapType() || ty.IsObjectType():
		val.Kind = jsonpos.Object
		unk := &jsonpos.Value{Kind: jsonpos.Object, Pos: at, KeyPos: key}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			name, _ := k.Unmark()
			mv, mu := toJSON(e, at, at, nil, why)
			mv.Key = name.AsString()
			val.Members = append(val.Members, mv)
			if mu != nil {
				mu.Key = mv.Key
				unk.Members = append(unk.Members, mu)
			}
		}
		if len(unk.Members) > 0 {
			return val, unk
		}
	default: // a capsule: nothing a configuration holds
		return val, &jsonpos.Value{Kind: jsonpos.Bool, Bool: true, Text: why, Pos: at, KeyPos: key}
	}
	return val, nil
}
