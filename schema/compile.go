package schema

import (
	_ "embed"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
)

//go:embed schema.cue
var schemaSource string

// SchemaSource returns the CUE schema every input is validated against:
// package schema with #Deployment and one definition per model type. It is
// what `lbcheck schema` prints; save it as schema.cue to validate a file
// with `cue vet -d '#Deployment' schema.cue deploy.yaml`.
func SchemaSource() string { return schemaSource }

// compiled is one compiled copy of the schema with its own cue.Context.
// A cue.Context is not safe for concurrent use, so each compiled is used by
// one goroutine at a time: take one with acquire and give it back with
// release. Validation runs on as many copies as there are CPUs.
type compiled struct {
	ctx *cue.Context
	// defs describes the definition behind each model struct type.
	defs map[reflect.Type]*defInfo
	// scalars remembers fastScalar's verdicts.
	scalars map[scalarKey]bool
}

// defInfo is what the loader needs to know about one closed definition
// and the Go type it decodes into.
type defInfo struct {
	name   string
	typ    reflect.Type
	value  cue.Value
	fields map[string]*fieldInfo // by JSON name
	// names lists the field names in schema order, for suggestions.
	names []string
	// required lists the fields marked with ! in the definition, for a
	// definition that is not conditional.
	required []string
	// conditional is set when the definition requires fields only under
	// conditions (an if clause), which only CUE can evaluate.
	conditional bool
	// extensions is set when the definition admits fields named x-...
	// (a pattern constraint), which the loader ignores.
	extensions bool
}

// fieldInfo describes one field of a definition.
type fieldInfo struct {
	value cue.Value // the field's constraint, e.g. *4 | int & >=4 & <=100
	// want describes a valid value in words, from @lbcheck(want="...");
	// empty when the constraint itself says enough (enums, bounds).
	want string
	// goIndex is the index of the Go struct field, or -1.
	goIndex int
	// def describes the field's objects when it holds one or a list.
	def *defInfo
	// dflt is the schema's default converted to the Go field's type; it is
	// invalid when the field has no default.
	dflt reflect.Value
	// accepts and listAccepts are the field's Go predicate (gocheck.go),
	// nil when it has none.
	accepts     predicate
	listAccepts listPredicate
}

// defNames maps each model type to its definition in schema.cue.
var defNames = map[reflect.Type]string{
	reflect.TypeFor[Deployment]():           "#Deployment",
	reflect.TypeFor[LoadBalancer]():         "#LoadBalancer",
	reflect.TypeFor[Frontend]():             "#Frontend",
	reflect.TypeFor[BackendPool]():          "#BackendPool",
	reflect.TypeFor[PoolMember]():           "#PoolMember",
	reflect.TypeFor[Probe]():                "#Probe",
	reflect.TypeFor[Rule]():                 "#Rule",
	reflect.TypeFor[NatRule]():              "#NatRule",
	reflect.TypeFor[OutboundRule]():         "#OutboundRule",
	reflect.TypeFor[VM]():                   "#VM",
	reflect.TypeFor[NetworkInterface]():     "#NetworkInterface",
	reflect.TypeFor[IPConfig]():             "#IPConfig",
	reflect.TypeFor[Guest]():                "#Guest",
	reflect.TypeFor[Interface]():            "#Interface",
	reflect.TypeFor[Listener]():             "#Listener",
	reflect.TypeFor[Firewall]():             "#Firewall",
	reflect.TypeFor[FirewallRule]():         "#FirewallRule",
	reflect.TypeFor[OutboundFlow]():         "#OutboundFlow",
	reflect.TypeFor[NetworkSecurityGroup](): "#NetworkSecurityGroup",
	reflect.TypeFor[SecurityRule]():         "#SecurityRule",
	reflect.TypeFor[Subnet]():               "#Subnet",
}

// schemas holds compiled copies of the schema not in use.
var schemas struct {
	mu   sync.Mutex
	free []*compiled
}

// acquire returns a compiled schema for the caller's exclusive use. An
// error means schema.cue itself is broken, which the package's tests
// catch.
func acquire() (*compiled, error) {
	schemas.mu.Lock()
	if n := len(schemas.free); n > 0 {
		c := schemas.free[n-1]
		schemas.free = schemas.free[:n-1]
		schemas.mu.Unlock()
		return c, nil
	}
	schemas.mu.Unlock()
	return compileSchema()
}

// release returns c, which the caller must no longer use.
func release(c *compiled) {
	schemas.mu.Lock()
	schemas.free = append(schemas.free, c)
	schemas.mu.Unlock()
}

func compileSchema() (*compiled, error) {
	ctx := cuecontext.New()
	v := ctx.CompileString(schemaSource, cue.Filename("lbcheck-schema.cue"))
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("compiling the embedded schema: %w", err)
	}
	c := &compiled{ctx: ctx, defs: make(map[reflect.Type]*defInfo)}
	for t, name := range defNames {
		def := v.LookupPath(cue.ParsePath(name))
		if !def.Exists() {
			return nil, fmt.Errorf("embedded schema lacks %s", name)
		}
		c.defs[t] = &defInfo{name: name, typ: t, value: def, fields: make(map[string]*fieldInfo)}
	}
	for t, info := range c.defs {
		if err := c.describeDef(info, t); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// describeDef fills info from the definition and the Go type t.
func (c *compiled) describeDef(info *defInfo, t reflect.Type) error {
	goFields := make(map[string]int)
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag != "" && tag != "-" {
			goFields[tag] = i
		}
	}
	it, err := info.value.Fields(cue.Optional(true))
	if err != nil {
		return fmt.Errorf("embedded schema: %s: %w", info.name, err)
	}
	for it.Next() {
		label := it.Selector().Unquoted()
		fi := &fieldInfo{value: it.Value(), goIndex: -1,
			accepts: goChecks().scalars[info.name][label], listAccepts: goChecks().lists[info.name][label]}
		fi.want = attr(it.Value(), "want")
		if i, ok := goFields[label]; ok {
			fi.goIndex = i
			ft := t.Field(i).Type
			for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			fi.def = c.defs[ft]
			regular := it.Selector().ConstraintType() == cue.InvalidSelectorType
			if d, ok := it.Value().Default(); ok && regular && d.Validate(cue.Concrete(true)) == nil {
				fi.dflt = reflect.New(t.Field(i).Type).Elem()
				if err := d.Decode(fi.dflt.Addr().Interface()); err != nil {
					return fmt.Errorf("embedded schema: %s.%s: default: %w", info.name, label, err)
				}
			}
		}
		if it.Selector().ConstraintType() == cue.RequiredConstraint {
			info.required = append(info.required, label)
		}
		info.fields[label] = fi
		info.names = append(info.names, label)
	}
	info.conditional = hasComprehension(info.value.Source())
	info.extensions = info.value.Allows(cue.Str("x-a")) && !info.value.Allows(cue.Str("a"))
	return nil
}

// attr returns key's value in v's @lbcheck(key="...") field attributes,
// or "". A field can have several, from its declaration and from an if
// clause that constrains it further.
func attr(v cue.Value, key string) string {
	for _, a := range v.Attributes(cue.FieldAttr) {
		if a.Name() != "lbcheck" {
			continue
		}
		if s, ok, _ := a.Lookup(0, key); ok {
			return s
		}
	}
	return ""
}

// hasComprehension reports whether n contains an if or for clause.
func hasComprehension(n ast.Node) bool {
	found := false
	if n != nil {
		ast.Walk(n, func(n ast.Node) bool {
			if _, ok := n.(*ast.Comprehension); ok {
				found = true
			}
			return !found
		}, nil)
	}
	return found
}
