package schema

import (
	_ "embed"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

//go:embed schema.cue
var schemaSource string

// SchemaSource returns the CUE schema every input is validated against:
// package schema with #Deployment and one definition per model type. It is
// what `lbcheck schema` prints; save it as schema.cue to validate a file
// with `cue vet -d '#Deployment' schema.cue deploy.yaml`.
func SchemaSource() string { return schemaSource }

// compiled is the schema compiled once per process. A cue.Context is not
// safe for concurrent use, so every use of ctx or of values built from it
// holds mu.
type compiled struct {
	mu         sync.Mutex
	ctx        *cue.Context
	deployment cue.Value
	// defs describes the definition behind each model struct type.
	defs map[reflect.Type]*defInfo
}

// defInfo is what the loader needs to know about one closed definition.
type defInfo struct {
	name   string
	fields map[string]*fieldInfo // by JSON name
	// names lists the field names in schema order, for suggestions.
	names []string
	// goFields maps JSON names to the index of the Go struct field.
	goFields map[string]int
}

// fieldInfo describes one field of a definition.
type fieldInfo struct {
	value cue.Value // the field's constraint, e.g. *4 | int & >=4 & <=100
	// want describes a valid value in words, from @lbcheck(want="...");
	// empty when the constraint itself says enough (enums, bounds).
	want string
}

// defNames maps each model type to its definition in schema.cue.
var defNames = map[reflect.Type]string{
	reflect.TypeFor[Deployment]():       "#Deployment",
	reflect.TypeFor[LoadBalancer]():     "#LoadBalancer",
	reflect.TypeFor[Frontend]():         "#Frontend",
	reflect.TypeFor[BackendPool]():      "#BackendPool",
	reflect.TypeFor[PoolMember]():       "#PoolMember",
	reflect.TypeFor[Probe]():            "#Probe",
	reflect.TypeFor[Rule]():             "#Rule",
	reflect.TypeFor[NatRule]():          "#NatRule",
	reflect.TypeFor[OutboundRule]():     "#OutboundRule",
	reflect.TypeFor[VM]():               "#VM",
	reflect.TypeFor[NetworkInterface](): "#NetworkInterface",
	reflect.TypeFor[IPConfig]():         "#IPConfig",
	reflect.TypeFor[Guest]():            "#Guest",
	reflect.TypeFor[Interface]():        "#Interface",
	reflect.TypeFor[Listener]():         "#Listener",
	reflect.TypeFor[Firewall]():         "#Firewall",
	reflect.TypeFor[FirewallRule]():     "#FirewallRule",
	reflect.TypeFor[OutboundFlow]():     "#OutboundFlow",
}

var (
	compileOnce sync.Once
	theSchema   *compiled
	compileErr  error
)

// schemaValue returns the compiled schema. An error means schema.cue
// itself is broken, which the package's tests catch.
func schemaValue() (*compiled, error) {
	compileOnce.Do(func() { theSchema, compileErr = compileSchema() })
	return theSchema, compileErr
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
		info, err := describeDef(name, def, t)
		if err != nil {
			return nil, err
		}
		c.defs[t] = info
		if name == "#Deployment" {
			c.deployment = def
		}
	}
	return c, nil
}

func describeDef(name string, def cue.Value, t reflect.Type) (*defInfo, error) {
	info := &defInfo{name: name, fields: make(map[string]*fieldInfo), goFields: make(map[string]int)}
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag != "" && tag != "-" {
			info.goFields[tag] = i
		}
	}
	it, err := def.Fields(cue.Optional(true))
	if err != nil {
		return nil, fmt.Errorf("embedded schema: %s: %w", name, err)
	}
	for it.Next() {
		label := it.Selector().Unquoted()
		fi := &fieldInfo{value: it.Value()}
		if a := it.Value().Attribute("lbcheck"); a.Err() == nil {
			if want, ok, _ := a.Lookup(0, "want"); ok {
				fi.want = want
			}
		}
		info.fields[label] = fi
		info.names = append(info.names, label)
	}
	return info, nil
}

// suggest returns the field of d whose name matches name ignoring case,
// or "".
func (d *defInfo) suggest(name string) string {
	for _, n := range d.names {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return ""
}
