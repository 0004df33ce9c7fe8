package expr

import (
	"fmt"
	"slices"
)

// The lambda functions of languageVersion 2.0 (what Bicep's for-expressions
// and filter/map/reduce compile to). A lambda that takes an index gets it
// as its second argument.

func init() {
	register("filter", builtin{min: 2, max: 2, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		arr, fn, bad := lambdaArgs("filter", a, at)
		if bad != nil {
			return bad
		}
		var out []*Value
		for i, e := range arr.Elems {
			keep := ev.apply(fn, []*Value{e, NewInt(int64(i), at)}, at)
			switch {
			case keep.Kind == Bool && keep.Bool:
				out = append(out, e)
			case keep.Kind == Bool:
			case !keep.Known():
				return NewUnknown(keep.Reason(), at)
			default:
				return NewUnknown("filter()'s lambda must return a bool", at)
			}
		}
		return NewArray(out, at)
	}})
	register("map", builtin{min: 2, max: 2, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		arr, fn, bad := lambdaArgs("map", a, at)
		if bad != nil {
			return bad
		}
		out := make([]*Value, len(arr.Elems))
		for i, e := range arr.Elems {
			out[i] = ev.apply(fn, []*Value{e, NewInt(int64(i), at)}, at)
		}
		return NewArray(out, at)
	}})
	register("reduce", builtin{min: 3, max: 3, unknowns: true, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		arr, fn, bad := lambdaArgs("reduce", []*Value{a[0], a[2]}, at)
		if bad != nil {
			return bad
		}
		acc := a[1]
		for i, e := range arr.Elems {
			acc = ev.apply(fn, []*Value{acc, e, NewInt(int64(i), at)}, at)
		}
		return acc
	}})
	register("sort", builtin{min: 2, max: 2, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		arr, fn, bad := lambdaArgs("sort", a, at)
		if bad != nil {
			return bad
		}
		out := slices.Clone(arr.Elems)
		var unknown *Value
		slices.SortStableFunc(out, func(x, y *Value) int {
			switch less := ev.apply(fn, []*Value{x, y}, at); {
			case less.Kind == Bool && less.Bool:
				return -1
			case less.Kind == Bool:
				if l2 := ev.apply(fn, []*Value{y, x}, at); l2.Kind == Bool && l2.Bool {
					return 1
				}
				return 0
			default:
				if unknown == nil {
					unknown = NewUnknown("sort()'s lambda: "+less.Reason(), at)
				}
				return 0
			}
		})
		if unknown != nil {
			return unknown
		}
		return NewArray(out, at)
	}})
	register("toobject", builtin{min: 2, max: 3, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		arr, keyFn, bad := lambdaArgs("toObject", a[:2], at)
		if bad != nil {
			return bad
		}
		var valFn *Value
		if len(a) == 3 {
			if a[2].Kind != Lambda {
				return NewUnknown("toObject()'s third argument must be a lambda", at)
			}
			valFn = a[2]
		}
		members := make([]Member, 0, len(arr.Elems))
		for _, e := range arr.Elems {
			k := ev.apply(keyFn, []*Value{e}, at)
			key, ok := k.Name()
			if !ok {
				return NewUnknown("toObject() key: "+k.Reason(), at)
			}
			val := e
			if valFn != nil {
				val = ev.apply(valFn, []*Value{e}, at)
			}
			members = slices.DeleteFunc(members, func(m Member) bool { return m.Key == key })
			members = append(members, Member{Key: key, KeyAt: at, Value: val})
		}
		return NewObject(members, at)
	}})
	register("mapvalues", builtin{min: 2, max: 2, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		if a[0].Kind != Object || a[1].Kind != Lambda {
			return NewUnknown("mapValues() wants an object and a lambda", at)
		}
		members := make([]Member, len(a[0].Members))
		for i, m := range a[0].Members {
			members[i] = Member{Key: m.Key, KeyAt: m.KeyAt, Value: ev.apply(a[1], []*Value{m.Value}, at)}
		}
		return NewObject(members, at)
	}})
	register("groupby", builtin{min: 2, max: 2, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		arr, fn, bad := lambdaArgs("groupBy", a, at)
		if bad != nil {
			return bad
		}
		var keys []string
		groups := map[string][]*Value{}
		for _, e := range arr.Elems {
			k := ev.apply(fn, []*Value{e}, at)
			key, ok := k.Name()
			if !ok {
				return NewUnknown("groupBy() key: "+k.Reason(), at)
			}
			if _, seen := groups[key]; !seen {
				keys = append(keys, key)
			}
			groups[key] = append(groups[key], e)
		}
		members := make([]Member, len(keys))
		for i, k := range keys {
			members[i] = Member{Key: k, KeyAt: at, Value: NewArray(groups[k], at)}
		}
		return NewObject(members, at)
	}})
}

// lambdaArgs checks the (array, lambda) arguments of a lambda function.
func lambdaArgs(fn string, a []*Value, at Pos) (*Value, *Value, *Value) {
	switch {
	case a[0].Kind == Unknown:
		return nil, nil, a[0].withAt(at)
	case a[0].Kind != Array:
		return nil, nil, NewUnknown(fmt.Sprintf("%s() wants an array, got %s", fn, describe(a[0])), at)
	case a[1].Kind != Lambda:
		return nil, nil, NewUnknown(fmt.Sprintf("%s() wants a lambda", fn), at)
	}
	return a[0], a[1], nil
}
