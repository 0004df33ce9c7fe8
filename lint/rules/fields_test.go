package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

// TestFieldNames checks every field constant in fields.go against the JSON
// tags of its model type (both schema.Rule and schema.NatRule for a
// bindingField), and that the rules pass only such constants to the gates:
// a string literal would compile (it converts to any field type) but escape
// the check.
func TestFieldNames(t *testing.T) {
	types := modelTypes(reflect.TypeFor[schema.Deployment](), map[string]reflect.Type{})
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	consts := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				consts += checkFieldConst(t, fset, types, n)
			case *ast.CallExpr:
				checkGateCall(t, fset, name, n)
			}
			return true
		})
	}
	if consts == 0 {
		t.Fatal("no field constants found in the package")
	}
}

// checkFieldConst checks a constant declared with a field type and returns
// 1 if it is one.
func checkFieldConst(t *testing.T, fset *token.FileSet, types map[string]reflect.Type, spec *ast.ValueSpec) int {
	var owners []string
	switch typ := spec.Type.(type) {
	case *ast.Ident:
		if typ.Name != "bindingField" {
			return 0
		}
		owners = []string{"Rule", "NatRule"}
	case *ast.IndexExpr:
		if id, ok := typ.X.(*ast.Ident); !ok || id.Name != "field" {
			return 0
		}
		sel, ok := typ.Index.(*ast.SelectorExpr)
		if !ok {
			t.Errorf("%s: field type argument must be a schema type", fset.Position(spec.Pos()))
			return 1
		}
		owners = []string{sel.Sel.Name}
	default:
		return 0
	}
	for i, v := range spec.Values {
		lit, ok := v.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("%s: %s must be a string literal", fset.Position(v.Pos()), spec.Names[i])
			continue
		}
		name, _ := strconv.Unquote(lit.Value)
		for _, owner := range owners {
			typ, ok := types[owner]
			if !ok {
				t.Errorf("%s: %s is not a model type", fset.Position(v.Pos()), owner)
			} else if !hasJSONField(typ, name) {
				t.Errorf("%s: %s = %q is not a JSON field of schema.%s", fset.Position(v.Pos()), spec.Names[i], name, owner)
			}
		}
	}
	return 1
}

// checkGateCall fails on a string literal passed to known, settled or
// lint.Pass.Known, and on a call of Pass.Known outside fields.go.
func checkGateCall(t *testing.T, fset *token.FileSet, file string, call *ast.CallExpr) {
	var name string
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		name = fn.Name
	case *ast.SelectorExpr:
		name = fn.Sel.Name
	case *ast.IndexExpr: // known[T](...)
		if id, ok := fn.X.(*ast.Ident); ok {
			name = id.Name
		}
	}
	if name != "known" && name != "settled" && name != "Known" {
		return
	}
	if name == "Known" && file != "fields.go" {
		t.Errorf("%s: call pass.Known through known or binding.known, which take field constants", fset.Position(call.Pos()))
	}
	for _, a := range call.Args {
		if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			t.Errorf("%s: %s(%s): declare the field as a constant in fields.go", fset.Position(a.Pos()), name, lit.Value)
		}
	}
}

// modelTypes collects the struct types reachable from t by name.
func modelTypes(t reflect.Type, seen map[string]reflect.Type) map[string]reflect.Type {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return modelTypes(t.Elem(), seen)
	case reflect.Struct:
		if _, ok := seen[t.Name()]; ok {
			return seen
		}
		seen[t.Name()] = t
		for i := range t.NumField() {
			modelTypes(t.Field(i).Type, seen)
		}
	}
	return seen
}

// hasJSONField reports whether struct type t has a field whose JSON name
// is name.
func hasJSONField(t reflect.Type, name string) bool {
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
			return true
		}
	}
	return false
}

// TestNodeOf checks that nodeOf handles every model type.
func TestNodeOf(t *testing.T) {
	lb, fe, p, r := &schema.LoadBalancer{}, &schema.Frontend{}, &schema.Probe{}, &schema.Rule{}
	nat, out, ipc := &schema.NatRule{}, &schema.OutboundRule{}, &schema.IPConfig{}
	if nodeOf(lb) != &lb.Node || nodeOf(fe) != &fe.Node || nodeOf(p) != &p.Node || nodeOf(r) != &r.Node ||
		nodeOf(nat) != &nat.Node || nodeOf(out) != &out.Node || nodeOf(ipc) != &ipc.Node {
		t.Error("nodeOf returned another node than the object's own")
	}
}
