package arm

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// template is one deployment template — the file given, a nested inline
// template or a linked one — as the scope its expressions see: parameters
// (given values, else defaultValues, else placeholders), variables
// (including variable copy loops), user-defined functions and deployment().
type template struct {
	im   *importer
	file string // where its JSON is written, for positions
	root *jsonpos.Value
	// name is the deployment's name: the nested deployment resource's, or
	// a placeholder for the top-level one.
	name *expr.Value
	// uri is the placeholder URI deployment().properties.templateLink.uri
	// gives: linked templates resolve against it (see linkedFile).
	uri    string
	params map[string]*jsonpos.Value // lower-case name -> declaration
	given  map[string]*expr.Value    // lower-case name -> value passed in
	cache  map[string]*expr.Value    // parameters and variables evaluated
	busy   map[string]bool           // variables being evaluated
	funcs  map[string]*expr.Func     // lower-case "namespace.name"
	// symbols are the languageVersion 2.0 resources by symbolic name.
	symbols map[string]*jsonpos.Value
	depth   int // nesting level: 0 for the file given
}

// templateBase is the host of the placeholder URIs templates are given.
const templateBase = "https://template.lbcheck.invalid/"

func (im *importer) newTemplate(file string, root *jsonpos.Value, given map[string]*expr.Value, name *expr.Value, depth int) *template {
	t := &template{
		im: im, file: file, root: root, name: name, depth: depth,
		uri:    templateBase + url.PathEscape(path.Base(strings.ReplaceAll(file, "\\", "/"))),
		params: map[string]*jsonpos.Value{}, given: given,
		cache: map[string]*expr.Value{}, busy: map[string]bool{},
		funcs: map[string]*expr.Func{}, symbols: map[string]*jsonpos.Value{},
	}
	for _, p := range root.Get("parameters").Fields() {
		t.params[strings.ToLower(p.Key)] = p
	}
	for _, ns := range root.Get("functions").Items() {
		nsName, _ := ns.Get("namespace").Str()
		for _, fn := range ns.Get("members").Fields() {
			f := &expr.Func{Output: fn.Path("output", "value"), File: file, Defs: t}
			for _, p := range fn.Get("parameters").Items() {
				n, _ := p.Get("name").Str()
				f.Params = append(f.Params, n)
			}
			t.funcs[strings.ToLower(nsName+"."+fn.Key)] = f
		}
	}
	if res := root.Get("resources"); res != nil && res.Kind == jsonpos.Object {
		for _, r := range res.Members {
			t.symbols[strings.ToLower(r.Key)] = r
		}
	}
	return t
}

// Parameter is parameters(name): the value passed in (parameters file or
// the nested deployment's parameters), else the defaultValue, else a
// placeholder: a string parameter becomes the Symbolic
// "[parameters('name')]", others are Unknown.
func (t *template) Parameter(name string, at expr.Pos) *expr.Value {
	key := strings.ToLower(name)
	if v, ok := t.given[key]; ok {
		return v
	}
	decl, ok := t.params[key]
	if !ok {
		return expr.NewUnknown(fmt.Sprintf("parameter '%s' is not declared", name), at)
	}
	if v, ok := t.cache["p:"+key]; ok {
		return v
	}
	var v *expr.Value
	switch def := decl.Get("defaultValue"); {
	case def != nil:
		v = t.im.ev.JSON(def, t.file, t)
	case decl.Get("nullable") != nil && decl.Get("nullable").Bool:
		v = expr.NewNull(expr.At(t.file, decl))
	case t.paramType(decl) == "string" || t.paramType(decl) == "securestring":
		v = expr.NewSymbolWhy("[parameters('"+decl.Key+"')]", noValue(decl.Key), expr.At(t.file, decl))
	default:
		v = expr.NewUnknown(noValue(decl.Key), expr.At(t.file, decl))
	}
	t.cache["p:"+key] = v
	return v
}

// noValue says that a parameter has no value.
func noValue(name string) string {
	return fmt.Sprintf("parameter '%s' has no defaultValue and none was passed with --parameters", name)
}

// paramType is a parameter's lower-case type, following a $ref into the
// template's definitions.
func (t *template) paramType(decl *jsonpos.Value) string {
	for range 8 {
		if typ, ok := decl.Get("type").Str(); ok {
			return strings.ToLower(typ)
		}
		ref, ok := decl.Get("$ref").Str()
		name, found := strings.CutPrefix(ref, "#/definitions/")
		if !ok || !found {
			return ""
		}
		decl = t.root.Path("definitions", name)
	}
	return ""
}

// Variable is variables(name), evaluated once; a variable copy loop
// ("copy": [{name, count, input}]) defines the variable it names.
func (t *template) Variable(name string, at expr.Pos) *expr.Value {
	key := strings.ToLower(name)
	if v, ok := t.cache["v:"+key]; ok {
		return v
	}
	if t.busy[key] {
		return expr.NewUnknown(fmt.Sprintf("variable '%s' refers to itself", name), at)
	}
	t.busy[key] = true
	defer delete(t.busy, key)
	vars := t.root.Get("variables")
	var v *expr.Value
	if decl := vars.Get(name); decl != nil && !strings.EqualFold(decl.Key, "copy") {
		v = t.im.ev.JSON(decl, t.file, t)
	} else {
		for _, loop := range vars.Get("copy").Items() {
			if n, _ := loop.Get("name").Str(); strings.EqualFold(n, name) {
				_, v = t.im.ev.PropertyCopy(loop, t.file, t)
			}
		}
	}
	if v == nil {
		return expr.NewUnknown(fmt.Sprintf("variable '%s' is not declared", name), at)
	}
	t.cache["v:"+key] = v
	return v
}

// CopyIndex outside any copy loop.
func (t *template) CopyIndex(loop string, at expr.Pos) *expr.Value {
	if loop != "" {
		return expr.NewUnknown(fmt.Sprintf("copyIndex('%s') outside that copy loop", loop), at)
	}
	return expr.NewUnknown("copyIndex() outside a copy loop", at)
}

// Function returns a user-defined function.
func (t *template) Function(ns, name string) *expr.Func {
	return t.funcs[strings.ToLower(ns+"."+name)]
}

// Deployment is deployment(): the deployment's name and, as its
// templateLink, the template's placeholder URI.
func (t *template) Deployment(at expr.Pos) *expr.Value {
	sym := func(s string) *expr.Value { return expr.NewSymbol(s, at) }
	str := func(s string) *expr.Value { return expr.NewString(s, at) }
	obj := func(kv ...any) *expr.Value {
		var ms []expr.Member
		for i := 0; i < len(kv); i += 2 {
			ms = append(ms, expr.Member{Key: kv[i].(string), KeyAt: at, Value: kv[i+1].(*expr.Value)})
		}
		return expr.NewObject(ms, at)
	}
	name := t.name
	if name == nil {
		name = sym("[deployment().name]")
	}
	contentVersion, _ := t.root.Get("contentVersion").Str()
	return obj(
		"name", name,
		"location", sym(expr.Location),
		"properties", obj(
			"templateLink", obj("uri", sym(t.uri), "contentVersion", str(contentVersion)),
			"template", obj("contentVersion", str(contentVersion)),
			"mode", str("Incremental"),
			"provisioningState", str("Accepted")))
}

// ResourceInfo is resourceInfo(symbolicName): the id, name and type of a
// languageVersion 2.0 resource of this template.
func (t *template) ResourceInfo(symbolic string, at expr.Pos) *expr.Value {
	decl := t.symbols[strings.ToLower(symbolic)]
	if decl == nil {
		return expr.NewUnknown(fmt.Sprintf("the template has no resource '%s'", symbolic), at)
	}
	ev := t.im.ev
	typ := ev.JSON(decl.Get("type"), t.file, t)
	name := ev.JSON(decl.Get("name"), t.file, t)
	typS, ok1 := typ.Name()
	nameS, ok2 := name.Name()
	if !ok1 || !ok2 {
		return expr.NewUnknown(fmt.Sprintf("resource '%s' has a type or name only known at deployment", symbolic), at)
	}
	id := resourceID(typS, nameS)
	return expr.NewObject([]expr.Member{
		{Key: "id", KeyAt: at, Value: expr.NewSymbol(id, at)},
		{Key: "name", KeyAt: at, Value: name},
		{Key: "type", KeyAt: at, Value: typ},
		{Key: "apiVersion", KeyAt: at, Value: ev.JSON(decl.Get("apiVersion"), t.file, t)},
	}, at)
}

// resourceID renders the ID of a resource of type typ named name (both
// with one segment per level: "Microsoft.Network/loadBalancers/probes",
// "lb/p") in the placeholder subscription and resource group.
func resourceID(typ, name string) string {
	types := strings.Split(typ, "/")
	names := strings.Split(name, "/")
	id := "/subscriptions/" + expr.SubscriptionID + "/resourceGroups/" + expr.ResourceGroup + "/providers/" + types[0]
	for i, t := range types[1:] {
		n := ""
		if i < len(names) {
			n = names[i]
		}
		id += "/" + t + "/" + n
	}
	return id
}
