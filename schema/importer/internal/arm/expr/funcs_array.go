package expr

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The array and object functions. Arrays and objects are known even when
// some of their elements are not, so most of these accept Unknown elements
// and only fail when the answer depends on one.

func init() {
	register("length", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		switch v := a[0]; v.Kind {
		case String:
			return NewInt(int64(utf8.RuneCountInString(v.Str)), at)
		case Array:
			return NewInt(int64(len(v.Elems)), at)
		case Object:
			return NewInt(int64(len(v.Members)), at)
		case Null:
			return NewInt(0, at)
		}
		return NewUnknown(fmt.Sprintf("length() of %s", describe(a[0])), at)
	}})
	register("empty", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		switch v := a[0]; v.Kind {
		case Null:
			return NewBool(true, at)
		case String:
			return NewBool(v.Str == "", at)
		case Array:
			return NewBool(len(v.Elems) == 0, at)
		case Object:
			return NewBool(len(v.Members) == 0, at)
		}
		return NewUnknown(fmt.Sprintf("empty() of %s", describe(a[0])), at)
	}})
	register("contains", builtin{min: 2, max: 2, symbols: true, fn: contains})
	register("createarray", builtin{min: 0, max: -1, unknowns: true, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return NewArray(slices.Clone(a), at)
	}})
	register("array", builtin{min: 1, max: 1, unknowns: true, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		if a[0].Kind == Array {
			return a[0]
		}
		return NewArray([]*Value{a[0]}, at)
	}})
	register("createobject", builtin{min: 0, max: -1, unknowns: true, symbols: true, fn: createObject})
	register("union", builtin{min: 1, max: -1, symbols: true, fn: union})
	register("intersection", builtin{min: 1, max: -1, symbols: true, fn: intersection})
	register("first", builtin{min: 1, max: 1, derive: true, fn: end(true)})
	register("last", builtin{min: 1, max: 1, derive: true, fn: end(false)})
	register("take", builtin{min: 2, max: 2, derive: true, fn: slice(true)})
	register("skip", builtin{min: 2, max: 2, derive: true, fn: slice(false)})
	register("indexof", builtin{min: 2, max: 2, symbols: true, fn: find(false)})
	register("lastindexof", builtin{min: 2, max: 2, symbols: true, fn: find(true)})
	register("join", builtin{min: 2, max: 2, symbols: true, fn: join})
	register("range", builtin{min: 2, max: 2, fn: rangeFn})
	register("items", builtin{min: 1, max: 1, unknowns: false, symbols: true, fn: items})
	register("objectkeys", builtin{min: 1, max: 1, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		if a[0].Kind != Object {
			return NewUnknown(fmt.Sprintf("objectKeys() of %s", describe(a[0])), at)
		}
		keys := make([]*Value, len(a[0].Members))
		for i, m := range a[0].Members {
			keys[i] = NewString(m.Key, at)
		}
		return NewArray(keys, at)
	}})
	register("tryget", builtin{min: 2, max: -1, symbols: true, fn: tryGet})
	register("shallowmerge", builtin{min: 1, max: 1, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		if a[0].Kind != Array {
			return NewUnknown("shallowMerge() wants an array of objects", at)
		}
		return merge(ev, a[0].Elems, false, at)
	}})
	register("flatten", builtin{min: 1, max: 1, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		var out []*Value
		for _, e := range a[0].Items() {
			if e.Kind != Array {
				return NewUnknown(fmt.Sprintf("flatten() wants an array of arrays, found %s", describe(e)), at)
			}
			out = append(out, e.Elems...)
		}
		return NewArray(out, at)
	}})
}

// contains(container, item): a substring (case-sensitive), an array
// element, or an object key (case-insensitive).
func contains(ev *Evaluator, a []*Value, at Pos) *Value {
	c, item := a[0], a[1]
	switch c.Kind {
	case String:
		s, ok1 := c.Text()
		sub, ok2 := text(item)
		if !ok1 || !ok2 || item.Symbolic {
			return NewUnknown(unknownOperand(a).Reason(), at)
		}
		return NewBool(strings.Contains(s, sub), at)
	case Object:
		key, ok := item.Text()
		if !ok {
			return NewUnknown(unknownOperand(a).Reason(), at)
		}
		return NewBool(c.Get(key) != nil, at)
	case Array:
		unknown := false
		for _, e := range c.Elems {
			eq, known := equal(e, item)
			if known && eq {
				return NewBool(true, at)
			}
			unknown = unknown || !known
		}
		if unknown {
			return NewUnknown(unknownOperand(append(slices.Clone(c.Elems), item)).Reason(), at)
		}
		return NewBool(false, at)
	}
	return NewUnknown(fmt.Sprintf("contains() of %s", describe(c)), at)
}

func createObject(ev *Evaluator, a []*Value, at Pos) *Value {
	if len(a)%2 != 0 {
		return NewUnknown("createObject() wants key and value pairs", at)
	}
	members := make([]Member, 0, len(a)/2)
	for i := 0; i < len(a); i += 2 {
		key, ok := a[i].Name()
		if !ok {
			if a[i].Kind == Unknown {
				return a[i].withAt(at)
			}
			return NewUnknown(fmt.Sprintf("createObject() key %s is not a string", describe(a[i])), at)
		}
		members = append(members, Member{Key: key, KeyAt: at, Value: a[i+1]})
	}
	return NewObject(members, at)
}

// union merges objects (nested objects recursively, later values win) or
// joins arrays without repeating elements.
func union(ev *Evaluator, a []*Value, at Pos) *Value {
	switch a[0].Kind {
	case Object:
		return merge(ev, a, true, at)
	case Array:
		var out []*Value
		for _, x := range a {
			if x.Kind != Array {
				return NewUnknown(fmt.Sprintf("union() of arrays got %s", describe(x)), at)
			}
			for _, e := range x.Elems {
				if bad := ev.charge(int64(len(out)), at); bad != nil {
					return bad
				}
				if !containsEqual(out, e) {
					out = append(out, e)
				}
			}
		}
		return NewArray(out, at)
	}
	return NewUnknown(fmt.Sprintf("union() of %s", describe(a[0])), at)
}

// containsEqual reports whether list has an element known to equal v.
func containsEqual(list []*Value, v *Value) bool {
	for _, e := range list {
		if eq, known := equal(e, v); known && eq {
			return true
		}
	}
	return false
}

// merge combines objects; deep merges nested objects too.
func merge(ev *Evaluator, objs []*Value, deep bool, at Pos) *Value {
	var members []Member
	for _, o := range objs {
		if o.Kind != Object {
			return NewUnknown(fmt.Sprintf("merging objects got %s", describe(o)), at)
		}
		for _, m := range o.Members {
			if bad := ev.charge(int64(len(members)), at); bad != nil {
				return bad
			}
			i := slices.IndexFunc(members, func(x Member) bool { return strings.EqualFold(x.Key, m.Key) })
			switch {
			case i < 0:
				members = append(members, m)
			case deep && members[i].Value.Kind == Object && m.Value.Kind == Object:
				members[i] = Member{Key: m.Key, KeyAt: m.KeyAt, Value: merge(ev, []*Value{members[i].Value, m.Value}, true, at)}
			default:
				members[i] = m
			}
		}
	}
	return NewObject(members, at)
}

// intersection keeps the elements (or key-value pairs) every argument has.
func intersection(ev *Evaluator, a []*Value, at Pos) *Value {
	first := a[0]
	if bad := ev.charge(int64(len(first.Elems)+len(first.Members))*int64(len(a)), at); bad != nil {
		return bad
	}
	switch first.Kind {
	case Array:
		var out []*Value
		for _, e := range first.Elems {
			keep := !containsEqual(out, e)
			for _, x := range a[1:] {
				keep = keep && x.Kind == Array && containsEqual(x.Elems, e)
			}
			if keep {
				out = append(out, e)
			}
		}
		return NewArray(out, at)
	case Object:
		var out []Member
		for _, m := range first.Members {
			keep := true
			for _, x := range a[1:] {
				o := x.Get(m.Key)
				eq, known := false, false
				if o != nil {
					eq, known = equal(o, m.Value)
				}
				keep = keep && known && eq
			}
			if keep {
				out = append(out, m)
			}
		}
		return NewObject(out, at)
	}
	return NewUnknown(fmt.Sprintf("intersection() of %s", describe(first)), at)
}

// end builds first() and last(): of an array or a string.
func end(first bool) func(ev *Evaluator, a []*Value, at Pos) *Value {
	return func(ev *Evaluator, a []*Value, at Pos) *Value {
		switch v := a[0]; v.Kind {
		case Array:
			if len(v.Elems) == 0 {
				return NewNull(at)
			}
			if first {
				return v.Elems[0]
			}
			return v.Elems[len(v.Elems)-1]
		case String:
			r := []rune(v.Str)
			if len(r) == 0 {
				return NewString("", at)
			}
			if first {
				return NewString(string(r[0]), at)
			}
			return NewString(string(r[len(r)-1]), at)
		}
		return NewUnknown(fmt.Sprintf("first() and last() of %s", describe(a[0])), at)
	}
}

// slice builds take() and skip(): of an array or a string.
func slice(take bool) func(ev *Evaluator, a []*Value, at Pos) *Value {
	return func(ev *Evaluator, a []*Value, at Pos) *Value {
		n, ok := a[1].Integer()
		if !ok {
			return NewUnknown("take() and skip() want a count", at)
		}
		cut := func(length int) (int, int) {
			k := int(max(0, min(n, int64(length))))
			if take {
				return 0, k
			}
			return k, length
		}
		switch v := a[0]; v.Kind {
		case Array:
			lo, hi := cut(len(v.Elems))
			return NewArray(v.Elems[lo:hi], at)
		case String:
			r := []rune(v.Str)
			lo, hi := cut(len(r))
			return NewString(string(r[lo:hi]), at)
		}
		return NewUnknown(fmt.Sprintf("take() and skip() of %s", describe(a[0])), at)
	}
}

// find builds indexOf() and lastIndexOf(): in a string (ignoring case) or
// an array.
func find(last bool) func(ev *Evaluator, a []*Value, at Pos) *Value {
	return func(ev *Evaluator, a []*Value, at Pos) *Value {
		c, item := a[0], a[1]
		if c.Kind == Array {
			idx, unknown := -1, false
			for i, e := range c.Elems {
				eq, known := equal(e, item)
				unknown = unknown || !known
				if known && eq {
					idx = i
					if !last {
						break
					}
				}
			}
			if idx < 0 && unknown || last && unknown {
				return NewUnknown(unknownOperand(append(slices.Clone(c.Elems), item)).Reason(), at)
			}
			return NewInt(int64(idx), at)
		}
		s, ok1 := c.Text()
		sub, ok2 := item.Text()
		if !ok1 || !ok2 {
			return NewUnknown(unknownOperand(a).Reason(), at)
		}
		s, sub = strings.ToLower(s), strings.ToLower(sub)
		var i int
		if last {
			i = strings.LastIndex(s, sub)
		} else {
			i = strings.Index(s, sub)
		}
		if i > 0 {
			i = utf8.RuneCountInString(s[:i])
		}
		return NewInt(int64(i), at)
	}
}

func join(ev *Evaluator, a []*Value, at Pos) *Value {
	delim, ok := text(a[1])
	if a[0].Kind != Array || !ok {
		return NewUnknown("join() wants an array and a delimiter", at)
	}
	parts := make([]string, len(a[0].Elems))
	n := 0
	for i, e := range a[0].Elems {
		s, ok := text(e)
		if !ok {
			if !e.Known() {
				return NewUnknown(e.Reason(), at)
			}
			return NewUnknown(fmt.Sprintf("join() of %s", describe(e)), at)
		}
		parts[i] = s
		n += len(s) + len(delim)
	}
	if bad := ev.checkLen(n, at); bad != nil {
		return bad
	}
	return ev.result(strings.Join(parts, delim), at, append(slices.Clone(a[0].Elems), a[1])...)
}

func rangeFn(ev *Evaluator, a []*Value, at Pos) *Value {
	start, ok1 := a[0].Integer()
	count, ok2 := a[1].Integer()
	switch {
	case !ok1 || !ok2:
		return NewUnknown("range() wants two integers", at)
	case count < 0 || count > MaxRange:
		return NewUnknown(fmt.Sprintf("range() count %d is outside ARM's range 0-%d (Azure rejects the template)", count, MaxRange), at)
	}
	if bad := ev.alloc(int(count), 0, at); bad != nil {
		return bad
	}
	out := make([]*Value, count)
	for i := range out {
		out[i] = NewInt(start+int64(i), at)
	}
	return NewArray(out, at)
}

// items turns an object into [{key, value}], sorted by key as ARM does.
func items(ev *Evaluator, a []*Value, at Pos) *Value {
	if a[0].Kind != Object {
		return NewUnknown(fmt.Sprintf("items() of %s", describe(a[0])), at)
	}
	ms := slices.Clone(a[0].Members)
	slices.SortStableFunc(ms, func(x, y Member) int { return strings.Compare(strings.ToLower(x.Key), strings.ToLower(y.Key)) })
	out := make([]*Value, len(ms))
	for i, m := range ms {
		out[i] = NewObject([]Member{
			{Key: "key", KeyAt: m.KeyAt, Value: NewString(m.Key, m.KeyAt)},
			{Key: "value", KeyAt: m.KeyAt, Value: m.Value},
		}, m.Value.At)
	}
	return NewArray(out, at)
}

// tryGet(value, key...) follows keys (or indexes) and returns null where
// one is missing.
func tryGet(ev *Evaluator, a []*Value, at Pos) *Value {
	v := a[0]
	for _, k := range a[1:] {
		switch {
		case v.Kind == Null:
			return v
		case v.Kind == Unknown:
			return v
		case v.Kind == Object:
			key, ok := k.Text()
			if !ok {
				return NewUnknown(unknownOperand([]*Value{k}).Reason(), at)
			}
			if v = v.Get(key); v == nil {
				return NewNull(at)
			}
		case v.Kind == Array:
			i, ok := k.Integer()
			if !ok || i < 0 || i >= int64(len(v.Elems)) {
				return NewNull(at)
			}
			v = v.Elems[i]
		default:
			return NewNull(at)
		}
	}
	return v
}
