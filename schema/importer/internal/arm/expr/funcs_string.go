package expr

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// The string functions. Those that only build strings (concat, format,
// toLower, toUpper, string, replace, trim, padLeft, uri, base64) keep a
// Symbolic argument's placeholder in a Symbolic result, so that names built
// from placeholders still identify their object; those that look inside a
// string (length, substring, split, indexOf, ...) make it Unknown.

func init() {
	register("concat", builtin{min: 0, max: -1, symbols: true, fn: concat})
	register("format", builtin{min: 1, max: -1, symbols: true, fn: format})
	register("tolower", builtin{min: 1, max: 1, symbols: true, fn: caseMap(strings.ToLower)})
	register("toupper", builtin{min: 1, max: 1, symbols: true, fn: caseMap(strings.ToUpper)})
	register("string", builtin{min: 1, max: 1, symbols: true, fn: toString})
	register("replace", builtin{min: 3, max: 3, symbols: true, fn: replace})
	register("trim", builtin{min: 1, max: 1, symbols: true, fn: caseMap(strings.TrimSpace)})
	register("padleft", builtin{min: 2, max: 3, symbols: true, fn: padLeft})
	register("uri", builtin{min: 2, max: 2, symbols: true, fn: uri})
	register("base64", builtin{min: 1, max: 1, symbols: true, fn: caseMap(func(s string) string {
		return base64.StdEncoding.EncodeToString([]byte(s))
	})})
	register("base64tostring", builtin{min: 1, max: 1, fn: base64ToString})
	register("base64tojson", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		s := base64ToString(ev, a, at)
		if s.Kind != String {
			return s
		}
		return parseJSON(ev, s.Str, at)
	}})
	register("datauri", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		s, ok := text(a[0])
		if !ok {
			return wantString("dataUri", a[0], at)
		}
		return ev.str("data:text/plain;charset=utf8;base64,"+base64.StdEncoding.EncodeToString([]byte(s)), at)
	}})
	register("datauritostring", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		s, _ := a[0].Text()
		_, data, ok := strings.Cut(s, ";base64,")
		if !ok {
			return NewUnknown("dataUriToString() wants a base64 data URI", at)
		}
		return base64ToString(ev, []*Value{NewString(data, at)}, at)
	}})
	register("uricomponent", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		s, ok := text(a[0])
		if !ok {
			return wantString("uriComponent", a[0], at)
		}
		return ev.str(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), at)
	}})
	register("uricomponenttostring", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		s, _ := a[0].Text()
		out, err := url.PathUnescape(s)
		if err != nil {
			return NewUnknown("uriComponentToString(): "+err.Error(), at)
		}
		return ev.str(out, at)
	}})
	register("substring", builtin{min: 2, max: 3, derive: true, fn: substring})
	register("split", builtin{min: 2, max: 2, fn: split})
	register("startswith", builtin{min: 2, max: 2, fn: affix("startsWith", func(s, p string) bool {
		return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
	})})
	register("endswith", builtin{min: 2, max: 2, fn: affix("endsWith", func(s, p string) bool {
		return len(s) >= len(p) && strings.EqualFold(s[len(s)-len(p):], p)
	})})
	register("json", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		s, ok := a[0].Text()
		if !ok {
			return wantString("json", a[0], at)
		}
		return parseJSON(ev, s, at)
	}})
	register("guid", builtin{min: 1, max: -1, symbols: true, fn: guid})
	register("uniquestring", builtin{min: 1, max: -1, symbols: true, fn: uniqueString})
}

func wantString(fn string, v *Value, at Pos) *Value {
	return NewUnknown(fmt.Sprintf("%s() wants a string, got %s", fn, describe(v)), at)
}

// result returns s as a known string, or as a Symbolic one (with its
// reason) when one of from is Symbolic.
func (ev *Evaluator) result(s string, at Pos, from ...*Value) *Value {
	v := ev.str(s, at)
	if sym := symbolicAmong(from); sym != nil && v.Kind == String {
		v.Symbolic, v.Why = true, sym.Why
	}
	return v
}

// concat joins strings (and numbers and bools), or concatenates arrays.
func concat(ev *Evaluator, a []*Value, at Pos) *Value {
	if len(a) > 0 && (a[0].Kind == Array || a[0].Kind == Null && len(a) > 1 && a[1].Kind == Array) {
		var elems []*Value
		for _, x := range a {
			switch x.Kind {
			case Array:
				elems = append(elems, x.Elems...)
			case Null:
			default:
				return NewUnknown(fmt.Sprintf("concat() of arrays got %s", describe(x)), at)
			}
		}
		if bad := ev.alloc(len(elems), 0, at); bad != nil {
			return bad
		}
		return NewArray(elems, at)
	}
	n := 0
	for _, x := range a {
		n += len(x.Str) + 20
	}
	if bad := ev.checkLen(n-20*len(a), at); bad != nil {
		return bad
	}
	var b strings.Builder
	for _, x := range a {
		s, ok := text(x)
		if !ok {
			return NewUnknown(fmt.Sprintf("concat() of strings got %s", describe(x)), at)
		}
		b.WriteString(s)
	}
	return ev.result(b.String(), at, a...)
}

func caseMap(f func(string) string) func(ev *Evaluator, a []*Value, at Pos) *Value {
	return func(ev *Evaluator, a []*Value, at Pos) *Value {
		s, ok := text(a[0])
		if !ok {
			return NewUnknown(fmt.Sprintf("a string function got %s", describe(a[0])), at)
		}
		return ev.result(f(s), at, a[0])
	}
}

// toString is string(): scalars as text, arrays and objects as JSON.
func toString(ev *Evaluator, a []*Value, at Pos) *Value {
	if s, ok := text(a[0]); ok {
		return ev.result(s, at, a[0])
	}
	out, symbolic, unknown := render(a[0])
	if unknown != nil {
		return NewUnknown(unknown.Reason(), at)
	}
	return ev.result(out, at, symbolic)
}

// format implements .NET composite formatting: {n}, {n,width} and the
// integer format strings D<digits>, N0 and X.
func format(ev *Evaluator, a []*Value, at Pos) *Value {
	f, ok := a[0].Text()
	if !ok {
		return wantString("format", a[0], at)
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(f) && f[i+1] == c:
			b.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return NewUnknown(fmt.Sprintf("format string %q has an unclosed {", f), at)
			}
			s, bad := formatItem(f[i+1:i+end], a[1:], at)
			if bad != nil {
				return bad
			}
			if b.Len()+len(s) > MaxString {
				return ev.checkLen(b.Len()+len(s), at)
			}
			b.WriteString(s)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return ev.result(b.String(), at, a[1:]...)
}

func formatItem(item string, args []*Value, at Pos) (string, *Value) {
	spec := ""
	if k := strings.IndexByte(item, ':'); k >= 0 {
		item, spec = item[:k], item[k+1:]
	}
	width := 0
	if k := strings.IndexByte(item, ','); k >= 0 {
		w, err := strconv.Atoi(strings.TrimSpace(item[k+1:]))
		if err != nil || w > 1000 || w < -1000 {
			return "", NewUnknown(fmt.Sprintf("format item {%s} has a bad width", item), at)
		}
		item, width = item[:k], w
	}
	n, err := strconv.Atoi(strings.TrimSpace(item))
	if err != nil || n < 0 || n >= len(args) {
		return "", NewUnknown(fmt.Sprintf("format item {%s} names no argument", item), at)
	}
	v := args[n]
	var s string
	switch {
	case spec == "":
		var ok bool
		if s, ok = text(v); !ok {
			return "", NewUnknown(fmt.Sprintf("format() of %s", describe(v)), at)
		}
	case v.Kind == Int && (spec[0] == 'D' || spec[0] == 'd'):
		digits, _ := strconv.Atoi(spec[1:])
		s = fmt.Sprintf("%0*d", min(digits, 100), v.Int)
	case v.Kind == Int && (spec == "X" || spec == "x"):
		s = strconv.FormatInt(v.Int, 16)
		if spec == "X" {
			s = strings.ToUpper(s)
		}
	case v.Kind == Int && spec == "N0":
		s = groupThousands(v.Int)
	default:
		return "", NewUnknown(fmt.Sprintf("lbcheck does not evaluate format string %q", spec), at)
	}
	if pad := abs(width) - utf8.RuneCountInString(s); pad > 0 {
		if width > 0 {
			s = strings.Repeat(" ", pad) + s
		} else {
			s += strings.Repeat(" ", pad)
		}
	}
	return s, nil
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// replace(s, old, new) replaces every occurrence, case-sensitively.
func replace(ev *Evaluator, a []*Value, at Pos) *Value {
	s, ok1 := text(a[0])
	old, ok2 := a[1].Text()
	repl, ok3 := text(a[2])
	switch {
	case a[1].Symbolic:
		return NewUnknown(a[1].Reason(), at)
	case !ok1 || !ok2 || !ok3:
		return NewUnknown("replace() wants three strings", at)
	case old == "":
		return ev.result(s, at, a[0], a[2])
	}
	if bad := ev.checkLen(len(s)+strings.Count(s, old)*(len(repl)-len(old)), at); bad != nil {
		return bad
	}
	return ev.result(strings.ReplaceAll(s, old, repl), at, a[0], a[2])
}

// padLeft(value, totalLength, [padChar]).
func padLeft(ev *Evaluator, a []*Value, at Pos) *Value {
	s, ok := text(a[0])
	n, okN := a[1].Integer()
	if !ok || !okN {
		return NewUnknown("padLeft() wants a string or integer and a length", at)
	}
	pad := " "
	if len(a) == 3 {
		p, ok := a[2].Text()
		if !ok || utf8.RuneCountInString(p) != 1 {
			return NewUnknown("padLeft()'s padding must be one character", at)
		}
		pad = p
	}
	if bad := ev.checkLen(int(min(n, MaxString+1))*len(pad), at); bad != nil {
		return bad
	}
	if missing := int(n) - utf8.RuneCountInString(s); missing > 0 {
		s = strings.Repeat(pad, missing) + s
	}
	return ev.result(s, at, a[0])
}

// uri(base, relative) resolves relative against base as .NET's Uri does.
func uri(ev *Evaluator, a []*Value, at Pos) *Value {
	base, ok1 := text(a[0])
	rel, ok2 := text(a[1])
	if !ok1 || !ok2 {
		return NewUnknown("uri() wants two strings", at)
	}
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		return NewUnknown(fmt.Sprintf("uri() base %q is not an absolute URI", base), at)
	}
	r, err := url.Parse(rel)
	if err != nil {
		return NewUnknown(fmt.Sprintf("uri() relative part %q: %v", rel, err), at)
	}
	return ev.result(b.ResolveReference(r).String(), at, a[0], a[1])
}

func base64ToString(ev *Evaluator, a []*Value, at Pos) *Value {
	s, ok := a[0].Text()
	if !ok {
		return wantString("base64ToString", a[0], at)
	}
	out, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return NewUnknown("base64ToString(): "+err.Error(), at)
	}
	return ev.str(string(out), at)
}

func substring(ev *Evaluator, a []*Value, at Pos) *Value {
	s, ok := a[0].Text()
	start, ok2 := a[1].Integer()
	if !ok || !ok2 {
		return NewUnknown("substring() wants a string and a start index", at)
	}
	r := []rune(s)
	length := int64(len(r)) - start
	if len(a) == 3 {
		var ok bool
		if length, ok = a[2].Integer(); !ok {
			return NewUnknown("substring()'s length is not an integer", at)
		}
	}
	if start < 0 || length < 0 || start+length > int64(len(r)) {
		return NewUnknown(fmt.Sprintf("substring(%q, %d, %d) is out of range", s, start, length), at)
	}
	return ev.str(string(r[start:start+length]), at)
}

func split(ev *Evaluator, a []*Value, at Pos) *Value {
	s, ok := a[0].Text()
	if !ok {
		return wantString("split", a[0], at)
	}
	var delims []string
	if d, ok := a[1].Text(); ok {
		delims = []string{d}
	}
	for _, e := range a[1].Items() {
		d, ok := e.Text()
		if !ok {
			return NewUnknown("split() delimiters must be known strings", at)
		}
		delims = append(delims, d)
	}
	if len(delims) == 0 {
		return NewUnknown("split() wants a delimiter string or array of strings", at)
	}
	parts := []string{s}
	for _, d := range delims {
		if d == "" {
			continue
		}
		var next []string
		for _, p := range parts {
			next = append(next, strings.Split(p, d)...)
		}
		parts = next
	}
	if bad := ev.alloc(len(parts), len(s), at); bad != nil {
		return bad
	}
	elems := make([]*Value, len(parts))
	for i, p := range parts {
		elems[i] = NewString(p, at)
	}
	return NewArray(elems, at)
}

// affix builds startsWith() and endsWith(), which ignore case.
func affix(name string, test func(s, p string) bool) func(ev *Evaluator, a []*Value, at Pos) *Value {
	return func(ev *Evaluator, a []*Value, at Pos) *Value {
		s, ok1 := a[0].Text()
		p, ok2 := a[1].Text()
		if !ok1 || !ok2 {
			return NewUnknown(name+"() wants two strings", at)
		}
		return NewBool(test(s, p), at)
	}
}

// parseJSON is json(): the string's JSON as a value (its strings are not
// expressions), attributed to the expression.
func parseJSON(ev *Evaluator, s string, at Pos) *Value {
	v, err := jsonpos.Parse([]byte(s))
	if err != nil {
		return NewUnknown(fmt.Sprintf("json() of text that is not JSON: %v", err), at)
	}
	return relocate(ev.Literal(v, at.File), at)
}

// relocate attributes v and everything in it to at.
func relocate(v *Value, at Pos) *Value {
	c := v.withAt(at)
	switch v.Kind {
	case Array:
		c.Elems = make([]*Value, len(v.Elems))
		for i, e := range v.Elems {
			c.Elems[i] = relocate(e, at)
		}
	case Object:
		c.Members = make([]Member, len(v.Members))
		for i, m := range v.Members {
			c.Members[i] = Member{Key: m.Key, KeyAt: at, Value: relocate(m.Value, at)}
		}
	}
	return c
}
