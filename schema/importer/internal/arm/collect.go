package arm

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// resource is one resource declaration, copy loops expanded and nested
// deployments flattened.
type resource struct {
	decl *jsonpos.Value
	file string
	sc   expr.Scope // nil: literal JSON (az CLI output)
	typ  string     // full type, lower case
	name string     // full name, "lb" or "lb/child"; may be a placeholder
	// maybe says why the resource may not be deployed (a condition only
	// known at deployment); "" when it is.
	maybe string
	body  *expr.Value // evaluated on first use (see eval)
}

// maxNesting bounds nested and linked deployments.
const maxNesting = 10

// readTypes are the resource types the importer reads; others are passed
// over without a word.
var readTypes = map[string]bool{
	typeLB: true, typeLB + "/backendaddresspools": true, typeLB + "/inboundnatrules": true,
	typeNIC: true, typePIP: true, typeVM: true, typeVMSS: true,
}

// skipped are the members of a resource that are not evaluated: lbcheck
// does not read them and they are where reference() and friends live.
var skipped = map[string]bool{
	"resources": true, "copy": true, "condition": true, "dependson": true, "comments": true,
	"metadata": true, "tags": true, "identity": true, "plan": true, "zones": true, "location": true,
	"apiversion": true, "scope": true, "existing": true, "type": true, "kind": true, "extendedlocation": true,
}

// eval evaluates what lbcheck reads of the resource, once.
func (r *resource) eval(ev *expr.Evaluator) *expr.Value {
	if r.body != nil {
		return r.body
	}
	if r.sc == nil {
		r.body = ev.Literal(r.decl, r.file)
		return r.body
	}
	var ms []expr.Member
	for _, m := range r.decl.Members {
		if !skipped[strings.ToLower(m.Key)] {
			ms = append(ms, expr.Member{Key: m.Key, KeyAt: expr.KeyAt(r.file, m), Value: ev.JSON(m, r.file, r.sc)})
		}
	}
	r.body = expr.NewObject(ms, expr.At(r.file, r.decl))
	return r.body
}

// value evaluates one JSON value in the scope (literally for az output).
func (im *importer) value(v *jsonpos.Value, file string, sc expr.Scope) *expr.Value {
	if sc == nil {
		return im.ev.Literal(v, file)
	}
	return im.ev.JSON(v, file, sc)
}

// collect flattens the resource declarations of list: child resources
// get full types and names, copy loops are expanded, resources whose
// condition is false are left out, nested deployments are descended into.
func (im *importer) collect(t *template, list *jsonpos.Value, parentType, parentName string, sc expr.Scope, maybe string) {
	items := list.Items()
	if list != nil && list.Kind == jsonpos.Object { // languageVersion 2.0: symbolic names
		items = list.Members
	}
	for _, v := range items {
		if v.Kind != jsonpos.Object {
			continue
		}
		cp := v.Get("copy")
		if cp == nil || cp.Kind != jsonpos.Object {
			im.collectOne(t, v, parentType, parentName, sc, maybe)
			continue
		}
		n, bad, rejected := im.ev.Count(cp.Get("count"), t.file, sc)
		switch typ := im.typeOf(t, v, parentType, sc); {
		case bad == nil:
		case rejected:
			im.issue("", bad.At, schema.RuleSchema, "%s; Azure rejects the template", bad.Why)
			continue
		case readTypes[typ] || typ == typeDeploy:
			im.issue("", bad.At, schema.RuleUnknown, "the copy loop of this %s is not expanded: %s; the resources it declares are not checked", typeNoun(typ), bad.Why)
			continue
		default:
			continue
		}
		if n == 0 {
			im.leftOut(t, v, parentType, parentName, sc)
		}
		loop, _ := cp.Get("name").Str()
		for i := range n {
			im.collectOne(t, v, parentType, parentName, &expr.LoopScope{Scope: sc, Name: loop, Index: i, Resource: true}, maybe)
		}
	}
}

// typeOf evaluates a declaration's full type, lower case ("" if unknown).
func (im *importer) typeOf(t *template, v *jsonpos.Value, parentType string, sc expr.Scope) string {
	typ, ok := im.value(v.Get("type"), t.file, sc).Name()
	if !ok {
		return ""
	}
	typ = strings.TrimSuffix(typ, "/")
	if parentType != "" && !strings.Contains(strings.SplitN(typ, "/", 2)[0], ".") {
		typ = parentType + "/" + typ
	}
	return strings.ToLower(typ)
}

func (im *importer) collectOne(t *template, v *jsonpos.Value, parentType, parentName string, sc expr.Scope, maybe string) {
	if existing := v.Get("existing"); existing != nil && existing.Kind == jsonpos.Bool && existing.Bool {
		return // a reference to a resource deployed elsewhere
	}
	typ := im.typeOf(t, v, parentType, sc)
	if !readTypes[typ] && typ != typeDeploy && v.Get("resources") == nil {
		return
	}
	name := im.nameOf(t, v, parentType, parentName, sc)
	if cond := v.Get("condition"); cond != nil {
		c := im.value(cond, t.file, sc)
		switch {
		case c.Kind == expr.Bool && !c.Bool:
			im.leftOut(t, v, parentType, name, sc)
			return
		case c.Kind != expr.Bool:
			maybe = "its condition is only known at deployment: " + c.Reason()
		}
	}
	r := &resource{decl: v, file: t.file, sc: sc, typ: typ, name: name, maybe: maybe}
	if typ == typeDeploy {
		im.deployment(t, r)
		return
	}
	if readTypes[typ] {
		im.resources = append(im.resources, r)
	}
	im.collect(t, v.Get("resources"), typ, name, sc, maybe)
}

// leftOut records, as not deployed, the resources lbcheck reads that
// declaration v (not deployed: a false condition, a copy count of 0)
// declares: itself, its child resources and a nested deployment's inline
// template, so that every declaration is accounted for.
func (im *importer) leftOut(t *template, v *jsonpos.Value, parentType, name string, sc expr.Scope) {
	typ := im.typeOf(t, v, parentType, sc)
	if readTypes[typ] {
		im.f.Result.NotDeployed = append(im.f.Result.NotDeployed, build.Declaration{Pos: pos(expr.At(t.file, v)), Type: typ, Name: name})
	}
	children := v.Get("resources")
	if typ == typeDeploy {
		children, typ = v.Path("properties", "template", "resources"), ""
	}
	items := children.Items()
	if children != nil && children.Kind == jsonpos.Object {
		items = children.Members
	}
	for _, c := range items {
		if c.Kind == jsonpos.Object {
			im.leftOut(t, c, typ, im.nameOf(t, c, typ, name, sc), sc)
		}
	}
}

// nameOf evaluates a declaration's full name. A name only known at
// deployment is replaced by its expression text, so the resource is still
// imported and checked under a readable placeholder.
func (im *importer) nameOf(t *template, v *jsonpos.Value, parentType, parentName string, sc expr.Scope) string {
	nv := v.Get("name")
	val := im.value(nv, t.file, sc)
	name, ok := val.Name()
	if !ok {
		name = val.Expr
		if name == "" {
			name = fmt.Sprintf("(unnamed at line %d)", v.Pos.Line)
		}
	}
	if parentType != "" && !strings.Contains(name, "/") {
		name = parentName + "/" + name
	}
	return name
}

// deployment descends into a nested deployment (Microsoft.Resources/
// deployments): its inline template, or the linked one when it is found
// next to the file (templateLink.relativePath, or a URI relative to this
// template's).
func (im *importer) deployment(t *template, r *resource) {
	props := r.decl.Get("properties")
	at := expr.At(t.file, r.decl)
	if t.depth >= maxNesting {
		im.issue("", at, schema.RuleUnknown, "nested deployment %s is more than %d levels deep and is not imported", r.name, maxNesting)
		return
	}
	file, root := t.file, props.Get("template")
	if root == nil {
		var why string
		file, root, why = im.linked(t, r)
		if root == nil {
			im.issue("", expr.KeyAt(t.file, props.Get("templateLink")), schema.RuleUnknown, "nested deployment %s: %s; the resources it deploys are not checked", lastName(r.name), why)
			return
		}
	}
	if root.Kind != jsonpos.Object {
		im.issue("", at, schema.RuleUnknown, "nested deployment %s has no template object; it is not imported", lastName(r.name))
		return
	}
	scopeOpt, _ := im.value(props.Path("expressionEvaluationOptions", "scope"), t.file, r.sc).Name()
	inner := strings.EqualFold(scopeOpt, "inner") || props.Get("template") == nil
	name := im.value(r.decl.Get("name"), t.file, r.sc)
	if !inner {
		// Outer scope: the nested template's expressions see this
		// template's parameters and variables.
		im.collect(t, root.Get("resources"), "", "", r.sc, r.maybe)
		return
	}
	given := map[string]*expr.Value{}
	for _, p := range props.Get("parameters").Fields() {
		given[strings.ToLower(p.Key)] = im.passed(p, t.file, r.sc)
	}
	nt := im.newTemplate(file, root, given, name, t.depth+1)
	if file != t.file {
		nt.uri = im.linkedURI(t, file)
		defer func() { im.opening = im.opening[:len(im.opening)-1] }()
	}
	im.collect(nt, root.Get("resources"), "", "", nt, r.maybe)
}

// passed is the value a parameter is given: {"value": ...}, or Unknown
// for a Key Vault reference.
func (im *importer) passed(p *jsonpos.Value, file string, sc expr.Scope) *expr.Value {
	// The whole {"value": ...} is evaluated: a copy loop may build the value
	// ({"copy": [{"name": "value", "count": ..., "input": ...}]}).
	if v := im.value(p, file, sc).Get("value"); v != nil {
		return v
	}
	if p.Get("reference") != nil {
		return expr.NewUnknown(fmt.Sprintf("parameter '%s' is a Key Vault reference, known only at deployment", p.Key), expr.At(file, p))
	}
	return expr.NewUnknown(fmt.Sprintf("parameter '%s' is given without a value", p.Key), expr.At(file, p))
}

// linked reads a linked template: templateLink.relativePath, or a
// templateLink.uri that resolves against this template's placeholder URI
// or is relative. why says what went wrong when root is nil.
func (im *importer) linked(t *template, r *resource) (file string, root *jsonpos.Value, why string) {
	link := r.decl.Path("properties", "templateLink")
	if link == nil {
		return "", nil, "it has neither a template nor a templateLink"
	}
	var rel string
	if rp := im.value(link.Get("relativePath"), t.file, r.sc); rp.Kind == expr.String {
		rel = rp.Str
	} else {
		u := im.value(link.Get("uri"), t.file, r.sc)
		s, ok := u.Name()
		if !ok {
			return "", nil, "its templateLink is only known at deployment (" + u.Reason() + ")"
		}
		if rel, ok = relativeLink(t.uri, s); !ok {
			return "", nil, fmt.Sprintf("linked template %s is not next to this file (only templateLink.relativePath and URIs relative to this template are read)", s)
		}
	}
	file = filepath.Join(filepath.Dir(t.file), filepath.FromSlash(rel))
	for _, open := range im.opening {
		if open == file {
			return "", nil, fmt.Sprintf("linked template %s links back to itself", rel)
		}
	}
	root, why = im.readLinked(file, rel)
	if why != "" {
		return "", nil, why
	}
	im.opening = append(im.opening, file)
	return file, root, ""
}

// readLinked reads and parses a linked template file the first time a
// deployment links it (a copy loop of deployments links it once per copy),
// and records it in the result's Linked.
func (im *importer) readLinked(file, rel string) (*jsonpos.Value, string) {
	if root, ok := im.parsed[file]; ok {
		return root, ""
	}
	src, err := schema.ReadFile(file)
	if err != nil {
		return nil, fmt.Sprintf("linked template %s cannot be read (%v)", rel, err)
	}
	root, err := jsonpos.Parse(src)
	if err != nil {
		return nil, fmt.Sprintf("linked template %s: %v", file, err)
	}
	im.parsed[file] = root
	im.f.Result.Linked = append(im.f.Result.Linked, schema.Source{Name: file, Data: src})
	return root, ""
}

// relativeLink returns the path of a linked template's URI relative to the
// linking template's placeholder URI base (query string, such as a SAS
// token, dropped), or the URI itself when it is a relative reference.
func relativeLink(base, link string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil {
		return "", false
	}
	if !u.IsAbs() && u.Host == "" {
		return u.Path, u.Path != ""
	}
	b, _ := url.Parse(base)
	if u.Host != b.Host {
		return "", false
	}
	dir := strings.TrimSuffix(b.Path, "/"+path.Base(b.Path))
	rel, ok := strings.CutPrefix(u.Path, dir+"/")
	return rel, ok && rel != ""
}

// linkedURI is the placeholder URI of a linked template file, relative to
// the linking template's.
func (im *importer) linkedURI(t *template, file string) string {
	rel, err := filepath.Rel(filepath.Dir(im.f.Name), file)
	if err != nil {
		return t.uri
	}
	return templateBase + (&url.URL{Path: filepath.ToSlash(rel)}).EscapedPath()
}
