package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// The expression grammar, as ARM parses the text between "[" and "]":
//
//	expr    = primary { "." name | ".?" name | "[" expr "]" | "[?" expr "]" }
//	primary = 'string' | integer | true | false | null | call
//	call    = name [ "." name ] "(" [ expr { "," expr } ] ")"
//
// A string literal escapes ' as ''. Function names are case-insensitive;
// "ns.fn(...)" calls a user-defined function of namespace ns.

// maxNesting bounds how deeply calls and accesses nest in one expression.
// It is checked before recursing, so a hostile expression cannot exhaust
// the stack.
const maxNesting = 100

// node is a parsed expression.
type node interface{ pos() int }

type (
	strLit struct {
		at int
		s  string
	}
	intLit struct {
		at int
		n  int64
	}
	boolLit struct {
		at int
		b  bool
	}
	nullLit struct{ at int }
	callN   struct {
		at       int
		ns, name string // name as written; ns is "" for built-in functions
		args     []node
	}
	memberN struct {
		at   int
		x    node
		name string
		safe bool // .?name: null instead of an error when missing
	}
	indexN struct {
		at   int
		x, i node
		safe bool
	}
)

func (n *strLit) pos() int  { return n.at }
func (n *intLit) pos() int  { return n.at }
func (n *boolLit) pos() int { return n.at }
func (n *nullLit) pos() int { return n.at }
func (n *callN) pos() int   { return n.at }
func (n *memberN) pos() int { return n.at }
func (n *indexN) pos() int  { return n.at }

// parseError is an expression ARM would reject.
type parseError struct {
	off int
	msg string
}

func (e *parseError) Error() string { return e.msg }

type parser struct {
	src   string
	off   int
	depth int
}

// parse parses the text of one expression (without the brackets).
func parse(src string) (node, error) {
	p := &parser{src: src}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.off < len(p.src) {
		return nil, p.errorf("unexpected %q after the expression", p.rest())
	}
	return n, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return &parseError{off: p.off, msg: fmt.Sprintf(format, args...)}
}

// rest is a short excerpt of the unparsed text for messages.
func (p *parser) rest() string {
	r := p.src[p.off:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *parser) space() {
	for p.off < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.off]) >= 0 {
		p.off++
	}
}

func (p *parser) peek() byte {
	p.space()
	if p.off < len(p.src) {
		return p.src[p.off]
	}
	return 0
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxNesting {
		return p.errorf("the expression nests deeper than %d levels", maxNesting)
	}
	return nil
}

func (p *parser) expr() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		at := p.off
		switch p.peek() {
		case '.':
			p.off++
			safe := p.peek() == '?'
			if safe {
				p.off++
			}
			name := p.name()
			if name == "" {
				return nil, p.errorf("want a property name after '.'")
			}
			n = &memberN{at: at, x: n, name: name, safe: safe}
		case '[':
			p.off++
			safe := p.peek() == '?'
			if safe {
				p.off++
			}
			if err := p.enter(); err != nil {
				return nil, err
			}
			i, err := p.expr()
			p.depth--
			if err != nil {
				return nil, err
			}
			if p.peek() != ']' {
				return nil, p.errorf("want ']' to close the index")
			}
			p.off++
			n = &indexN{at: at, x: n, i: i, safe: safe}
		default:
			return n, nil
		}
	}
}

// name reads an identifier: letters, digits, '_' and '$'.
func (p *parser) name() string {
	p.space()
	start := p.off
	for p.off < len(p.src) {
		c := p.src[p.off]
		if c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || p.off > start && c >= '0' && c <= '9' {
			p.off++
			continue
		}
		break
	}
	return p.src[start:p.off]
}

func (p *parser) primary() (node, error) {
	at := p.off
	switch c := p.peek(); {
	case c == '\'':
		s, err := p.stringLit()
		return &strLit{at: at, s: s}, err
	case c == '-' || c >= '0' && c <= '9':
		start := p.off
		p.off++
		for p.off < len(p.src) && p.src[p.off] >= '0' && p.src[p.off] <= '9' {
			p.off++
		}
		n, err := strconv.ParseInt(p.src[start:p.off], 10, 64)
		if err != nil {
			p.off = start
			return nil, p.errorf("bad integer %q", p.src[start:p.off])
		}
		return &intLit{at: start, n: n}, nil
	case c == 0:
		return nil, p.errorf("the expression ends where a value is wanted")
	}
	at = p.off
	name := p.name()
	if name == "" {
		return nil, p.errorf("unexpected %q", p.rest())
	}
	ns := ""
	if p.peek() == '.' {
		save := p.off
		p.off++
		fn := p.name()
		if fn != "" && p.peek() == '(' {
			ns, name = name, fn
		} else {
			p.off = save
		}
	}
	if p.peek() != '(' {
		switch strings.ToLower(name) {
		case "true", "false":
			if ns == "" {
				return &boolLit{at: at, b: strings.EqualFold(name, "true")}, nil
			}
		case "null":
			if ns == "" {
				return &nullLit{at: at}, nil
			}
		}
		return nil, p.errorf("%s is not a function call (want %s(...))", name, name)
	}
	p.off++
	call := &callN{at: at, ns: ns, name: name}
	for p.peek() != ')' {
		if p.off >= len(p.src) {
			return nil, p.errorf("unterminated call of %s()", name)
		}
		if len(call.args) > 0 {
			if p.peek() != ',' {
				return nil, p.errorf("want ',' or ')' in the call of %s()", name)
			}
			p.off++
		}
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		call.args = append(call.args, a)
	}
	p.off++
	return call, nil
}

func (p *parser) stringLit() (string, error) {
	start := p.off
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
	p.off = start
	return "", p.errorf("unterminated string literal")
}
