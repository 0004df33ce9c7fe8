package arm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// The ARM template expression language, partially: string and integer
// literals, parameters(), variables(), concat(), format(), resourceId(),
// add(), copyIndex(), toLower(), toUpper(), string(), int(), and property or
// index access on object parameters and variables. Anything else is
// "unknown": the importer reports it and leaves the field unset.
//
// Values are string, int, bool or *jsonpos.Value (objects and arrays).

// unknown is a value the evaluator cannot compute; reason says why.
type unknown struct{ reason string }

func (u *unknown) Error() string { return u.reason }

func unknownf(format string, args ...any) error {
	return &unknown{fmt.Sprintf(format, args...)}
}

// scope is what expressions of one template can see.
type scope struct {
	params    map[string]*jsonpos.Value // lower-case name -> declaration
	paramVals map[string]*jsonpos.Value // lower-case name -> value from a parameters file
	variables *jsonpos.Value
	copyIndex *int
	depth     int
	steps     int
	// literal is set for az CLI output, whose strings are never expressions.
	literal bool
}

// maxEvalDepth bounds variable-to-variable recursion (and cycles);
// maxEvalSteps bounds the work of one top-level evaluation.
const (
	maxEvalDepth = 64
	maxEvalSteps = 10000
)

// evalString evaluates a template string: "[expr]" is an expression, "[[..."
// is a literal starting with "[", anything else is a literal.
func (s *scope) evalString(str string) (any, error) {
	switch {
	case s.literal:
		return str, nil
	case strings.HasPrefix(str, "[["):
		return str[1:], nil
	case strings.HasPrefix(str, "[") && strings.HasSuffix(str, "]"):
		if s.depth == 0 {
			s.steps = 0
		}
		s.steps++
		if s.depth > maxEvalDepth || s.steps > maxEvalSteps {
			return nil, unknownf("expressions nest too deep (a variable refers to itself?)")
		}
		s.depth++
		defer func() { s.depth-- }()
		p := &exprParser{src: str[1 : len(str)-1], s: s}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.off < len(p.src) {
			return nil, unknownf("cannot parse %q after %q", p.src[p.off:], p.src[:p.off])
		}
		return v, nil
	}
	return str, nil
}

// fromJSON turns a JSON value into an expression value, evaluating strings
// (variables and defaultValues may hold expressions).
func (s *scope) fromJSON(v *jsonpos.Value, evaluate bool) (any, error) {
	switch {
	case v == nil:
		return nil, unknownf("value is missing")
	case v.Kind == jsonpos.String && evaluate:
		return s.evalString(v.Text)
	case v.Kind == jsonpos.String:
		return v.Text, nil
	case v.Kind == jsonpos.Number:
		if n, ok := v.Int(); ok {
			return n, nil
		}
		return nil, unknownf("number %s is not an integer", v.Text)
	case v.Kind == jsonpos.Bool:
		return v.Bool, nil
	}
	return v, nil
}

type exprParser struct {
	src string
	off int
	s   *scope
}

func (p *exprParser) space() {
	for p.off < len(p.src) && (p.src[p.off] == ' ' || p.src[p.off] == '\t' || p.src[p.off] == '\n' || p.src[p.off] == '\r') {
		p.off++
	}
}

func (p *exprParser) peek() byte {
	p.space()
	if p.off < len(p.src) {
		return p.src[p.off]
	}
	return 0
}

// expr parses a primary followed by property and index accesses.
func (p *exprParser) expr() (any, error) {
	v, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch p.peek() {
		case '.':
			p.off++
			name := p.ident()
			if name == "" {
				return nil, unknownf("want a property name after '.' in %q", p.src)
			}
			if v, err = p.s.member(v, name); err != nil {
				return nil, err
			}
		case '[':
			p.off++
			idx, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.peek() != ']' {
				return nil, unknownf("want ']' in %q", p.src)
			}
			p.off++
			if v, err = p.s.index(v, idx); err != nil {
				return nil, err
			}
		default:
			return v, nil
		}
	}
}

func (p *exprParser) ident() string {
	p.space()
	start := p.off
	for p.off < len(p.src) {
		c := p.src[p.off]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || p.off > start && c >= '0' && c <= '9' {
			p.off++
			continue
		}
		break
	}
	return p.src[start:p.off]
}

func (p *exprParser) primary() (any, error) {
	switch c := p.peek(); {
	case c == '\'':
		return p.stringLit()
	case c == '-' || c >= '0' && c <= '9':
		start := p.off
		p.off++
		for p.off < len(p.src) && p.src[p.off] >= '0' && p.src[p.off] <= '9' {
			p.off++
		}
		n, err := strconv.Atoi(p.src[start:p.off])
		if err != nil {
			return nil, unknownf("bad number %q", p.src[start:p.off])
		}
		return n, nil
	}
	name := p.ident()
	if name == "" || p.peek() != '(' {
		return nil, unknownf("cannot parse expression %q", p.src)
	}
	p.off++
	var args []any
	var argErr error
	for p.peek() != ')' {
		if p.off >= len(p.src) {
			return nil, unknownf("unterminated call of %s() in %q", name, p.src)
		}
		a, err := p.expr()
		if err != nil {
			// Keep parsing so that a later syntax error is not hidden,
			// but remember why the call cannot be evaluated.
			if argErr == nil {
				argErr = err
			}
			if _, isUnknown := err.(*unknown); !isUnknown || !p.skipArg() {
				return nil, err
			}
		}
		args = append(args, a)
		if p.peek() == ',' {
			p.off++
		} else if p.peek() != ')' {
			return nil, unknownf("want ',' or ')' in call of %s() in %q", name, p.src)
		}
	}
	p.off++
	if argErr != nil {
		return nil, argErr
	}
	return p.s.call(name, args)
}

// skipArg advances past the rest of an argument whose evaluation failed, up
// to the ',' or ')' that ends it. It reports whether it found one.
func (p *exprParser) skipArg() bool {
	depth := 0
	for p.off < len(p.src) {
		switch c := p.src[p.off]; c {
		case '\'':
			if _, err := p.stringLit(); err != nil {
				return false
			}
			continue
		case '(', '[':
			depth++
		case ')', ']':
			if depth == 0 {
				return c == ')'
			}
			depth--
		case ',':
			if depth == 0 {
				return true
			}
		}
		p.off++
	}
	return false
}

func (p *exprParser) stringLit() (any, error) {
	p.off++ // opening quote
	var b strings.Builder
	for p.off < len(p.src) {
		c := p.src[p.off]
		p.off++
		if c != '\'' {
			b.WriteByte(c)
			continue
		}
		if p.off < len(p.src) && p.src[p.off] == '\'' { // '' is an escaped quote
			b.WriteByte('\'')
			p.off++
			continue
		}
		return b.String(), nil
	}
	return nil, unknownf("unterminated string literal in %q", p.src)
}

// member is v.name.
func (s *scope) member(v any, name string) (any, error) {
	obj, ok := v.(*jsonpos.Value)
	if !ok || obj.Kind != jsonpos.Object {
		return nil, unknownf("property .%s of a value that is not an object", name)
	}
	m := obj.Get(name)
	if m == nil {
		return nil, unknownf("object has no property %q", name)
	}
	return s.fromJSON(m, true)
}

// index is v[i].
func (s *scope) index(v any, i any) (any, error) {
	obj, ok := v.(*jsonpos.Value)
	if !ok {
		return nil, unknownf("index of a value that is not an array or object")
	}
	switch key := i.(type) {
	case int:
		items := obj.Items()
		if key < 0 || key >= len(items) {
			return nil, unknownf("index %d out of range", key)
		}
		return s.fromJSON(items[key], true)
	case string:
		return s.member(obj, key)
	}
	return nil, unknownf("index of unsupported type")
}

func (s *scope) call(name string, args []any) (any, error) {
	switch strings.ToLower(name) {
	case "parameters":
		return s.parameter(args)
	case "variables":
		return s.variable(args)
	case "concat":
		return concat(args)
	case "format":
		return format(args)
	case "resourceid":
		return resourceID(args)
	case "add":
		a, aok := intArg(args, 0)
		b, bok := intArg(args, 1)
		if len(args) != 2 || !aok || !bok {
			return nil, unknownf("add() wants two integers")
		}
		return a + b, nil
	case "copyindex":
		return s.copyIdx(args)
	case "tolower", "toupper", "string":
		if len(args) != 1 {
			return nil, unknownf("%s() wants one argument", name)
		}
		str, err := scalarString(args[0])
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(name) {
		case "tolower":
			str = strings.ToLower(str)
		case "toupper":
			str = strings.ToUpper(str)
		}
		return str, nil
	case "int":
		if n, ok := intArg(args, 0); ok && len(args) == 1 {
			return n, nil
		}
		return nil, unknownf("int() wants one integer or numeric string")
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return nil, unknownf("function %s() is only known at deployment", name)
}

func (s *scope) parameter(args []any) (any, error) {
	name, ok := strArg(args, 0)
	if len(args) != 1 || !ok {
		return nil, unknownf("parameters() wants one string")
	}
	key := strings.ToLower(name)
	if v, ok := s.paramVals[key]; ok {
		return s.fromJSON(v, false)
	}
	decl, ok := s.params[key]
	if !ok {
		return nil, unknownf("parameter '%s' is not declared", name)
	}
	def := decl.Get("defaultValue")
	if def == nil {
		return nil, unknownf("parameter '%s' has no defaultValue; pass a parameters file", name)
	}
	return s.fromJSON(def, true)
}

func (s *scope) variable(args []any) (any, error) {
	name, ok := strArg(args, 0)
	if len(args) != 1 || !ok {
		return nil, unknownf("variables() wants one string")
	}
	v := s.variables.Get(name)
	if v == nil {
		return nil, unknownf("variable '%s' is not declared", name)
	}
	return s.fromJSON(v, true)
}

func (s *scope) copyIdx(args []any) (any, error) {
	if s.copyIndex == nil {
		return nil, unknownf("copyIndex() outside a resource copy loop")
	}
	offset := 0
	for _, a := range args {
		if n, ok := a.(int); ok {
			offset = n
		}
	}
	return *s.copyIndex + offset, nil
}

func concat(args []any) (any, error) {
	var b strings.Builder
	for _, a := range args {
		str, err := scalarString(a)
		if err != nil {
			return nil, unknownf("concat() of arrays or objects is not evaluated")
		}
		b.WriteString(str)
	}
	return b.String(), nil
}

// format implements .NET composite formatting for plain {n} items.
func format(args []any) (any, error) {
	f, ok := strArg(args, 0)
	if !ok {
		return nil, unknownf("format() wants a format string")
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '{' && i+1 < len(f) && f[i+1] == '{', c == '}' && i+1 < len(f) && f[i+1] == '}':
			b.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(f[i:], '}')
			n, err := strconv.Atoi(f[i+1 : i+max(end, 1)])
			if end < 0 || err != nil || n < 0 || n+1 >= len(args) {
				return nil, unknownf("format item %q is not evaluated", f[i:])
			}
			str, err := scalarString(args[n+1])
			if err != nil {
				return nil, err
			}
			b.WriteString(str)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// resourceID builds a resource ID from [subscriptionId,] [resourceGroupName,]
// resourceType, name... with placeholders for the subscription and group.
func resourceID(args []any) (any, error) {
	strs := make([]string, len(args))
	for i, a := range args {
		s, err := scalarString(a)
		if err != nil {
			return nil, err
		}
		strs[i] = s
	}
	for i, t := range strs {
		segs := strings.Split(t, "/")
		if len(segs) < 2 || !strings.Contains(segs[0], ".") || len(strs)-i-1 != len(segs)-1 {
			continue
		}
		sub, rg := "{subscriptionId}", "{resourceGroup}"
		switch i {
		case 2:
			sub, rg = strs[0], strs[1]
		case 1:
			rg = strs[0]
		}
		id := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + segs[0]
		for j, typ := range segs[1:] {
			id += "/" + typ + "/" + strs[i+1+j]
		}
		return id, nil
	}
	return nil, unknownf("resourceId() arguments do not match a resource type and its names")
}

func scalarString(a any) (string, error) {
	switch v := a.(type) {
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", unknownf("an object or array where a string is needed")
}

func strArg(args []any, i int) (string, bool) {
	if i >= len(args) {
		return "", false
	}
	s, ok := args[i].(string)
	return s, ok
}

func intArg(args []any, i int) (int, bool) {
	if i >= len(args) {
		return 0, false
	}
	switch v := args[i].(type) {
	case int:
		return v, true
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}
