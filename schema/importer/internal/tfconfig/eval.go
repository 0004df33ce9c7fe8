package tfconfig

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/terraform"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// module is one module's declarations.
type module struct {
	dir, prefix string
	chain       []string // the directories of the modules calling it
	vars        map[string]*variable
	locals      []*hcl.Attribute
	resources   []*resource
	data        []*resource
	calls       []*call
	outputs     []*hcl.Attribute
}

type variable struct {
	name     string
	def, typ *hcl.Attribute
}

// resource is a resource or data block.
type resource struct {
	typ, name      string
	block          *hcl.Block
	body           hcl.Body // without count and for_each
	count, forEach *hcl.Attribute
	blocks         *blockTypes
}

// call is a module call; module is nil when the module is not read (then
// why says so).
type call struct {
	name           string
	block          *hcl.Block
	count, forEach *hcl.Attribute
	args           []*hcl.Attribute
	module         *module
	why            string
}

// blockTypes are the nested block types of a body, each with its own.
type blockTypes struct {
	names []string
	inner map[string]*blockTypes
}

// metaBlocks are nested blocks of Terraform's, not the provider's.
var metaBlocks = []string{"lifecycle", "provisioner", "connection"}

func (bt *blockTypes) child(name string) *blockTypes {
	if bt.inner == nil {
		bt.inner = map[string]*blockTypes{}
	}
	if bt.inner[name] == nil {
		bt.names = append(bt.names, name)
		bt.inner[name] = &blockTypes{}
	}
	return bt.inner[name]
}

func (bt *blockTypes) addSyntax(b *hclsyntax.Body) {
	for _, nb := range b.Blocks {
		switch {
		case nb.Type == "dynamic" && len(nb.Labels) == 1:
			c := bt.child(nb.Labels[0])
			for _, content := range nb.Body.Blocks {
				if content.Type == "content" {
					c.addSyntax(content.Body)
				}
			}
		case !slices.Contains(metaBlocks, nb.Type):
			bt.child(nb.Type).addSyntax(nb.Body)
		}
	}
}

// schema is the body schema of the block types.
func (bt *blockTypes) schema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range bt.names {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: n})
	}
	for _, n := range metaBlocks {
		h := hcl.BlockHeaderSchema{Type: n}
		if n == "provisioner" {
			h.LabelNames = []string{"type"} // provisioner "remote-exec" {...}
		}
		s.Blocks = append(s.Blocks, h)
	}
	return s
}

// blocks builds a blockTypes of names without nested blocks.
func blocks(names ...string) *blockTypes {
	bt := &blockTypes{}
	for _, n := range names {
		bt.child(n)
	}
	return bt
}

// jsonBlocks are the nested block types of the resource types the model
// reads, for bodies in JSON syntax.
var jsonBlocks = func() map[string]*blockTypes {
	vm := blocks("os_disk", "source_image_reference", "admin_ssh_key", "identity", "boot_diagnostics")
	vmss := blocks("os_disk", "source_image_reference", "admin_ssh_key", "identity", "network_interface")
	vmss.inner["network_interface"] = blocks("ip_configuration")
	flexible := blocks("os_profile", "os_disk", "source_image_reference", "identity", "network_interface")
	flexible.inner["network_interface"] = blocks("ip_configuration")
	legacySS := blocks("sku", "network_profile", "os_profile", "os_profile_linux_config", "os_profile_windows_config",
		"storage_profile_os_disk", "storage_profile_image_reference")
	legacySS.inner["network_profile"] = blocks("ip_configuration")
	subnet := blocks("delegation")
	subnet.inner["delegation"] = blocks("service_delegation")
	return map[string]*blockTypes{
		"azurerm_lb":                                blocks("frontend_ip_configuration"),
		"azurerm_lb_outbound_rule":                  blocks("frontend_ip_configuration"),
		"azurerm_network_interface":                 blocks("ip_configuration"),
		"azurerm_network_security_group":            blocks("security_rule"),
		"azurerm_subnet":                            subnet,
		"azurerm_windows_virtual_machine":           vm,
		"azurerm_linux_virtual_machine":             vm,
		"azurerm_virtual_machine":                   blocks("storage_os_disk", "storage_image_reference", "os_profile", "os_profile_windows_config", "os_profile_linux_config"),
		"azurerm_linux_virtual_machine_scale_set":   vmss,
		"azurerm_windows_virtual_machine_scale_set": vmss,

		// Flexible orchestration, and the legacy scale set.
		"azurerm_orchestrated_virtual_machine_scale_set": flexible,
		"azurerm_virtual_machine_scale_set":              legacySS,
	}
}()

// rootVars are the root module's variable values: defaults, then the
// directory's variable files, then opts.
func (l *loader) rootVars(m *module, opts Options) (map[string]cty.Value, error) {
	vals := map[string]cty.Value{}
	files := []string{filepath.Join(m.dir, "terraform.tfvars"), filepath.Join(m.dir, "terraform.tfvars.json")}
	auto, _ := filepath.Glob(filepath.Join(m.dir, "*.auto.tfvars"))
	autoJSON, _ := filepath.Glob(filepath.Join(m.dir, "*.auto.tfvars.json"))
	auto = append(auto, autoJSON...)
	slices.Sort(auto)
	files = append(files, auto...)
	for i, f := range append(files, opts.VarFiles...) {
		if i < 2 && !exists(f) {
			continue
		}
		hf, err := l.parse(f)
		if err != nil {
			return nil, err
		}
		if hf == nil {
			continue
		}
		attrs, diags := hf.Body.JustAttributes()
		l.cfg.Issues = append(l.cfg.Issues, issues(diags, schema.RuleParse)...)
		for _, a := range sortedAttrs(attrs) {
			vals[a.Name] = value(a.Expr, nil, a.Name)
		}
	}
	for _, name := range sortedKeys(opts.Vars) {
		if !m.vars[name].parsesHCL() {
			vals[name] = cty.StringVal(opts.Vars[name])
			continue
		}
		expr, diags := hclsyntax.ParseExpression([]byte(opts.Vars[name]), "-var "+name, hcl.InitialPos)
		if diags.HasErrors() {
			vals[name] = unknown("variable %s: %s", name, diags.Error())
			continue
		}
		vals[name] = value(expr, nil, name)
	}
	return vals, nil
}

// parsesHCL reports whether `-var` gives v's value as an HCL expression,
// as Terraform parses it for a variable of a type that is not primitive
// (a list, map, set, object, tuple or any); otherwise (no type, string,
// number, bool, or a variable the module does not declare) the value is
// the literal string, converted to the type later.
func (v *variable) parsesHCL() bool {
	if v == nil || v.typ == nil {
		return false
	}
	ty, _, diags := typeexpr.TypeConstraintWithDefaults(v.typ.Expr)
	return !diags.HasErrors() && !ty.IsPrimitiveType()
}

func exists(name string) bool {
	_, err := schema.ReadFile(name)
	return err == nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// value evaluates expr; an error makes it unknown, the reason naming what
// and the error.
func value(expr hcl.Expression, ctx *hcl.EvalContext, what string) cty.Value {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		d := diags[0]
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		return unknown("%s cannot be evaluated (%s)", what, msg)
	}
	return v
}

// output is what evaluating a module yields.
type output struct {
	resources []terraform.Resource
	issues    []schema.Issue
	outputs   cty.Value
}

// eval evaluates m with the given variable values: locals, module calls
// and resources by fixpoint iteration (each round with the values of the
// previous, unevaluated ones unknown), at most one round per resource and
// module call, plus two.
func (m *module) eval(given map[string]cty.Value, l *loader) *output {
	e := &evaluator{m: m, l: l, calls: map[string]evaluated{}, funcs: map[string]function.Function{}, state: map[string]cty.Value{}, data: map[string]cty.Value{}}
	e.vars = m.variables(given)
	for name, f := range functions {
		e.funcs[name] = f
	}
	m.unknownFuncs(e.funcs)
	for _, r := range m.resources {
		e.state[r.typ+"."+r.name] = unknown("%s%s.%s refers to itself", m.prefix, r.typ, r.name)
	}
	for _, c := range m.calls {
		e.state["module."+c.name] = unknown("module.%s refers to itself", c.name)
	}
	var out *output
	for round := 0; round < len(m.resources)+len(m.calls)+2; round++ {
		var changed bool
		out, changed = e.round()
		if !changed {
			break
		}
	}
	return out
}

// variables are the values of m's variables: given, else the default,
// else unknown; with the defaults of their types' optional attributes, and
// converted to those types, as Terraform does.
func (m *module) variables(given map[string]cty.Value) cty.Value {
	vals := map[string]cty.Value{}
	for name, v := range m.vars {
		val, ok := given[name]
		switch {
		case ok:
		case v.def != nil:
			val = value(v.def.Expr, nil, "the default of variable "+name)
		case m.prefix == "":
			val = unknown("variable %s has no default and no value in terraform.tfvars, *.auto.tfvars or the options", name)
		default:
			val = unknown("variable %s of %s has no default and the call passes none", name, strings.TrimSuffix(m.prefix, "."))
		}
		if v.typ != nil {
			if ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(v.typ.Expr); !diags.HasErrors() {
				if defaults != nil {
					val = defaults.Apply(val)
				}
				if c, err := convert.Convert(val, ty); err == nil {
					val = c
				}
			}
		}
		vals[name] = val
	}
	return cty.ObjectVal(vals)
}

// unknownFuncs adds a stand-in (unknownFunc) for each function the
// native-syntax bodies of m call that funcs lacks.
func (m *module) unknownFuncs(funcs map[string]function.Function) {
	var bodies []hcl.Body
	for _, r := range m.resources {
		bodies = append(bodies, r.block.Body)
	}
	for _, r := range m.data {
		bodies = append(bodies, r.block.Body)
	}
	for _, c := range m.calls {
		bodies = append(bodies, c.block.Body)
	}
	var exprs []hcl.Expression
	for _, a := range append(slices.Clone(m.locals), m.outputs...) {
		exprs = append(exprs, a.Expr)
	}
	visit := func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			if _, have := funcs[fc.Name]; !have {
				funcs[fc.Name] = unknownFunc(fc.Name)
			}
		}
		return nil
	}
	for _, b := range bodies {
		if sb, ok := b.(*hclsyntax.Body); ok {
			hclsyntax.VisitAll(sb, visit)
		}
	}
	for _, x := range exprs {
		if sx, ok := x.(hclsyntax.Expression); ok {
			hclsyntax.VisitAll(sx, visit)
		}
	}
}

// evaluator holds the state of one module's fixpoint iteration.
type evaluator struct {
	m     *module
	funcs map[string]function.Function
	vars  cty.Value
	// state holds the values of "type.name" resources and "module.name"
	// calls from the previous round.
	state map[string]cty.Value
	// data holds the values of "type.name" data sources: unknown, but
	// with their instances' keys when count or for_each can be expanded.
	data   map[string]cty.Value
	locals cty.Value
	l      *loader
	// calls are the last evaluation of each module call instance, by
	// address, reused while its arguments stay the same.
	calls map[string]evaluated
}

type evaluated struct {
	args cty.Value
	out  *output
}

// ctx is the evaluation context of the current round.
func (e *evaluator) ctx() *hcl.EvalContext {
	byType := map[string]map[string]cty.Value{}
	mods := map[string]cty.Value{}
	for k, v := range e.state {
		typ, name, _ := strings.Cut(k, ".")
		if typ == "module" {
			mods[name] = v
			continue
		}
		if byType[typ] == nil {
			byType[typ] = map[string]cty.Value{}
		}
		byType[typ][name] = v
	}
	vars := map[string]cty.Value{
		"var":       e.vars,
		"path":      cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(e.m.dir), "root": cty.StringVal(e.m.root()), "cwd": cty.StringVal(".")}),
		"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
		"module":    cty.ObjectVal(mods),
	}
	if e.locals != cty.NilVal {
		vars["local"] = e.locals
	}
	data := map[string]map[string]cty.Value{}
	for _, d := range e.m.data {
		if data[d.typ] == nil {
			data[d.typ] = map[string]cty.Value{}
		}
		data[d.typ][d.name] = e.data[d.typ+"."+d.name]
		if data[d.typ][d.name] == cty.NilVal {
			data[d.typ][d.name] = e.dataSource(d, nil)
		}
	}
	dv := map[string]cty.Value{}
	for t, names := range data {
		dv[t] = cty.ObjectVal(names)
	}
	vars["data"] = cty.ObjectVal(dv)
	for t, names := range byType {
		vars[t] = cty.ObjectVal(names)
	}
	return &hcl.EvalContext{Variables: vars, Functions: e.funcs}
}

// dataSource is the value of data source d: unknown, since only Terraform
// reads it, but a tuple or an object of unknown instances when its count
// or for_each can be expanded in ctx, so that an index it lacks fails (and
// try() moves on) as in Terraform.
func (e *evaluator) dataSource(d *resource, ctx *hcl.EvalContext) cty.Value {
	why := unknown("data source %sdata.%s.%s is read only at plan time", e.m.prefix, d.typ, d.name)
	if ctx == nil || d.count == nil && d.forEach == nil {
		return why
	}
	is, expanded := e.instances("", d.count, d.forEach, ctx, &output{})
	if !expanded {
		return why
	}
	vals := make([]cty.Value, len(is))
	for i := range is {
		vals[i] = why
	}
	return collect(is, vals, d.count != nil, d.forEach != nil)
}

// round evaluates everything once and reports whether a resource's or
// module's value changed.
func (e *evaluator) round() (*output, bool) {
	e.evalLocals()
	out := &output{}
	next := map[string]cty.Value{}
	before := e.ctx()
	for _, d := range e.m.data {
		e.data[d.typ+"."+d.name] = e.dataSource(d, before)
	}
	ctx := e.ctx()
	for _, c := range e.m.calls {
		next["module."+c.name] = e.call(c, ctx, out)
	}
	for _, r := range e.m.resources {
		next[r.typ+"."+r.name] = e.resource(r, ctx, out)
	}
	changed := false
	for k, v := range next {
		if !v.RawEquals(e.state[k]) {
			changed = true
		}
	}
	e.state = next
	outs := map[string]cty.Value{}
	ctx = e.ctx()
	for _, o := range e.m.outputs {
		outs[o.Name] = value(o.Expr, ctx, "output "+o.Name)
	}
	out.outputs = cty.ObjectVal(outs)
	return out, changed
}

// evalLocals evaluates the locals to a fixpoint; those in a cycle stay
// unknown.
func (e *evaluator) evalLocals() {
	if e.locals == cty.NilVal {
		vals := map[string]cty.Value{}
		for _, a := range e.m.locals {
			vals[a.Name] = unknown("local.%s refers to itself", a.Name)
		}
		e.locals = cty.ObjectVal(vals)
	}
	for range len(e.m.locals) + 2 {
		ctx := e.ctx()
		vals := map[string]cty.Value{}
		for _, a := range e.m.locals {
			vals[a.Name] = value(a.Expr, ctx, "local."+a.Name)
		}
		next := cty.ObjectVal(vals)
		if next.RawEquals(e.locals) {
			return
		}
		e.locals = next
	}
}

// instance is one instance key of a resource or module call: "" without
// count and for_each, else count.index or each.key.
type instance struct {
	key   string
	vars  map[string]cty.Value // count or each
	isInt bool
}

// instances expands count and for_each, and reports whether it could:
// what cannot be expanded is an issue and no instance.
func (e *evaluator) instances(what string, count, forEach *hcl.Attribute, ctx *hcl.EvalContext, out *output) ([]instance, bool) {
	bad := func(a *hcl.Attribute, format string, args ...any) ([]instance, bool) {
		out.issues = append(out.issues, schema.Issue{Pos: schema.Pos{File: a.NameRange.Filename, Line: a.NameRange.Start.Line, Column: a.NameRange.Start.Column},
			Rule: schema.RuleUnknown, Message: fmt.Sprintf("%s: %s; its instances are not checked", what, fmt.Sprintf(format, args...))})
		return nil, false
	}
	switch {
	case count != nil:
		v, marks := value(count.Expr, ctx, "count").Unmark()
		if !v.IsKnown() {
			return bad(count, "count is unknown (%s)", because(marks))
		}
		n, err := convert.Convert(v, cty.Number)
		if err != nil || n.IsNull() {
			return bad(count, "count is not a number")
		}
		i, acc := n.AsBigFloat().Int64()
		if acc != 0 || i < 0 || i > maxInstances {
			return bad(count, "count %s is not a whole number from 0 to %d", n.AsBigFloat().Text('f', -1), maxInstances)
		}
		var is []instance
		for k := range i {
			is = append(is, instance{key: fmt.Sprint(k), isInt: true, vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(k)})}})
		}
		return is, true
	case forEach != nil:
		// The keys must be known, as Terraform needs them (a set's
		// elements are its keys); a map's values may be unknown. The
		// reasons of unknown elements are marks on them.
		full := value(forEach.Expr, ctx, "for_each")
		v, marks := full.Unmark()
		if !v.IsKnown() {
			return bad(forEach, "for_each is unknown (%s)", because(marks))
		}
		ty := v.Type()
		if ty.IsSetType() && !v.IsWhollyKnown() {
			_, deep := full.UnmarkDeep()
			return bad(forEach, "for_each is unknown (%s)", because(deep))
		}
		if v.IsNull() || !(ty.IsMapType() || ty.IsObjectType() || ty.IsSetType() && ty.ElementType() == cty.String) {
			return bad(forEach, "for_each wants a map or a set of strings, got %s", ty.FriendlyName())
		}
		if v.LengthInt() > maxInstances {
			return bad(forEach, "for_each has more than %d elements", maxInstances)
		}
		var is []instance
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			if ty.IsSetType() {
				k, _ = ev.Unmark()
			}
			ev = ev.WithMarks(marks)
			is = append(is, instance{key: k.AsString(), vars: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": ev})}})
		}
		return is, true
	}
	return []instance{{}}, true
}

// address is the address of an instance of base.
func (in instance) address(base string) string {
	switch {
	case in.isInt:
		return base + "[" + in.key + "]"
	case in.vars != nil:
		return fmt.Sprintf("%s[%q]", base, in.key)
	}
	return base
}

// collect combines instance values as Terraform exposes them: one object,
// a tuple for count, an object by key for for_each.
func collect(is []instance, vals []cty.Value, count, forEach bool) cty.Value {
	switch {
	case count:
		if len(vals) == 0 {
			return cty.EmptyTupleVal
		}
		return cty.TupleVal(vals)
	case forEach:
		m := map[string]cty.Value{}
		for i, in := range is {
			m[in.key] = vals[i]
		}
		return cty.ObjectVal(m)
	case len(vals) == 1:
		return vals[0]
	}
	return unknown("no instances")
}

// withVars is ctx with an instance's count or each.
func withVars(ctx *hcl.EvalContext, vars map[string]cty.Value) *hcl.EvalContext {
	if len(vars) == 0 {
		return ctx
	}
	c := ctx.NewChild()
	c.Variables = vars
	return c
}

// resource evaluates every instance of r, adding them to out, and returns
// r's value.
func (e *evaluator) resource(r *resource, ctx *hcl.EvalContext, out *output) cty.Value {
	base := e.m.prefix + r.typ + "." + r.name
	report := out
	if !terraform.Models(r.typ) {
		report = &output{} // no rule misses what cannot be expanded
	}
	is, _ := e.instances(base, r.count, r.forEach, ctx, report)
	vals := make([]cty.Value, len(is))
	for i, in := range is {
		ictx := withVars(ctx, in.vars)
		b := &bodyEval{ctx: ictx, refs: map[string][]string{}}
		body := dynblock.Expand(r.body, ictx)
		obj, jv, ju := b.eval(body, r.blocks, "", r.block.DefRange)
		if !obj.Type().HasAttribute("id") {
			m := obj.AsValueMap()
			if m == nil {
				m = map[string]cty.Value{}
			}
			m["id"] = resourceID(r.typ, in.address(base), obj)
			obj = cty.ObjectVal(m)
		}
		obj = withBlockIDs(r.typ, obj)
		vals[i] = obj
		out.resources = append(out.resources, terraform.Resource{Addr: in.address(base), Type: r.typ, Values: jv, Unknown: ju, Refs: b.refs})
		report.issues = append(report.issues, b.issues...)
	}
	return collect(is, vals, r.count != nil, r.forEach != nil)
}

// call evaluates a module call: a local module with the call's arguments
// as its variables, adding its resources to out; a module lbcheck does not
// read is unknown.
func (e *evaluator) call(c *call, ctx *hcl.EvalContext, out *output) cty.Value {
	if c.module == nil {
		return unknown("%s", c.why)
	}
	base := e.m.prefix + "module." + c.name
	is, _ := e.instances(base, c.count, c.forEach, ctx, out)
	vals := make([]cty.Value, len(is))
	for i, in := range is {
		ictx := withVars(ctx, in.vars)
		args := map[string]cty.Value{}
		for _, a := range c.args {
			args[a.Name] = value(a.Expr, ictx, base+" argument "+a.Name)
		}
		addr := in.address(base)
		argv := cty.ObjectVal(args)
		o := e.calls[addr].out
		if o == nil || !argv.RawEquals(e.calls[addr].args) {
			child := *c.module
			child.prefix = addr + "."
			o = child.eval(args, e.l)
			e.calls[addr] = evaluated{argv, o}
		}
		out.resources = append(out.resources, o.resources...)
		out.issues = append(out.issues, o.issues...)
		vals[i] = o.outputs
	}
	return collect(is, vals, c.count != nil, c.forEach != nil)
}

// bodyEval evaluates one resource instance's body.
type bodyEval struct {
	ctx    *hcl.EvalContext
	refs   map[string][]string
	issues []schema.Issue
}

// skipAttrs are meta-arguments, not values.
var skipAttrs = []string{"depends_on", "provider", "count", "for_each"}

// eval evaluates body (its nested block types bt) into its value and the
// JSON of a plan's after and after_unknown, positioned at def; path is the
// nested block path for refs ("" or "block.").
func (b *bodyEval) eval(body hcl.Body, bt *blockTypes, path string, def hcl.Range) (cty.Value, *jsonpos.Value, *jsonpos.Value) {
	if bt == nil {
		bt = &blockTypes{}
	}
	at := pos(def.Filename, def.Start)
	jv := &jsonpos.Value{Kind: jsonpos.Object, Pos: at, KeyPos: at}
	ju := &jsonpos.Value{Kind: jsonpos.Object, Pos: at, KeyPos: at}
	vals := map[string]cty.Value{}
	// The attributes' names come from JustAttributes, which complains of
	// the blocks; their expressions from PartialContent, which gives
	// those of a dynamic block's content access to its iterator.
	names, _ := body.JustAttributes()
	bs := bt.schema()
	for name := range names {
		if !slices.ContainsFunc(bs.Blocks, func(h hcl.BlockHeaderSchema) bool { return h.Type == name }) {
			bs.Attributes = append(bs.Attributes, hcl.AttributeSchema{Name: name})
		}
	}
	// A diagnostic with an expression is a dynamic block's expansion that
	// failed (its for_each, as dynblock evaluates it): a value lbcheck
	// cannot know, not a schema violation as the others are.
	content, _, diags := body.PartialContent(bs)
	var failed hcl.Diagnostics
	for _, d := range diags {
		if d.Expression != nil {
			failed = append(failed, d)
		} else {
			b.issues = append(b.issues, issues(hcl.Diagnostics{d}, schema.RuleSchema)...)
		}
	}
	for _, is := range issues(failed, schema.RuleUnknown) {
		is.Message = "a dynamic block cannot be expanded (" + is.Message + "); its blocks are not checked"
		b.issues = append(b.issues, is)
	}
	for _, a := range sortedAttrs(content.Attributes) {
		if slices.Contains(skipAttrs, a.Name) {
			continue
		}
		v := value(a.Expr, b.ctx, a.Name)
		vals[a.Name] = v
		var elems []jsonpos.Pos
		if t, ok := hcl.UnwrapExpression(a.Expr).(*hclsyntax.TupleConsExpr); ok {
			for _, x := range t.Exprs {
				elems = append(elems, pos(x.Range().Filename, x.Range().Start))
			}
		}
		xr := a.Expr.Range()
		mv, mu := toJSON(v, pos(a.NameRange.Filename, a.NameRange.Start), pos(xr.Filename, xr.Start), elems, "")
		mv.Key = a.Name
		jv.Members = append(jv.Members, mv)
		if mu != nil {
			mu.Key = a.Name
			ju.Members = append(ju.Members, mu)
		}
		for _, t := range a.Expr.Variables() {
			if ref := refOf(t); ref != "" {
				b.refs[path+a.Name] = append(b.refs[path+a.Name], ref)
			}
		}
	}
	for _, name := range bt.names {
		var objs []cty.Value
		var arr, unk *jsonpos.Value
		for _, blk := range content.Blocks {
			if blk.Type != name {
				continue
			}
			o, bv, bu := b.eval(blk.Body, bt.inner[name], path+name+".", blk.DefRange)
			objs = append(objs, o)
			if arr == nil {
				tp := pos(blk.TypeRange.Filename, blk.TypeRange.Start)
				arr = &jsonpos.Value{Kind: jsonpos.Array, Key: name, Pos: tp, KeyPos: tp}
				unk = &jsonpos.Value{Kind: jsonpos.Array, Key: name, Pos: tp, KeyPos: tp}
			}
			arr.Elems = append(arr.Elems, bv)
			if len(bu.Members) == 0 {
				bu = &jsonpos.Value{Kind: jsonpos.Bool, Pos: bu.Pos, KeyPos: bu.Pos}
			}
			unk.Elems = append(unk.Elems, bu)
		}
		if arr == nil {
			continue
		}
		vals[name] = cty.TupleVal(objs)
		jv.Members = append(jv.Members, arr)
		if slices.ContainsFunc(unk.Elems, func(u *jsonpos.Value) bool { return u.Kind == jsonpos.Object }) {
			ju.Members = append(ju.Members, unk)
		}
	}
	return cty.ObjectVal(vals), jv, ju
}

// refOf renders a traversal as a plan's configuration reference
// ("azurerm_lb.web.id", `azurerm_lb_probe.p["a"]`), or "" for references
// to anything but a resource.
func refOf(t hcl.Traversal) string {
	root := t.RootName()
	if !strings.Contains(root, "_") || len(t) < 2 {
		return "" // var, local, each, count, module, data, path, self...
	}
	attr, ok := t[1].(hcl.TraverseAttr)
	if !ok {
		return ""
	}
	ref := root + "." + attr.Name
	if len(t) > 2 {
		if idx, ok := t[2].(hcl.TraverseIndex); ok {
			k := idx.Key
			switch {
			case k.Type() == cty.String:
				ref += fmt.Sprintf("[%q]", k.AsString())
			case k.Type() == cty.Number:
				ref += "[" + k.AsBigFloat().Text('f', -1) + "]"
			}
		}
	}
	return ref
}
