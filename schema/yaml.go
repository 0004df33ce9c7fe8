package schema

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/lbcheck/lbcheck/internal/textenc"
)

// MaxYAMLExpansion is the most bytes of scalar text (keys and values) one
// YAML file may hold once its aliases are expanded. The CUE library bounds
// the nodes aliases expand to (50,000), not their size: one anchor holding a
// 100 KB string, used 50,000 times, would be 5 GB.
const MaxYAMLExpansion = 64 << 20

// PrepareYAML makes a YAML file safe to give the CUE library: UTF-16 and
// byte order marks decoded to UTF-8 (textenc.UTF8), its line breaks as CUE
// counts lines (unixBreaks) and its aliases checked (checkAliases). Errors
// read "file:line:col: what is wrong". The loader prepares every YAML file;
// other readers of YAML through the CUE library (target manifests) call it
// too.
func PrepareYAML(filename string, src []byte) ([]byte, error) {
	src = unixBreaks(textenc.UTF8(src))
	if err := checkAliases(filename, src); err != nil {
		return nil, err
	}
	return src, nil
}

// unixBreaks rewrites the line breaks YAML knows besides "\n" and "\r\n" (a
// lone CR, NEL U+0085, LINE SEPARATOR U+2028, PARAGRAPH SEPARATOR U+2029)
// as breaks CUE counts as lines, each of the same length, so every offset,
// line and column stays where the YAML parser puts it: the parser breaks
// lines there too, but CUE's position table would not, and its YAML
// decoder fails on a position past the lines it counted. src is copied
// only when it has such a break.
func unixBreaks(src []byte) []byte {
	if bytes.IndexByte(src, '\r') < 0 && !bytes.Contains(src, []byte("\u0085")) &&
		!bytes.Contains(src, []byte("\u2028")) && !bytes.Contains(src, []byte("\u2029")) {
		return src
	}
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n'):
			out = append(out, '\n')
		case bytes.HasPrefix(src[i:], []byte("\u0085")):
			out = append(out, '\r', '\n')
			i++
		case bytes.HasPrefix(src[i:], []byte("\u2028")), bytes.HasPrefix(src[i:], []byte("\u2029")):
			out = append(out, ' ', '\r', '\n')
			i += 2
		default:
			out = append(out, src[i])
		}
	}
	return out
}

// checkAliases checks a YAML file's aliases before the CUE library expands
// them: it reports, at the alias that crosses it, a file whose aliases
// expand it beyond MaxYAMLExpansion, and a merge key (<<) whose alias names
// no mapping (the CUE library fails on it). A file without both an anchor
// and an alias mark is not parsed here. Syntax errors are left to the CUE
// library, which reports them with positions.
func checkAliases(filename string, src []byte) error {
	if bytes.IndexByte(src, '&') < 0 || bytes.IndexByte(src, '*') < 0 {
		return nil
	}
	e := &expansion{sizes: map[*yaml.Node]int64{}}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return nil // io.EOF, or a syntax error CUE reports
		}
		if at, why := e.add(&doc); at != nil {
			return fmt.Errorf("%s:%d:%d: %s", filename, at.Line, at.Column, why)
		}
	}
}

// expansion sums the expanded size of a file's documents.
type expansion struct {
	total int64
	sizes map[*yaml.Node]int64 // expanded size of each node measured
}

// add adds the expanded size of n to the total and returns the node at
// which n is refused, and why, or nil.
func (e *expansion) add(n *yaml.Node) (*yaml.Node, string) {
	switch n.Kind {
	case yaml.AliasNode:
		e.total += e.size(n.Alias, map[*yaml.Node]bool{})
		if e.total > MaxYAMLExpansion {
			return n, fmt.Sprintf("this alias expands the file's YAML to more than %d MiB, the most lbcheck expands (aliases are copied where they are used): write fewer aliases of large values", MaxYAMLExpansion>>20)
		}
	case yaml.ScalarNode:
		e.total += int64(len(n.Value))
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; isMergeKey(k) {
				if at := notMergeable(v); at != nil {
					return at, fmt.Sprintf("a merge key (<<) takes a mapping or a list of mappings, and *%s names %s", at.Value, kindName(at.Alias.Kind))
				}
			}
		}
		fallthrough
	default:
		for _, c := range n.Content {
			if at, why := e.add(c); at != nil {
				return at, why
			}
		}
	}
	return nil, ""
}

// isMergeKey reports whether k is YAML's merge key, as the CUE library
// reads it.
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// notMergeable returns the alias in a merge key's value v that names no
// mapping, or nil. Anything else wrong with v is the CUE library's error.
func notMergeable(v *yaml.Node) *yaml.Node {
	switch v.Kind {
	case yaml.AliasNode:
		if v.Alias.Kind != yaml.MappingNode {
			return v
		}
	case yaml.SequenceNode:
		for _, c := range v.Content {
			if at := notMergeable(c); at != nil {
				return at
			}
		}
	}
	return nil
}

// kindName names a YAML node kind in a message.
func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "no mapping"
}

// size is the expanded size of n, at most MaxYAMLExpansion+1 (sizes grow
// exponentially with nested aliases); open holds the anchors being
// measured, for an anchor that contains itself (CUE reports it).
func (e *expansion) size(n *yaml.Node, open map[*yaml.Node]bool) int64 {
	if s, ok := e.sizes[n]; ok {
		return s
	}
	var s int64
	switch n.Kind {
	case yaml.AliasNode:
		if open[n.Alias] {
			return 0
		}
		open[n.Alias] = true
		s = e.size(n.Alias, open)
		delete(open, n.Alias)
	case yaml.ScalarNode:
		s = int64(len(n.Value))
	default:
		for _, c := range n.Content {
			s = min(s+e.size(c, open), MaxYAMLExpansion+1)
		}
	}
	e.sizes[n] = s
	return s
}
