package importer

import (
	"bytes"
	"regexp"
	"sort"
	"strings"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Positions in Bicep inputs are approximate. `bicep build` writes no
// source map, so bicepMap finds, for a position in the compiled JSON, the
// place in the .bicep source that produced it by structure:
//
//  1. The JSON value at the position is located, with the path of keys and
//     array indexes that leads to it from the template's root.
//  2. The path's first steps name a declaration: resources[i] (or, in
//     languageVersion 2.0, resources.SYMBOL) is a `resource` or `module`
//     declaration, variables.NAME is `var NAME`, parameters.NAME is
//     `param NAME`, outputs.NAME is `output NAME`. A resource is chosen
//     among the declarations of its type (a nested child declared as
//     'inboundNatRules' matches Microsoft.Network/loadBalancers/
//     inboundNatRules): the only one; else the one whose `name:` is the
//     compiled name's literal ('web-lb') or the parameter or variable it
//     names (lbName for [parameters('lbName')]); else the i-th of that
//     type when the template and the source have as many (this assumes
//     Bicep emits resources in declaration order); else none.
//     `existing` declarations compile to no resource and are left out.
//  3. The rest of the path is followed through the declaration's body: a
//     key to the member of that name in the Bicep object literal, an index
//     to that item of the array literal, a property copy loop
//     (copy[j].input, what `[for ...]` compiles to) to the loop's body.
//
// The result is the deepest place reached: the member's key, the array
// item, the loop body's `{`, else the declaration's keyword. Where the path
// leaves the literal structure (a value computed by an expression or a
// function, a key Bicep generates such as dependsOn, anything inside a
// module's compiled template) it stops at the last place found; a position
// in no declaration (metadata, functions) is line 1, column 1. Columns are
// byte columns, as jsonpos's are.
type bicepMap struct {
	src  *bicepSource
	root *jsonpos.Value
}

// newBicepMap prepares the mapping from compiled to the source it was
// compiled from.
func newBicepMap(source, compiled []byte) (*bicepMap, error) {
	root, err := jsonpos.Parse(compiled)
	if err != nil {
		return nil, err
	}
	return &bicepMap{src: scanBicep(source), root: root}, nil
}

// pos maps one position of the compiled JSON to the source.
func (m *bicepMap) pos(p jsonpos.Pos) jsonpos.Pos {
	start := jsonpos.Pos{Line: 1, Col: 1}
	chain := locate(m.root, p)
	if len(chain) < 2 {
		return start
	}
	var d *bicepDecl
	rest := chain[2:]
	switch strings.ToLower(chain[0].key) {
	case "resources":
		d = m.resource(chain[0].v, chain[1])
	case "variables":
		if strings.EqualFold(chain[1].key, "copy") { // var NAME = [for ...]
			return m.variableLoop(chain[1:])
		}
		d = m.src.decl("var", chain[1].key)
	case "parameters":
		d, rest = m.src.decl("param", chain[1].key), nil
	case "outputs":
		d, rest = m.src.decl("output", chain[1].key), nil
	}
	if d == nil {
		return start
	}
	return m.src.follow(d.value, rest, m.src.pos(d.at))
}

// variableLoop maps a position in the variables' copy array: chain starts
// at its "copy" key.
func (m *bicepMap) variableLoop(chain []step) jsonpos.Pos {
	start := jsonpos.Pos{Line: 1, Col: 1}
	if len(chain) < 2 {
		return start
	}
	name, _ := chain[1].v.Get("name").Str()
	d := m.src.decl("var", name)
	if d == nil {
		return start
	}
	at := m.src.pos(d.at)
	if len(chain) < 3 || !strings.EqualFold(chain[2].key, "input") {
		return at
	}
	body := m.src.loopBody(d.value)
	if body < 0 {
		return at
	}
	return m.src.follow(body, chain[3:], m.src.pos(body))
}

// resource finds the declaration of the compiled resource s, an element
// (or, with symbolic names, a member) of resources.
func (m *bicepMap) resource(resources *jsonpos.Value, s step) *bicepDecl {
	if s.index < 0 {
		for _, d := range m.src.decls {
			if (d.kind == "resource" || d.kind == "module") && d.name == s.key {
				return d
			}
		}
		return nil
	}
	typ, _ := s.v.Get("type").Str()
	var cands []*bicepDecl
	for _, d := range m.src.decls {
		if d.typ != "" && !d.existing && typeMatches(d.typ, typ) {
			cands = append(cands, d)
		}
	}
	if len(cands) == 1 {
		return cands[0]
	}
	var named []*bicepDecl
	for _, d := range cands {
		if nameMatches(m.src.nameOf(d), s.v.Get("name")) {
			named = append(named, d)
		}
	}
	if len(named) == 1 {
		return named[0]
	}
	nth, count := 0, 0
	for i, r := range resources.Elems {
		if t, _ := r.Get("type").Str(); strings.EqualFold(t, typ) {
			if i < s.index {
				nth++
			}
			count++
		}
	}
	if count == len(cands) {
		return cands[nth]
	}
	return nil
}

// typeMatches reports whether a declared resource type (lower case,
// without API version) is the compiled type: the same, or the last
// segments of it (a child declared inside its parent).
func typeMatches(declared, compiled string) bool {
	compiled = strings.ToLower(compiled)
	return declared == compiled || strings.HasSuffix(compiled, "/"+declared)
}

// refExpr is an ARM expression that is only a parameter or variable.
var refExpr = regexp.MustCompile(`^\[(?:parameters|variables)\('([A-Za-z_][A-Za-z0-9_]*)'\)\]$`)

// nameMatches reports whether the Bicep text of a `name:` value produced
// the compiled name: 'web-lb' for "web-lb" (or for "lb/web-lb", a child),
// lbName for "[parameters('lbName')]" or "[variables('lbName')]".
func nameMatches(text string, compiled *jsonpos.Value) bool {
	name, ok := compiled.Str()
	if !ok || text == "" {
		return false
	}
	if m := refExpr.FindStringSubmatch(name); m != nil {
		return text == m[1]
	}
	if strings.HasPrefix(name, "[") {
		return false
	}
	return text == "'"+name+"'" || text == "'"+name[strings.LastIndex(name, "/")+1:]+"'"
}

// step is one step from the root of a JSON document to a value: an object
// member (key) or an array element (index ≥ 0).
type step struct {
	v     *jsonpos.Value
	key   string
	index int
}

// locate returns the path from root to the deepest value that starts at or
// before p, stopping at the value or key written at p.
func locate(root *jsonpos.Value, p jsonpos.Pos) []step {
	var chain []step
	for v := root; ; {
		var next step
		found := false
		for _, c := range v.Members {
			if before(p, c.KeyPos) {
				break
			}
			next, found = step{v: c, key: c.Key, index: -1}, true
		}
		for i, c := range v.Elems {
			if before(p, c.Pos) {
				break
			}
			next, found = step{v: c, index: i}, true
		}
		if !found {
			return chain
		}
		chain = append(chain, next)
		if next.v.KeyPos == p || next.v.Pos == p {
			return chain
		}
		v = next.v
	}
}

func before(a, b jsonpos.Pos) bool {
	return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
}

// Byte classes of a Bicep source.
const (
	code = iota
	text // inside a string literal, interpolations included
	comment
)

// bicepSource is a .bicep file scanned once: the class of every byte and
// the declarations.
type bicepSource struct {
	src   []byte
	class []byte
	lines []int // offset of each line's first byte
	decls []*bicepDecl
	items map[int][]int // items of the literal opened at an offset
}

// bicepDecl is one declaration: `resource sym 'type@version' = ...`,
// `module sym 'path' = ...`, `var`, `param` or `output`.
type bicepDecl struct {
	kind, name string
	typ        string // resources: lower-case type without version; modules: a deployment
	existing   bool
	at         int // offset of the keyword
	value      int // offset of the body's `{` (resources, modules) or the value (var); -1
}

// declLine is the start of a declaration, after indentation.
var declLine = regexp.MustCompile(`^(resource|module|var|param|output)[ \t]+([A-Za-z_][A-Za-z0-9_]*)\b`)

func scanBicep(src []byte) *bicepSource {
	s := &bicepSource{src: src, class: classify(src), lines: []int{0}, items: map[int][]int{}}
	for i, b := range src {
		if b == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	for _, ls := range s.lines {
		i := ls
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		if i == len(src) || s.class[i] != code {
			continue
		}
		m := declLine.FindSubmatchIndex(src[i:s.lineEnd(i)])
		if m == nil {
			continue
		}
		d := &bicepDecl{kind: string(src[i+m[2] : i+m[3]]), name: string(src[i+m[4] : i+m[5]]), at: i, value: -1}
		after := s.skipSpace(i + m[1])
		switch d.kind {
		case "resource", "module":
			quoted, end := s.stringAt(after)
			if end < 0 {
				continue
			}
			d.typ = "microsoft.resources/deployments"
			if d.kind == "resource" {
				d.typ, _, _ = strings.Cut(strings.ToLower(quoted), "@")
			}
			eq := s.next(end, '=')
			d.existing = eq > 0 && bytes.Contains(src[end:eq], []byte("existing"))
			if eq > 0 {
				d.value = s.body(s.skipSpace(eq + 1))
			}
		case "var":
			if eq := s.next(after, '='); eq > 0 {
				d.value = s.skipSpace(eq + 1)
			}
		}
		s.decls = append(s.decls, d)
	}
	return s
}

// classify marks each byte of src as code, string text or comment. A
// string's interpolations are text too: nothing in a string delimits the
// structure around it. An unterminated string ends at its line's end.
func classify(src []byte) []byte {
	class := make([]byte, len(src))
	mark := func(from, to int, c byte) int {
		to = min(to, len(src))
		for k := from; k < to; k++ {
			class[k] = c
		}
		return to
	}
	for i := 0; i < len(src); {
		rest := src[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("//")):
			i = mark(i, i+lineLen(rest), comment)
		case bytes.HasPrefix(rest, []byte("/*")):
			end := bytes.Index(rest[2:], []byte("*/"))
			if end < 0 {
				end = len(rest)
			}
			i = mark(i, i+2+end+2, comment)
		case bytes.HasPrefix(rest, []byte("'''")):
			end := bytes.Index(rest[3:], []byte("'''"))
			if end < 0 {
				end = len(rest)
			}
			i = mark(i, i+3+end+3, text)
		case rest[0] == '\'':
			i = mark(i, quotedEnd(src, i), text)
		default:
			i++
		}
	}
	return class
}

func lineLen(b []byte) int {
	if n := bytes.IndexByte(b, '\n'); n >= 0 {
		return n
	}
	return len(b)
}

// quotedEnd returns the offset after the single-quoted string at i, with
// its escapes and ${...} interpolations (which may hold strings).
func quotedEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '\'':
			return j + 1
		case '\n':
			return j
		case '$':
			if j+1 < len(src) && src[j+1] == '{' {
				j = interpolationEnd(src, j+2) - 1
			}
		}
	}
	return len(src)
}

// interpolationEnd returns the offset after the `}` that closes an
// interpolation whose expression starts at i.
func interpolationEnd(src []byte, i int) int {
	depth := 0
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '\'':
			j = quotedEnd(src, j) - 1
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return j + 1
			}
			depth--
		case '\n':
			return j
		}
	}
	return len(src)
}

// pos converts an offset.
func (s *bicepSource) pos(off int) jsonpos.Pos {
	line := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off })
	return jsonpos.Pos{Line: line, Col: off - s.lines[line-1] + 1}
}

func (s *bicepSource) lineEnd(off int) int {
	return off + lineLen(s.src[off:])
}

func (s *bicepSource) decl(kind, name string) *bicepDecl {
	for _, d := range s.decls {
		if d.kind == kind && d.name == name {
			return d
		}
	}
	return nil
}

// skipSpace returns the offset of the first byte at or after i that is
// neither white space nor comment.
func (s *bicepSource) skipSpace(i int) int {
	for i < len(s.src) && (s.class[i] == comment || s.class[i] == code && isSpace(s.src[i])) {
		i++
	}
	return i
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// isCode reports whether offset i is the code byte b.
func (s *bicepSource) isCode(i int, b byte) bool {
	return i >= 0 && i < len(s.src) && s.class[i] == code && s.src[i] == b
}

// stringAt returns the content of the string literal at i (escapes as
// written) and the offset after it; end is -1 when no string starts at i.
func (s *bicepSource) stringAt(i int) (content string, end int) {
	if i >= len(s.src) || s.class[i] != text || s.src[i] != '\'' {
		return "", -1
	}
	end = quotedEnd(s.src, i)
	return string(s.src[i+1 : max(i+1, end-1)]), end
}

// next returns the offset of the first code byte b at or after i outside
// brackets opened after i, or -1.
func (s *bicepSource) next(i int, b byte) int {
	depth := 0
	for ; i < len(s.src); i++ {
		if s.class[i] != code {
			continue
		}
		switch c := s.src[i]; {
		case c == b && depth == 0:
			return i
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			if depth--; depth < 0 {
				return -1
			}
		}
	}
	return -1
}

// keyword reports whether the code at i is the word w.
func (s *bicepSource) keyword(i int, w string) bool {
	end := i + len(w)
	return end <= len(s.src) && string(s.src[i:end]) == w && s.class[i] == code &&
		(end == len(s.src) || !isIdent(s.src[end]))
}

func isIdent(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// body returns the offset of the `{` of a resource or module body whose
// value starts at i: `{`, `if (cond) {`, `[for x in xs: {`; else -1.
func (s *bicepSource) body(i int) int {
	if s.keyword(i, "if") {
		if open := s.skipSpace(i + 2); s.isCode(open, '(') {
			i = s.skipSpace(s.closing(open) + 1)
		}
	}
	if s.isCode(i, '[') {
		return s.loopBody(i)
	}
	if s.isCode(i, '{') {
		return i
	}
	return -1
}

// loopBody returns the offset of the `{` of a for-expression `[for ...: {`
// (or `[for ...: if (cond) {`) at i, or -1.
func (s *bicepSource) loopBody(i int) int {
	if !s.isCode(i, '[') || !s.keyword(s.skipSpace(i+1), "for") {
		return -1
	}
	colon := s.next(i+1, ':')
	if colon < 0 {
		return -1
	}
	return s.body(s.skipSpace(colon + 1))
}

// closing returns the offset of the bracket that closes the one at open,
// or the end of the source.
func (s *bicepSource) closing(open int) int {
	depth := 0
	for i := open; i < len(s.src); i++ {
		if s.class[i] != code {
			continue
		}
		switch s.src[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return len(s.src)
}

// itemsOf returns the offsets of the items of the object or array literal
// whose bracket is at open: items are separated by line breaks or commas.
// Results are kept: a large array is scanned once, not once per position.
func (s *bicepSource) itemsOf(open int) []int {
	if out, ok := s.items[open]; ok {
		return out
	}
	out := s.scanItems(open)
	s.items[open] = out
	return out
}

func (s *bicepSource) scanItems(open int) []int {
	var out []int
	end, depth, sep := s.closing(open), 0, true
	for i := open + 1; i < end; i++ {
		c := s.src[i]
		switch {
		case s.class[i] == comment:
		case s.class[i] == code && depth == 0 && (c == '\n' || c == ','):
			sep = true
		case s.class[i] == code && isSpace(c):
		default:
			if sep && depth == 0 {
				out = append(out, i)
				sep = false
			}
			if s.class[i] == code {
				switch c {
				case '(', '[', '{':
					depth++
				case ')', ']', '}':
					depth--
				}
			}
		}
	}
	return out
}

// member finds key in the object literal whose `{` is at open: the offsets
// of the key and of its value. Keys compare case-insensitively, as ARM's.
func (s *bicepSource) member(open int, key string) (keyAt, valueAt int, ok bool) {
	for _, it := range s.itemsOf(open) {
		name, end := s.stringAt(it)
		if end < 0 {
			end = it
			for end < len(s.src) && isIdent(s.src[end]) && s.class[end] == code {
				end++
			}
			name = string(s.src[it:end])
		}
		colon := end
		for colon < len(s.src) && (s.src[colon] == ' ' || s.src[colon] == '\t') {
			colon++
		}
		if strings.EqualFold(name, key) && s.isCode(colon, ':') {
			return it, s.skipSpace(colon + 1), true
		}
	}
	return 0, 0, false
}

// nameOf returns the text of a resource or module body's `name:` value up
// to the end of its line.
func (s *bicepSource) nameOf(d *bicepDecl) string {
	if !s.isCode(d.value, '{') {
		return ""
	}
	_, v, ok := s.member(d.value, "name")
	if !ok {
		return ""
	}
	end := v
	for end < s.lineEnd(v) && s.class[end] != comment {
		end++
	}
	return strings.TrimSpace(string(s.src[v:end]))
}

// follow walks steps through the literal whose first byte is at value,
// starting from the position at, and returns the deepest position reached.
func (s *bicepSource) follow(value int, steps []step, at jsonpos.Pos) jsonpos.Pos {
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		switch {
		case st.index >= 0:
			if !s.isCode(value, '[') {
				return at
			}
			items := s.itemsOf(value)
			if st.index >= len(items) {
				return at
			}
			value = items[st.index]
			at = s.pos(value)
		case strings.EqualFold(st.key, "copy") && st.v.Kind == jsonpos.Array && i+1 < len(steps):
			// A property copy loop: copy[j] names the property its input builds.
			if !s.isCode(value, '{') {
				return at
			}
			name, _ := steps[i+1].v.Get("name").Str()
			k, v, ok := s.member(value, name)
			if !ok {
				return at
			}
			at = s.pos(k)
			if i+2 >= len(steps) || !strings.EqualFold(steps[i+2].key, "input") {
				return at
			}
			if value = s.loopBody(v); value < 0 {
				return at
			}
			at = s.pos(value)
			i += 2
		default:
			if !s.isCode(value, '{') {
				return at
			}
			k, v, ok := s.member(value, st.key)
			if !ok {
				return at
			}
			value, at = v, s.pos(k)
		}
	}
	return at
}
