package schema

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	cuejson "cuelang.org/go/encoding/json"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/lbcheck/lbcheck/internal/textenc"
)

// Issue is a problem found in otherwise readable input, at a position in
// the user's file. The loader reports Rule LB0001 (the input does not match
// the schema), LB1001 (a reference to a frontend, pool, probe, VM, NIC, IP
// configuration or guest VM that does not exist) and LB1002 (a duplicate
// name); importers add their own rules. The lint engine reports issues as
// findings of their rules.
type Issue struct {
	Pos     Pos
	Rule    string
	Message string
	// Object is the model path of the object the issue is about
	// (loadBalancers.web.probes.http), when there is one.
	Object string
}

// Rule IDs of the issues the loader and the importers report. They are
// defined here only; lint.Meta documents them.
const (
	// RuleParse: a file cannot be parsed (a syntax error, ParseError);
	// the other files are still read.
	RuleParse = "LB0000"
	// RuleSchema: the input does not match the schema or its format.
	RuleSchema = "LB0001"
	// RuleUnknown: something lbcheck cannot know before deployment.
	// Importers report with it what they cannot read at all (a copy loop
	// they do not expand, a membership they cannot resolve); a field whose
	// value is unknown is only marked (Node.SetUnknown), and lint reports
	// it when a rule needs it.
	RuleUnknown = "LB0010"
	// RuleReference: a reference to an object that does not exist.
	RuleReference = "LB1001"
	// RuleDuplicate: two objects of one kind share a name.
	RuleDuplicate = "LB1002"
	// RuleTerraformFloatingIP: a Terraform rule sets enable_floating_ip
	// and floating_ip_enabled to different values.
	RuleTerraformFloatingIP = "LB1010"
)

// inputExts are the file extensions Load reads from a directory.
var inputExts = []string{".yaml", ".yml", ".json", ".cue"}

// Load reads, validates and merges the named files and directories into one
// Deployment. A directory contributes its *.yaml, *.yml, *.json and *.cue
// files, recursively, in lexical order. The error is non-nil only for
// unusable input (a missing or unreadable file, one that is not a regular
// file or larger than MaxFileSize, a limit exceeded); it then reads
// "file:line:col: what is wrong". A file that cannot be parsed is an Issue
// of RuleParse and adds nothing; the others are still read. Schema violations and broken
// references are returned as Issues alongside a Deployment holding every
// object that could be decoded.
func Load(paths ...string) (*Deployment, []Issue, error) {
	var srcs []Source
	for _, p := range paths {
		found, err := expand(p)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range found {
			data, err := ReadFile(f)
			if err != nil {
				return nil, nil, err
			}
			srcs = append(srcs, Source{Name: f, Data: data})
		}
	}
	if len(srcs) == 0 {
		return nil, nil, fmt.Errorf("%s: no .yaml, .yml, .json or .cue files found", strings.Join(paths, ", "))
	}
	return LoadSources(srcs...)
}

// LoadSources is Load for files already read (see ReadFile), in the order
// given; each Source's name picks its format by extension (.yaml, .yml,
// .json or .cue) and names positions.
func LoadSources(srcs ...Source) (*Deployment, []Issue, error) {
	l, err := newLoader()
	if err != nil {
		return nil, nil, err
	}
	defer l.close()
	for _, s := range srcs {
		if err := l.file(s.Name, s.Data); err != nil {
			return nil, nil, err
		}
	}
	return l.finish()
}

// LoadBytes is LoadSources for one file.
func LoadBytes(filename string, src []byte) (*Deployment, []Issue, error) {
	return LoadSources(Source{Name: filename, Data: src})
}

// expand turns a path into the input files it names.
func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fileError(err)
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && slices.Contains(inputExts, strings.ToLower(filepath.Ext(path))) {
			files = append(files, path)
		}
		return nil
	})
	return files, fileError(err) // WalkDir visits in lexical order
}

// fileError renders an I/O error as "path: what is wrong", like the
// other errors Load returns, rather than "open path: ...".
func fileError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// loader accumulates the documents of all files into one Deployment.
type loader struct {
	c       *compiled // for decoding; validation uses more copies
	dep     *Deployment
	walkers []*walker // one per document
	units   []unit    // what to validate, from all documents
	files   []string  // in load order, to sort issues
	// parseIssues are the files that could not be parsed (RuleParse).
	parseIssues []Issue
}

func newLoader() (*loader, error) {
	c, err := acquire()
	if err != nil {
		return nil, err
	}
	return &loader{c: c, dep: &Deployment{}}, nil
}

// close releases the loader's compiled schema.
func (l *loader) close() { release(l.c) }

// file parses one file into documents and decodes each.
func (l *loader) file(filename string, src []byte) error {
	l.files = append(l.files, filename)
	switch ext := strings.ToLower(filepath.Ext(filename)); ext {
	case ".yaml", ".yml":
		var err error
		if src, err = PrepareYAML(filename, src); err != nil {
			return err
		}
	case ".json":
		src = textenc.UTF8(src) // PowerShell's Out-File writes UTF-16
	}
	var docs []parsed
	err := catch(filename, func() (err error) {
		docs, err = l.parse(filename, src)
		return err
	})
	if pe := (*ParseError)(nil); errors.As(err, &pe) {
		l.parseIssues = append(l.parseIssues, pe.Issue())
		return nil
	}
	if err != nil {
		return err
	}
	for _, d := range docs {
		l.document(filename, src, d.data, d.expr)
	}
	return nil
}

// parsed is one document of a file: its syntax, with positions, and for a
// CUE file that computes values, its value.
type parsed struct {
	expr ast.Expr
	data cue.Value
}

// parse splits a file into documents by its extension.
func (l *loader) parse(filename string, src []byte) ([]parsed, error) {
	switch ext := strings.ToLower(filepath.Ext(filename)); ext {
	case ".yaml", ".yml":
		var docs []parsed
		dec := cueyaml.NewDecoder(filename, bytes.NewReader(src))
		for {
			expr, err := dec.Extract()
			if err == io.EOF {
				return docs, nil
			}
			if err != nil {
				return nil, syntaxError(filename, err)
			}
			docs = append(docs, parsed{expr: expr})
		}
	case ".json":
		expr, err := cuejson.Extract(filename, src)
		if err != nil {
			return nil, syntaxError(filename, err)
		}
		return []parsed{{expr: expr}}, nil
	case ".cue":
		if err := PreflightCUE(filename, src); err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(filename, src)
		if err != nil {
			return nil, syntaxError(filename, err)
		}
		v := l.c.ctx.BuildFile(f)
		if err := v.Err(); err != nil && !isValueError(v) {
			return nil, syntaxError(filename, err)
		}
		return []parsed{{expr: cueData(f, v), data: v}}, nil
	}
	return nil, fmt.Errorf("%s: unknown file type %q: use .yaml, .yml, .json or .cue", filename, filepath.Ext(filename))
}

// catch runs f and turns a panic in it (a bug in the CUE library, such as
// its YAML decoder on a merge key of a list) into an error, so that no
// input crashes lbcheck.
func catch(filename string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &libraryError{file: filename, panic: r}
		}
	}()
	return f()
}

// libraryError is a panic in the CUE library, caught.
type libraryError struct {
	file  string
	panic any
}

func (e *libraryError) Error() string {
	return fmt.Sprintf("%s: the CUE library lbcheck uses failed on this file (%v); please report it at https://github.com/lbcheck/lbcheck/issues with the file", e.file, e.panic)
}

// isValueError reports whether a CUE file's evaluation error is about
// values (conflicts the schema check will explain), rather than about the
// file being unusable (an unresolved reference or import).
func isValueError(v cue.Value) bool {
	return v.Kind() == cue.BottomKind && v.IncompleteKind() != cue.BottomKind
}

// syntaxError renders err as "file:line:col: message". The YAML parser
// only knows the line, and its errors already read "file:line: message".
func syntaxError(filename string, err error) error {
	for _, e := range cueerrors.Errors(err) {
		msg := strings.TrimPrefix(e.Error(), fmt.Sprintf("invalid JSON for file %q: ", filename))
		p := e.Position()
		if ps := cueerrors.Positions(e); !p.IsValid() && len(ps) > 0 {
			p = ps[0]
		}
		if !p.IsValid() {
			// The message may start with the position the parser knew.
			if rest, ok := strings.CutPrefix(msg, filename+":"); ok {
				line, tail, _ := strings.Cut(rest, ":")
				if n, err := strconv.Atoi(line); err == nil {
					return &ParseError{Pos: Pos{File: filename, Line: n}, Msg: strings.TrimSpace(tail)}
				}
				msg = strings.TrimSpace(rest)
			}
		}
		return &ParseError{Pos: toPos(p, filename), Msg: msg}
	}
	return &ParseError{Pos: Pos{File: filename}, Msg: err.Error()}
}

// DescribeCUE renders the CUE errors of validating filename against a
// schema definition: each message without the definition's prefix (such
// as "#Target."), with the position in filename where CUE gives one (not
// the positions in the embedded schema), joined by "; ".
func DescribeCUE(err error, filename, prefix string) string {
	var lines []string
	for _, e := range cueerrors.Errors(err) {
		msg := strings.TrimPrefix(e.Error(), prefix)
		for _, p := range cueerrors.Positions(e) {
			if p.Filename() == filename {
				msg = fmt.Sprintf("%s:%d:%d: %s", filename, p.Line(), p.Column(), msg)
				break
			}
		}
		lines = append(lines, msg)
	}
	return strings.Join(lines, "; ")
}

// ParseError is a file that cannot be parsed: a syntax error at Pos. Load
// reports it as an Issue of RuleParse and reads the other files; a
// reader of one file gets it as its error.
type ParseError struct {
	Pos Pos
	Msg string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// Issue is the ParseError as an Issue of RuleParse.
func (e *ParseError) Issue() Issue {
	return Issue{Pos: e.Pos, Rule: RuleParse, Message: e.Msg}
}

// toPos converts a CUE position; filename replaces CUE's when CUE has none.
func toPos(p token.Pos, filename string) Pos {
	if !p.IsValid() {
		return Pos{File: filename}
	}
	pos := p.Position()
	if pos.Filename == "" {
		pos.Filename = filename
	}
	return Pos{File: pos.Filename, Line: pos.Line, Column: pos.Column}
}

// cueData returns the syntax of a CUE file's data: the file itself when it
// only writes literal values (so every position is exact), otherwise the
// evaluated value's syntax, whose positions the walker asks the value for.
func cueData(f *ast.File, v cue.Value) ast.Expr {
	plain := true
	st := &ast.StructLit{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.CommentGroup, *ast.Attribute:
		case *ast.Field:
			st.Elts = append(st.Elts, d)
		default:
			plain = false
		}
	}
	if plain && isLiteral(st) {
		return st
	}
	if x, ok := v.Syntax(cue.Final(), cue.Concrete(true)).(ast.Expr); ok {
		return x
	}
	return st
}

// isLiteral reports whether x only writes values: no references,
// operators (other than a sign), comprehensions or definitions.
func isLiteral(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.BasicLit:
		return true
	case *ast.UnaryExpr:
		_, ok := x.X.(*ast.BasicLit)
		return ok && (x.Op == token.SUB || x.Op == token.ADD)
	case *ast.ListLit:
		for _, e := range x.Elts {
			if !isLiteral(e) {
				return false
			}
		}
		return true
	case *ast.StructLit:
		for _, d := range x.Elts {
			f, ok := d.(*ast.Field)
			if !ok || f.Constraint != token.ILLEGAL || !isLiteral(f.Value) {
				return false
			}
			if name, isIdent, err := ast.LabelName(f.Label); err != nil || isIdent && (strings.HasPrefix(name, "#") || strings.HasPrefix(name, "_")) {
				return false
			}
		}
		return true
	}
	return false
}

// finish resolves references across all documents and orders the issues
// by file (in load order), line and column.
func (l *loader) finish() (*Deployment, []Issue, error) {
	if err := validate(l.units); err != nil {
		return nil, nil, err
	}
	for _, u := range l.units {
		u.w.schemaErrors(u)
	}
	issues := slices.Clone(l.parseIssues)
	for _, w := range l.walkers {
		issues = append(issues, w.issues...)
	}
	issues = append(issues, resolve(l.dep)...)
	order := make(map[string]int, len(l.files))
	for i, f := range l.files {
		if _, ok := order[f]; !ok {
			order[f] = i
		}
	}
	slices.SortStableFunc(issues, func(a, b Issue) int {
		return cmp.Or(
			cmp.Compare(order[a.Pos.File], order[b.Pos.File]),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
		)
	})
	return l.dep, issues, nil
}
