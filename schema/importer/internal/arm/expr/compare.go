package expr

import (
	"strconv"
	"strings"
)

// equal compares two values as equals() does: strings case-sensitively,
// numbers by value, object keys case-insensitively, arrays element by
// element. known is false when the answer depends on something Unknown or
// Symbolic (a Symbolic string equals only the same placeholder).
func equal(a, b *Value) (eq, known bool) {
	switch {
	case a.Kind == Unknown || b.Kind == Unknown:
		return false, false
	case a.Kind == String && b.Kind == String && (a.Symbolic || b.Symbolic):
		if a.Symbolic && b.Symbolic && a.Str == b.Str {
			return true, true
		}
		return false, false
	}
	if x, ok := numberOf(a); ok {
		y, ok := numberOf(b)
		return ok && x == y, true
	}
	if a.Kind != b.Kind {
		return false, true
	}
	switch a.Kind {
	case Null:
		return true, true
	case Bool:
		return a.Bool == b.Bool, true
	case String:
		return a.Str == b.Str, true
	case Array:
		if len(a.Elems) != len(b.Elems) {
			return false, true
		}
		return allEqual(len(a.Elems), func(i int) (*Value, *Value) { return a.Elems[i], b.Elems[i] })
	case Object:
		if len(a.Members) != len(b.Members) {
			return false, true
		}
		var unknown bool
		for _, m := range a.Members {
			o := b.Get(m.Key)
			if o == nil {
				return false, true
			}
			eq, known := equal(m.Value, o)
			if known && !eq {
				return false, true
			}
			unknown = unknown || !known
		}
		return !unknown, !unknown
	}
	return false, true // lambdas are never equal
}

// allEqual compares n pairs: false as soon as a known pair differs, unknown
// if any pair is unknown and none differs.
func allEqual(n int, pair func(int) (*Value, *Value)) (eq, known bool) {
	unknown := false
	for i := range n {
		eq, known := equal(pair(i))
		if known && !eq {
			return false, true
		}
		unknown = unknown || !known
	}
	return !unknown, !unknown
}

func numberOf(v *Value) (float64, bool) {
	switch v.Kind {
	case Int:
		return float64(v.Int), true
	case Float:
		return v.Float, true
	}
	return 0, false
}

// text converts a scalar to the string concat(), format() and string()
// produce; ok is false for arrays, objects, lambdas and unknowns.
func text(v *Value) (s string, ok bool) {
	switch v.Kind {
	case String:
		return v.Str, true
	case Int:
		return strconv.FormatInt(v.Int, 10), true
	case Float:
		return strconv.FormatFloat(v.Float, 'f', -1, 64), true
	case Bool:
		if v.Bool { // .NET's Boolean.ToString
			return "True", true
		}
		return "False", true
	case Null:
		return "", true
	}
	return "", false
}

// render writes v as compact JSON, as string() and json round trips do.
// symbolic is the first Symbolic string that went into it; unknown is the
// first Unknown value found (then the text is useless).
func render(v *Value) (out string, symbolic, unknown *Value) {
	var b strings.Builder
	var walk func(v *Value)
	walk = func(v *Value) {
		if unknown != nil {
			return
		}
		switch v.Kind {
		case Unknown, Lambda:
			unknown = v
		case String:
			if v.Symbolic && symbolic == nil {
				symbolic = v
			}
			b.WriteString(strconv.Quote(v.Str))
		case Bool:
			b.WriteString(strconv.FormatBool(v.Bool))
		case Null:
			b.WriteString("null")
		case Int, Float:
			s, _ := text(v)
			b.WriteString(s)
		case Array:
			b.WriteByte('[')
			for i, e := range v.Elems {
				if i > 0 {
					b.WriteByte(',')
				}
				walk(e)
			}
			b.WriteByte(']')
		case Object:
			b.WriteByte('{')
			for i, m := range v.Members {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Quote(m.Key))
				b.WriteByte(':')
				walk(m.Value)
			}
			b.WriteByte('}')
		}
	}
	walk(v)
	if unknown != nil && unknown.Kind == Lambda {
		unknown = NewUnknown("a lambda is not a value", v.At)
	}
	return b.String(), symbolic, unknown
}

// symbolicAmong returns the first Symbolic string among vs, or nil.
func symbolicAmong(vs []*Value) *Value {
	for _, v := range vs {
		if v != nil && v.Kind == String && v.Symbolic {
			return v
		}
	}
	return nil
}
