package jsonpos

import (
	"math"
	"strconv"
	"strings"
)

// Get returns the member of object v named key, matching case-insensitively
// (an exact match wins). It returns nil when v is nil, not an object, or has
// no such member, so lookups chain without checks.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	if i := FoldIndex(len(v.Members), func(i int) string { return v.Members[i].Key }, key); i >= 0 {
		return v.Members[i]
	}
	return nil
}

// FoldIndex returns the index of the first of n keys equal to key, else of
// the first equal to it ignoring case (as ARM matches property names),
// else -1.
func FoldIndex(n int, keyAt func(int) string, key string) int {
	folded := -1
	for i := range n {
		k := keyAt(i)
		if k == key {
			return i
		}
		if folded < 0 && strings.EqualFold(k, key) {
			folded = i
		}
	}
	return folded
}

// Path follows a chain of object keys with Get.
func (v *Value) Path(keys ...string) *Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}

// Items returns the elements of an array, or nil for anything else.
func (v *Value) Items() []*Value {
	if v == nil || v.Kind != Array {
		return nil
	}
	return v.Elems
}

// Str returns the value of a JSON string.
func (v *Value) Str() (string, bool) {
	if v == nil || v.Kind != String {
		return "", false
	}
	return v.Text, true
}

// Int returns the value of a JSON number that is a whole number fitting an
// int.
func (v *Value) Int() (int, bool) {
	if v == nil || v.Kind != Number {
		return 0, false
	}
	if n, err := strconv.Atoi(v.Text); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(v.Text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// IsNull reports whether v is absent or JSON null.
func (v *Value) IsNull() bool { return v == nil || v.Kind == Null }

// Fields returns the members of an object, or nil for anything else.
func (v *Value) Fields() []*Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	return v.Members
}
