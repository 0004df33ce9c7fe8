// Package jsonpos parses JSON into a tree that remembers the line and column
// of every value and object key, so that importers can point findings at the
// exact token in the user's original file. Object keys are looked up
// case-insensitively, as Azure Resource Manager does.
//
// The parser accepts what Azure Resource Manager's own JSON reader accepts
// besides RFC 8259: `//` line comments and `/* */` block comments wherever
// whitespace may stand, a trailing comma before `}` or `]`, and raw line
// breaks and tabs inside strings (multi-line expressions), and any Unicode
// white space between tokens.
package jsonpos

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/lbcheck/lbcheck/internal/textenc"
)

// Kind is the JSON type of a Value.
type Kind int

// The JSON types.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

// String names the kind as JSON Schema does.
func (k Kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "object", "array"}[k]
}

// Pos is a 1-based line and byte column in the source. File is empty for
// positions in the file being imported, which is all a JSON parse yields;
// readers of formats made of several files (a Terraform module's .tf
// files) set it to the file the position is in.
type Pos struct {
	Line, Col int
	File      string
}

// Value is one JSON value with its position. For a value that is an object
// member, Key and KeyPos describe the member's key; otherwise KeyPos equals
// Pos.
type Value struct {
	Kind    Kind
	Pos     Pos
	Key     string
	KeyPos  Pos
	Text    string   // String: the decoded string; Number: the literal
	Bool    bool     // Bool
	Members []*Value // Object, in source order
	Elems   []*Value // Array
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 2000

// SyntaxError is a parse error at a position.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// Parse parses one JSON document. It accepts a UTF-8 byte-order mark and
// UTF-16 input with a byte-order mark (Windows PowerShell's `>` writes
// UTF-16LE), which it converts to UTF-8 before parsing; positions refer to
// lines and columns of the decoded text.
func Parse(src []byte) (*Value, error) {
	p := &parser{src: textenc.UTF8(src), line: 1, lineStart: 0}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off < len(p.src) {
		return nil, p.errorf("unexpected %s after the JSON value", p.char())
	}
	return v, nil
}

type parser struct {
	src       []byte
	off       int
	line      int
	lineStart int
	// unterminated is where a block comment that never ends starts.
	unterminated *Pos
}

func (p *parser) pos() Pos { return Pos{Line: p.line, Col: p.off - p.lineStart + 1} }

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Pos: p.pos(), Msg: fmt.Sprintf(format, args...)}
}

// endError reports the end of input where more was wanted, at the start of
// an unterminated block comment if that is what swallowed the rest.
func (p *parser) endError(want string) error {
	if p.unterminated != nil {
		return &SyntaxError{Pos: *p.unterminated, Msg: "unterminated /* comment"}
	}
	return p.errorf("unexpected end of input, %s", want)
}

// skipSpace skips whitespace and comments. An unterminated block comment
// is reported by the next token read (at the end of input).
func (p *parser) skipSpace() {
	for p.off < len(p.src) {
		switch c := p.src[p.off]; {
		case c == '\n':
			p.newline()
		case c == ' ' || c == '\t' || c == '\r':
			p.off++
		case c >= utf8.RuneSelf && unicode.IsSpace(p.rune()):
			// Json.NET, which ARM parses with, skips any Unicode white
			// space (a no-break space pasted from a web page).
			_, size := utf8.DecodeRune(p.src[p.off:])
			p.off += size
		case c == '/' && p.off+1 < len(p.src) && p.src[p.off+1] == '/':
			for p.off < len(p.src) && p.src[p.off] != '\n' {
				p.off++
			}
		case c == '/' && p.off+1 < len(p.src) && p.src[p.off+1] == '*':
			start := p.pos()
			p.off += 2
			for p.off < len(p.src) && !(p.src[p.off] == '*' && p.off+1 < len(p.src) && p.src[p.off+1] == '/') {
				if p.src[p.off] == '\n' {
					p.newline()
					continue
				}
				p.off++
			}
			if p.off >= len(p.src) {
				p.unterminated = &start
				return
			}
			p.off += 2
		default:
			return
		}
	}
}

// char describes the character at p.off for messages: quoted, with its
// code point when it is not printable ASCII (a no-break space looks like a
// space).
func (p *parser) char() string {
	r := p.rune()
	if r < utf8.RuneSelf && unicode.IsPrint(r) {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("%q (%U)", r, r)
}

// rune decodes the character at p.off.
func (p *parser) rune() rune {
	r, _ := utf8.DecodeRune(p.src[p.off:])
	return r
}

// newline consumes a line feed at p.off.
func (p *parser) newline() {
	p.off++
	p.line++
	p.lineStart = p.off
}

func (p *parser) value(depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d levels", maxDepth)
	}
	if p.off >= len(p.src) {
		return nil, p.endError("want a JSON value")
	}
	v := &Value{Pos: p.pos()}
	v.KeyPos = v.Pos
	switch c := p.src[p.off]; {
	case c == '{':
		v.Kind = Object
		return v, p.object(v, depth)
	case c == '[':
		v.Kind = Array
		return v, p.array(v, depth)
	case c == '"':
		v.Kind = String
		s, err := p.str()
		v.Text = s
		return v, err
	case c == '-' || (c >= '0' && c <= '9'):
		v.Kind = Number
		s, err := p.number()
		v.Text = s
		return v, err
	case p.literal("true"):
		v.Kind, v.Bool = Bool, true
		return v, nil
	case p.literal("false"):
		v.Kind = Bool
		return v, nil
	case p.literal("null"):
		return v, nil
	default:
		return nil, p.errorf("unexpected %s, want a JSON value", p.char())
	}
}

func (p *parser) literal(word string) bool {
	if bytes.HasPrefix(p.src[p.off:], []byte(word)) {
		p.off += len(word)
		return true
	}
	return false
}

func (p *parser) object(v *Value, depth int) error {
	p.off++ // {
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == '}' {
		p.off++
		return nil
	}
	for {
		p.skipSpace()
		if p.off >= len(p.src) {
			return p.endError("want a quoted object key")
		}
		if p.src[p.off] == '}' && len(v.Members) > 0 { // trailing comma
			p.off++
			return nil
		}
		if p.src[p.off] != '"' {
			return p.errorf("want a quoted object key")
		}
		keyPos := p.pos()
		key, err := p.str()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != ':' {
			return p.errorf("want ':' after object key %q", key)
		}
		p.off++
		p.skipSpace()
		m, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		m.Key, m.KeyPos = key, keyPos
		v.Members = append(v.Members, m)
		p.skipSpace()
		if p.off >= len(p.src) {
			return p.endError("want , or } to continue the object")
		}
		switch p.src[p.off] {
		case ',':
			p.off++
		case '}':
			p.off++
			return nil
		default:
			return p.errorf("unexpected %s in object, want ',' or '}'", p.char())
		}
	}
}

func (p *parser) array(v *Value, depth int) error {
	p.off++ // [
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == ']' {
		p.off++
		return nil
	}
	for {
		p.skipSpace()
		if p.off < len(p.src) && p.src[p.off] == ']' && len(v.Elems) > 0 { // trailing comma
			p.off++
			return nil
		}
		e, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		v.Elems = append(v.Elems, e)
		p.skipSpace()
		if p.off >= len(p.src) {
			return p.endError("want , or ] to continue the array")
		}
		switch p.src[p.off] {
		case ',':
			p.off++
		case ']':
			p.off++
			return nil
		default:
			return p.errorf("unexpected %s in array, want ',' or ']'", p.char())
		}
	}
}

// numberSyntax is the JSON number grammar (RFC 8259 section 6).
var numberSyntax = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func (p *parser) number() (string, error) {
	start := p.off
	for p.off < len(p.src) && strings.IndexByte("+-0123456789.eE", p.src[p.off]) >= 0 {
		p.off++
	}
	text := string(p.src[start:p.off])
	if !numberSyntax.MatchString(text) {
		p.off = start
		return "", p.errorf("malformed number %q", text)
	}
	return text, nil
}

// str parses a JSON string starting at the opening quote.
func (p *parser) str() (string, error) {
	p.off++ // "
	var b strings.Builder
	for p.off < len(p.src) {
		c := p.src[p.off]
		switch {
		case c == '"':
			p.off++
			return b.String(), nil
		case c == '\\':
			if err := p.escape(&b); err != nil {
				return "", err
			}
		case c == '\n':
			b.WriteByte(c)
			p.newline()
		case c < 0x20 && c != '\t' && c != '\r':
			return "", p.errorf("control character %q in string", c)
		default:
			r, size := utf8.DecodeRune(p.src[p.off:])
			b.WriteRune(r)
			p.off += size
		}
	}
	return "", p.errorf("unterminated string")
}

// escapes maps the single-character JSON escapes to the runes they stand for.
var escapes = map[byte]rune{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (p *parser) escape(b *strings.Builder) error {
	if p.off+1 >= len(p.src) {
		return p.errorf("unterminated escape")
	}
	c := p.src[p.off+1]
	if r, ok := escapes[c]; ok {
		b.WriteRune(r)
		p.off += 2
		return nil
	}
	if c != 'u' {
		return p.errorf("invalid escape \\%c", c)
	}
	r, err := p.hex4(p.off + 2)
	if err != nil {
		return err
	}
	p.off += 6
	if utf16.IsSurrogate(r) && bytes.HasPrefix(p.src[p.off:], []byte(`\u`)) {
		if r2, err := p.hex4(p.off + 2); err == nil {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				r = dec
				p.off += 6
			}
		}
	}
	b.WriteRune(r)
	return nil
}

func (p *parser) hex4(at int) (rune, error) {
	if at+4 > len(p.src) {
		return 0, p.errorf("short \\u escape")
	}
	n, err := strconv.ParseUint(string(p.src[at:at+4]), 16, 16)
	if err != nil {
		return 0, p.errorf("invalid \\u escape %q", p.src[at:at+4])
	}
	return rune(n), nil
}
