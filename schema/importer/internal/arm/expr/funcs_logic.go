package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The comparison, logical and numeric functions.

func init() {
	register("equals", builtin{min: 2, max: 2, unknowns: true, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		eq, known := equal(a[0], a[1])
		if !known {
			return NewUnknown(unknownOperand(a).Reason(), at)
		}
		return NewBool(eq, at)
	}})
	register("not", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		if a[0].Kind != Bool {
			return NewUnknown(fmt.Sprintf("not() wants a bool, got %s", describe(a[0])), at)
		}
		return NewBool(!a[0].Bool, at)
	}})
	register("true", builtin{min: 0, max: 0, fn: func(ev *Evaluator, a []*Value, at Pos) *Value { return NewBool(true, at) }})
	register("false", builtin{min: 0, max: 0, fn: func(ev *Evaluator, a []*Value, at Pos) *Value { return NewBool(false, at) }})
	register("null", builtin{min: 0, max: 0, fn: func(ev *Evaluator, a []*Value, at Pos) *Value { return NewNull(at) }})
	register("bool", builtin{min: 1, max: 1, fn: toBool})
	register("int", builtin{min: 1, max: 1, fn: toInt})
	register("float", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		if f, ok := numberOf(a[0]); ok {
			return &Value{Kind: Float, Float: f, At: at}
		}
		if s, ok := a[0].Text(); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
				return &Value{Kind: Float, Float: f, At: at}
			}
		}
		return NewUnknown(fmt.Sprintf("float() of %s", describe(a[0])), at)
	}})
	for name, test := range map[string]func(c int) bool{
		"greater":         func(c int) bool { return c > 0 },
		"greaterorequals": func(c int) bool { return c >= 0 },
		"less":            func(c int) bool { return c < 0 },
		"lessorequals":    func(c int) bool { return c <= 0 },
	} {
		register(name, builtin{min: 2, max: 2, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
			c, ok := order(a[0], a[1])
			if !ok {
				return NewUnknown(fmt.Sprintf("%s() compares two integers or two strings", name), at)
			}
			return NewBool(test(c), at)
		}})
	}
	register("add", arith(func(x, y int64) (int64, bool) { return x + y, true }))
	register("sub", arith(func(x, y int64) (int64, bool) { return x - y, true }))
	register("mul", arith(func(x, y int64) (int64, bool) { return x * y, true }))
	register("div", arith(func(x, y int64) (int64, bool) {
		if y == 0 {
			return 0, false
		}
		return x / y, true
	}))
	register("mod", arith(func(x, y int64) (int64, bool) {
		if y == 0 {
			return 0, false
		}
		return x % y, true
	}))
	register("min", builtin{min: 1, max: -1, fn: extreme(func(x, y int64) bool { return x < y })})
	register("max", builtin{min: 1, max: -1, fn: extreme(func(x, y int64) bool { return x > y })})
}

// unknownOperand returns the operand that makes a comparison unknown.
func unknownOperand(a []*Value) *Value {
	for _, v := range a {
		if !v.Known() {
			return v
		}
	}
	for _, v := range a { // unknown inside an array or object
		if _, _, u := render(v); u != nil {
			return u
		}
		if _, sym, _ := render(v); sym != nil {
			return sym
		}
	}
	return NewUnknown("the comparison is not known", Pos{})
}

func toBool(ev *Evaluator, a []*Value, at Pos) *Value {
	switch v := a[0]; v.Kind {
	case Bool:
		return v
	case Int:
		return NewBool(v.Int != 0, at)
	case String:
		switch strings.ToLower(strings.TrimSpace(v.Str)) {
		case "true":
			return NewBool(true, at)
		case "false":
			return NewBool(false, at)
		}
	}
	return NewUnknown(fmt.Sprintf("bool() of %s", describe(a[0])), at)
}

func toInt(ev *Evaluator, a []*Value, at Pos) *Value {
	switch v := a[0]; v.Kind {
	case Int:
		return v
	case Float:
		if !math.IsInf(v.Float, 0) && !math.IsNaN(v.Float) && math.Abs(v.Float) < math.MaxInt64 {
			return NewInt(int64(v.Float), at)
		}
	case String:
		if n, err := strconv.ParseInt(strings.TrimSpace(v.Str), 10, 64); err == nil {
			return NewInt(n, at)
		}
	}
	return NewUnknown(fmt.Sprintf("int() of %s", describe(a[0])), at)
}

// order compares two integers or two strings (ordinally, ignoring case).
func order(a, b *Value) (int, bool) {
	if x, ok := numberOf(a); ok {
		if y, ok := numberOf(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	if a.Kind == String && b.Kind == String {
		return strings.Compare(strings.ToLower(a.Str), strings.ToLower(b.Str)), true
	}
	return 0, false
}

func arith(op func(x, y int64) (int64, bool)) builtin {
	return builtin{min: 2, max: 2, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		x, ok1 := a[0].Integer()
		y, ok2 := a[1].Integer()
		if !ok1 || !ok2 {
			return NewUnknown(fmt.Sprintf("arithmetic on %s and %s", describe(a[0]), describe(a[1])), at)
		}
		n, ok := op(x, y)
		if !ok {
			return NewUnknown("division by zero", at)
		}
		return NewInt(n, at)
	}}
}

// extreme builds min() and max(): of integers, or of one array of them.
func extreme(better func(x, y int64) bool) func(ev *Evaluator, a []*Value, at Pos) *Value {
	return func(ev *Evaluator, a []*Value, at Pos) *Value {
		if len(a) == 1 && a[0].Kind == Array {
			a = a[0].Elems
		}
		if len(a) == 0 {
			return NewUnknown("min() and max() of nothing", at)
		}
		var best int64
		for i, v := range a {
			n, ok := v.Integer()
			if !ok {
				if !v.Known() {
					return NewUnknown(v.Reason(), at)
				}
				return NewUnknown(fmt.Sprintf("min() and max() want integers, got %s", describe(v)), at)
			}
			if i == 0 || better(n, best) {
				best = n
			}
		}
		return NewInt(best, at)
	}
}
