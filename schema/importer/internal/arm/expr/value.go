// Package expr evaluates the Azure Resource Manager template expression
// language: the "[...]" strings of templates, parameters, variables and
// user-defined functions, and the JSON trees that hold them (with property
// copy loops).
//
// Values carry where they were written, so that an importer can point a
// finding at the literal or expression a field came from. What lbcheck
// cannot know before deployment is represented, not guessed:
//
//   - an Unknown value (reference(), list*(), a parameter without value that
//     is not a string, ...) carries the reason; functions given one return
//     one, except where the result does not depend on it (if() with a known
//     condition, length() of an array holding one, ...);
//   - a Symbolic string (a string parameter without value, resourceGroup(),
//     subscription(), uniqueString(), guid(), ...) is a readable placeholder
//     that identifies its value — names built from it still match the
//     references built the same way — but its content is not known, so
//     comparing it with anything but itself, or looking inside it, is
//     Unknown.
//
// Evaluation is bounded by a Budget shared by every evaluation of one
// import: steps, bytes produced and nesting depth.
package expr

import (
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Pos is where a value was written: a file and a 1-based line and byte
// column. The zero Pos means "nowhere in particular".
type Pos struct {
	File      string
	Line, Col int
}

// String renders the position as file:line:col.
func (p Pos) String() string {
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Kind is the type of a Value.
type Kind uint8

// The kinds of values. Lambda is a function value made by lambda(), only
// passed to filter(), map() and the other lambda functions.
const (
	Null Kind = iota
	Bool
	Int
	Float
	String
	Array
	Object
	Lambda
	Unknown
)

var kindNames = [...]string{"null", "bool", "int", "float", "string", "array", "object", "lambda", "unknown"}

// String names the kind as ARM's error messages do.
func (k Kind) String() string { return kindNames[k] }

// Value is one template value. Values are never changed once built: every
// function returns a new one, so they can be shared freely.
type Value struct {
	Kind  Kind
	Bool  bool
	Int   int64
	Float float64
	// Str is a String's text. For a Symbolic string it is a readable
	// placeholder such as "[parameters('lbName')]-lb".
	Str      string
	Symbolic bool
	Elems    []*Value // Array
	Members  []Member // Object, in the order written
	// Why says, for an Unknown value, what it depends on; for a Symbolic
	// string, what it stands for (empty: the placeholder says it).
	Why string
	// At is where the value, or the expression that produced it, is written.
	At Pos
	// Expr is, for an Unknown value, the template string it was computed
	// from: a readable stand-in where a name is needed.
	Expr string

	lambda *closure
}

// Member is one property of an object.
type Member struct {
	Key   string
	KeyAt Pos
	Value *Value
}

// Get returns the property of an object named key, matching
// case-insensitively as ARM does (an exact match wins); nil when v is not
// an object or has no such property.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	i := v.index(key)
	if i < 0 {
		return nil
	}
	return v.Members[i].Value
}

// Member returns the property named key with its key position.
func (v *Value) Member(key string) (Member, bool) {
	if v == nil || v.Kind != Object {
		return Member{}, false
	}
	if i := v.index(key); i >= 0 {
		return v.Members[i], true
	}
	return Member{}, false
}

func (v *Value) index(key string) int {
	return jsonpos.FoldIndex(len(v.Members), func(i int) string { return v.Members[i].Key }, key)
}

// Path follows a chain of property names with Get.
func (v *Value) Path(keys ...string) *Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}

// Items returns an array's elements, or nil for anything else.
func (v *Value) Items() []*Value {
	if v == nil || v.Kind != Array {
		return nil
	}
	return v.Elems
}

// IsNull reports whether v is absent or null.
func (v *Value) IsNull() bool { return v == nil || v.Kind == Null }

// Known reports whether v is a value whose content is known: not Unknown
// and not a Symbolic string. Arrays and objects are known even when some of
// their elements are not.
func (v *Value) Known() bool {
	return v != nil && v.Kind != Unknown && !(v.Kind == String && v.Symbolic)
}

// Text returns a known string's text.
func (v *Value) Text() (string, bool) {
	if v == nil || v.Kind != String || v.Symbolic {
		return "", false
	}
	return v.Str, true
}

// Name returns a string's text, Symbolic or not: what identifies an object
// by name.
func (v *Value) Name() (string, bool) {
	if v == nil || v.Kind != String {
		return "", false
	}
	return v.Str, true
}

// Integer returns a known integer (a Float with no fraction counts).
func (v *Value) Integer() (int64, bool) {
	switch {
	case v == nil:
		return 0, false
	case v.Kind == Int:
		return v.Int, true
	case v.Kind == Float && v.Float == float64(int64(v.Float)):
		return int64(v.Float), true
	}
	return 0, false
}

// AsInt returns a known integer, or a string that ARM converts to one
// where an integer property is expected ("5" for a capacity, a port).
func (v *Value) AsInt() (int64, bool) {
	if n, ok := v.Integer(); ok {
		return n, true
	}
	if s, ok := v.Text(); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Reason says why v is not known: an Unknown value's reason, or what a
// Symbolic string stands for.
func (v *Value) Reason() string {
	switch {
	case v == nil:
		return "the value is missing"
	case v.Kind == Unknown:
		return v.Why
	case v.Kind == String && v.Symbolic && v.Why != "":
		return v.Why
	case v.Kind == String && v.Symbolic:
		return v.Str + " is only known at deployment"
	}
	return ""
}

// because returns v (a new Symbolic string) with the reason why it is
// only a placeholder.
func (v *Value) because(why string) *Value {
	v.Why = why
	return v
}

// NewSymbolWhy returns a Symbolic string with the reason it is only a
// placeholder.
func NewSymbolWhy(s, why string, at Pos) *Value { return NewSymbol(s, at).because(why) }

// Constructors. Each takes the position the value is attributed to.

// NewNull returns null.
func NewNull(at Pos) *Value { return &Value{Kind: Null, At: at} }

// NewBool returns a boolean.
func NewBool(b bool, at Pos) *Value { return &Value{Kind: Bool, Bool: b, At: at} }

// NewInt returns an integer.
func NewInt(n int64, at Pos) *Value { return &Value{Kind: Int, Int: n, At: at} }

// NewString returns a known string.
func NewString(s string, at Pos) *Value { return &Value{Kind: String, Str: s, At: at} }

// NewSymbol returns a Symbolic string: a placeholder whose text identifies
// a value known only at deployment.
func NewSymbol(s string, at Pos) *Value {
	return &Value{Kind: String, Str: s, Symbolic: true, At: at}
}

// NewArray returns an array of elems.
func NewArray(elems []*Value, at Pos) *Value { return &Value{Kind: Array, Elems: elems, At: at} }

// NewObject returns an object of members.
func NewObject(members []Member, at Pos) *Value {
	return &Value{Kind: Object, Members: members, At: at}
}

// NewUnknown returns an Unknown value that depends on why.
func NewUnknown(why string, at Pos) *Value { return &Value{Kind: Unknown, Why: why, At: at} }

// withAt returns v attributed to at (a shallow copy).
func (v *Value) withAt(at Pos) *Value {
	c := *v
	c.At = at
	return &c
}
