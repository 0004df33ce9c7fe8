// Package tfconfig reads a Terraform configuration written as HCL (.tf and
// .tf.json files) without Terraform, as tflint and checkov do, and
// evaluates it into the resource instances a plan would hold, for the
// terraform package's model of azurerm resources.
//
// One call reads one root module directory: its variables (defaults,
// terraform.tfvars, *.auto.tfvars in lexical order, then Options, later
// values winning), locals, resources with count, for_each and dynamic
// blocks, outputs, and the local modules it calls ("./", "../" sources),
// recursively. References between resources are evaluated by fixpoint
// iteration, with `id` synthesized as the Azure resource ID the provider
// would report. What only Azure or Terraform can know stays unknown, with
// a reason: attributes Azure computes, data sources, modules that are not
// local, functions lbcheck does not evaluate, variables without a value.
package tfconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/terraform"
)

// Options are the root module's variable values besides its directory's
// files, as `terraform plan -var-file F -var NAME=EXPR` takes them.
type Options struct {
	// VarFiles are .tfvars (or .tfvars.json) files, applied in order after
	// the directory's own.
	VarFiles []string
	// Vars are values by variable name, as `-var NAME=VALUE` gives them,
	// applied last: the literal string for a variable of a primitive type
	// or none, an HCL expression for any other type (see parsesHCL).
	Vars map[string]string
}

// Config is a root module read and evaluated.
type Config struct {
	// Resources are the resource instances of the root module and its
	// local modules, in source order.
	Resources []terraform.Resource
	// Files are the files read, each once: the modules' .tf and .tf.json
	// files and the variable files.
	Files []schema.Source
	// Modules are the directories of the local modules called, cleaned.
	Modules []string
	// Issues are the syntax errors (schema.RuleParse) and what could not
	// be evaluated into instances (schema.RuleUnknown).
	Issues []schema.Issue
}

// Limits on hostile input.
const (
	maxModuleDepth = 10   // nested local module calls
	maxInstances   = 1024 // instances of one resource or module call
)

// Load reads the root module in dir. The error is non-nil when a file
// cannot be read or the evaluation exceeds a budget (MaxTime, MaxMemory,
// MaxValues: a *childeval.LimitError).
func Load(dir string, opts Options) (*Config, error) {
	in, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	if err := preflight.Run(dir, in); err != nil {
		return nil, err
	}
	return load(dir, opts)
}

// load is Load without the budgets.
func load(dir string, opts Options) (*Config, error) {
	l := &loader{parser: hclparse.NewParser(), read: map[string]bool{}, cfg: &Config{}}
	root, err := l.module(filepath.Clean(dir), "", nil)
	if err != nil {
		return nil, err
	}
	vars, err := l.rootVars(root, opts)
	if err != nil {
		return nil, err
	}
	out := root.eval(vars, l)
	l.cfg.Resources = out.resources
	l.cfg.Issues = append(l.cfg.Issues, out.issues...)
	return l.cfg, nil
}

// loader reads files, each once.
type loader struct {
	parser *hclparse.Parser
	read   map[string]bool
	cfg    *Config
}

// parse reads and parses one file, recording it and its syntax errors; it
// returns nil when the file does not parse.
func (l *loader) parse(name string) (*hcl.File, error) {
	src, err := schema.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if !l.read[name] {
		l.read[name] = true
		l.cfg.Files = append(l.cfg.Files, schema.Source{Name: name, Data: src})
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		f, diags = l.parser.ParseJSON(src, name)
	} else {
		f, diags = l.parser.ParseHCL(src, name)
	}
	if diags.HasErrors() {
		l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleParse)...)
		return nil, nil
	}
	return f, nil
}

// issues turns HCL error diagnostics into issues under rule.
func issues(diags hcl.Diagnostics, rule string) []schema.Issue {
	var out []schema.Issue
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		is := schema.Issue{Rule: rule, Message: d.Summary}
		if d.Detail != "" {
			is.Message += ": " + d.Detail
		}
		if d.Subject != nil {
			is.Pos = schema.Pos{File: d.Subject.Filename, Line: d.Subject.Start.Line, Column: d.Subject.Start.Column}
		}
		out = append(out, is)
	}
	return out
}

// IsConfigFile reports whether name is a Terraform configuration file:
// .tf or .tf.json.
func IsConfigFile(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json")
}

// configFiles lists the configuration files of dir, sorted by name.
func configFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && IsConfigFile(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(files)
	return files, nil
}

// module reads the module in dir; prefix is its address prefix
// ("module.a.module.b."), chain the directories of the modules calling it,
// the root module's first.
func (l *loader) module(dir, prefix string, chain []string) (*module, error) {
	files, err := configFiles(dir)
	if err != nil {
		return nil, err
	}
	m := &module{dir: dir, prefix: prefix, chain: chain, vars: map[string]*variable{}}
	for _, name := range files {
		f, err := l.parse(name)
		if err != nil {
			return nil, err
		}
		if f == nil {
			continue
		}
		if err := m.add(l, f); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// rootSchema is what lbcheck reads of a module's top level; other blocks
// (terraform, provider, moved, import...) are left alone.
var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "module", LabelNames: []string{"name"}},
	{Type: "output", LabelNames: []string{"name"}},
}}

var (
	variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "default"}, {Name: "type"}}}
	metaSchema     = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "count"}, {Name: "for_each"}}}
	outputSchema   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "value"}}}
	callSchema     = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "source", Required: true}, {Name: "version"},
		{Name: "count"}, {Name: "for_each"}, {Name: "providers"}, {Name: "depends_on"}}}
)

// add reads the declarations of one file into m.
func (m *module) add(l *loader, f *hcl.File) error {
	content, _, diags := f.Body.PartialContent(rootSchema)
	l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleSchema)...)
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			c, _, diags := b.Body.PartialContent(variableSchema)
			l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleSchema)...)
			m.vars[b.Labels[0]] = &variable{name: b.Labels[0], def: c.Attributes["default"], typ: c.Attributes["type"]}
		case "locals":
			attrs, diags := b.Body.JustAttributes()
			l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleSchema)...)
			m.locals = append(m.locals, sortedAttrs(attrs)...)
		case "resource", "data":
			c, rest, diags := b.Body.PartialContent(metaSchema)
			l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleSchema)...)
			r := &resource{typ: b.Labels[0], name: b.Labels[1], block: b, body: rest,
				count: c.Attributes["count"], forEach: c.Attributes["for_each"], blocks: nestedBlocks(b.Labels[0], b.Body)}
			if b.Type == "data" {
				m.data = append(m.data, r)
			} else {
				m.resources = append(m.resources, r)
			}
		case "output":
			c, _, diags := b.Body.PartialContent(outputSchema)
			l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleSchema)...)
			if v := c.Attributes["value"]; v != nil {
				m.outputs = append(m.outputs, &hcl.Attribute{Name: b.Labels[0], Expr: v.Expr, Range: v.Range, NameRange: b.LabelRanges[0]})
			}
		case "module":
			c, rest, diags := b.Body.PartialContent(callSchema)
			l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleSchema)...)
			if err := m.call(l, b, c, rest); err != nil {
				return err
			}
		}
	}
	return nil
}

// call records a module call, reading a local module's directory.
func (m *module) call(l *loader, b *hcl.Block, c *hcl.BodyContent, rest hcl.Body) error {
	name := b.Labels[0]
	mc := &call{name: name, block: b, count: c.Attributes["count"], forEach: c.Attributes["for_each"]}
	if attrs, diags := rest.JustAttributes(); !diags.HasErrors() {
		mc.args = sortedAttrs(attrs)
	}
	m.calls = append(m.calls, mc)
	src := ""
	if a := c.Attributes["source"]; a != nil {
		if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			src = v.AsString()
		}
	}
	addr := "module." + name
	switch {
	case src == "":
		mc.why = fmt.Sprintf("%s has no literal source", m.prefix+addr)
	case !strings.HasPrefix(src, "./") && !strings.HasPrefix(src, "../"):
		mc.why = fmt.Sprintf("%s comes from %s: lbcheck reads local modules only", m.prefix+addr, describeSource(src))
	case slices.Contains(append(slices.Clone(m.chain), m.dir), filepath.Join(m.dir, src)):
		mc.why = fmt.Sprintf("%s calls a module that calls it", m.prefix+addr)
	case len(m.chain)+1 > maxModuleDepth:
		mc.why = fmt.Sprintf("%s is nested more than %d modules deep", m.prefix+addr, maxModuleDepth)
	case !isDir(filepath.Join(m.dir, src)):
		mc.why = fmt.Sprintf("%s comes from %s, which is no directory", m.prefix+addr, filepath.Join(m.dir, src))
	default:
		dir := filepath.Join(m.dir, src)
		child, err := l.module(dir, m.prefix+addr+".", append(slices.Clone(m.chain), m.dir))
		if err != nil {
			return err
		}
		mc.module = child
		if !slices.Contains(l.cfg.Modules, dir) {
			l.cfg.Modules = append(l.cfg.Modules, dir)
		}
	}
	if mc.why != "" {
		at := b.DefRange
		if a := c.Attributes["source"]; a != nil {
			at = a.Expr.Range()
		}
		l.cfg.Issues = append(l.cfg.Issues, schema.Issue{Rule: schema.RuleUnknown, Pos: schema.Pos{File: at.Filename, Line: at.Start.Line, Column: at.Start.Column},
			Message: mc.why + "; the resources it declares are not checked, and what depends on its outputs is unknown"})
	}
	return nil
}

// isDir reports whether dir is a directory.
func isDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// root is the directory of the root module m belongs to (path.root).
func (m *module) root() string {
	if len(m.chain) > 0 {
		return m.chain[0]
	}
	return m.dir
}

// describeSource names where a module that is not local comes from.
func describeSource(src string) string {
	if !strings.Contains(src, "::") && !strings.Contains(src, "://") && !strings.HasPrefix(src, "git@") {
		if n := strings.Count(src, "/"); n == 2 || n == 3 {
			return "the registry (" + src + ")"
		}
	}
	return src
}

// sortedAttrs are attrs in source order.
func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *hcl.Attribute) int {
		if c := strings.Compare(a.Range.Filename, b.Range.Filename); c != 0 {
			return c
		}
		return a.Range.Start.Byte - b.Range.Start.Byte
	})
	return out
}

// nestedBlocks describes the nested block types of a resource body: from
// the syntax of a native body (dynamic blocks by their label and content),
// from jsonBlocks for JSON syntax, which does not tell blocks from
// attributes.
func nestedBlocks(typ string, body hcl.Body) *blockTypes {
	if sb, ok := body.(*hclsyntax.Body); ok {
		bt := &blockTypes{}
		bt.addSyntax(sb)
		return bt
	}
	return jsonBlocks[typ]
}
