package tfconfig

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// terraformFunctions are Terraform's own functions that cty's library
// lacks, written after Terraform's documentation
// (developer.hashicorp.com/terraform/language/functions), and try and can
// written after HCL's tryfunc extension, which Terraform uses (theirs
// drop the reason an unknown argument carries).
var terraformFunctions = map[string]function.Function{
	"try": tryFunc, "can": canFunc,
	"range":        stdlib.RangeFunc,
	"replace":      replaceFunc,
	"length":       lengthFunc,
	"base64encode": stringFunc(func(s string) (string, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil }),
	"base64decode": stringFunc(base64Decode),
	"basename":     stringFunc(func(s string) (string, error) { return filepath.Base(s), nil }),
	"dirname":      stringFunc(func(s string) (string, error) { return filepath.Dir(s), nil }),
	"startswith":   stringTest(strings.HasPrefix),
	"endswith":     stringTest(strings.HasSuffix),
	"strcontains":  stringTest(strings.Contains),
	"sensitive":    identity, "nonsensitive": identity,
	"sum":     sumFunc,
	"alltrue": boolsFunc(true), "anytrue": boolsFunc(false),
	"one": oneFunc,
}

// tryFunc is Terraform's try: the first argument that evaluates without
// an error; unknown (with its reasons) if that one is not wholly known,
// since once known it might fail and another be chosen.
var tryFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "expressions", Type: customdecode.ExpressionClosureType},
	Type: func(args []cty.Value) (cty.Type, error) {
		v, err := try(args)
		return v.Type(), err
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return try(args) },
})

func try(args []cty.Value) (cty.Value, error) {
	var diags hcl.Diagnostics
	for _, arg := range args {
		v, more := customdecode.ExpressionClosureFromVal(arg).Value()
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		if !v.IsWhollyKnown() {
			_, marks := v.UnmarkDeep()
			return cty.DynamicVal.WithMarks(marks), nil
		}
		return v, nil
	}
	if len(diags) == 0 {
		return cty.NilVal, fmt.Errorf("try wants at least one argument")
	}
	return cty.NilVal, fmt.Errorf("no expression succeeded: %s", diags.Error())
}

// canFunc is Terraform's can: whether its argument evaluates without an
// error; unknown (with its reasons) while the argument is not wholly
// known.
var canFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "expression", Type: customdecode.ExpressionClosureType}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, diags := customdecode.ExpressionClosureFromVal(args[0]).Value()
		if diags.HasErrors() {
			return cty.False, nil
		}
		if !v.IsWhollyKnown() {
			_, marks := v.UnmarkDeep()
			return cty.UnknownVal(cty.Bool).WithMarks(marks), nil
		}
		return cty.True, nil
	},
})

// stringFunc is a function of one string to a string.
func stringFunc(f func(string) (string, error)) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			s, err := f(args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.String), err
			}
			return cty.StringVal(s), nil
		},
	})
}

func base64Decode(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("the string is not base64: %w", err)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("the decoded bytes are not UTF-8")
	}
	return string(b), nil
}

// stringTest is a function of two strings to a bool.
func stringTest(f func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// identity returns its argument: sensitive and nonsensitive change only
// what Terraform prints.
var identity = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true}},
	Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl:   func(args []cty.Value, _ cty.Type) (cty.Value, error) { return args[0], nil },
})

// replaceFunc is Terraform's replace: a search string between slashes is
// a regular expression.
var replaceFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}, {Name: "replace", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if sub := args[1].AsString(); len(sub) > 1 && strings.HasPrefix(sub, "/") && strings.HasSuffix(sub, "/") {
			return stdlib.RegexReplace(args[0], cty.StringVal(sub[1:len(sub)-1]), args[2])
		}
		return stdlib.Replace(args[0], args[1], args[2])
	},
})

// lengthFunc is Terraform's length: of a collection, an object (its
// attributes) or a string (its characters, as cty's strlen counts them).
var lengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true, AllowMarked: true}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		var n cty.Value
		var err error
		switch ty := v.Type(); {
		case !v.IsKnown():
			n = cty.UnknownVal(cty.Number)
		case ty == cty.String:
			n, err = stdlib.Strlen(v)
		case ty.IsObjectType():
			n = cty.NumberIntVal(int64(len(ty.AttributeTypes())))
		default:
			n, err = stdlib.Length(v)
		}
		return n.WithMarks(marks), err
	},
})

// sumFunc is Terraform's sum of a list or set of numbers.
var sumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if !args[0].CanIterateElements() || args[0].LengthInt() == 0 {
			return cty.UnknownVal(cty.Number), fmt.Errorf("sum wants a non-empty list or set of numbers")
		}
		total := cty.Zero
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.IsNull() || v.Type() != cty.Number {
				return cty.UnknownVal(cty.Number), fmt.Errorf("sum wants numbers, got %s", v.Type().FriendlyName())
			}
			total = total.Add(v)
		}
		return total, nil
	},
})

// boolsFunc is alltrue (all) or anytrue (!all) of a list of bools.
func boolsFunc(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				if v.IsNull() {
					return cty.UnknownVal(cty.Bool), fmt.Errorf("the list holds null")
				}
				if v.True() != all {
					return cty.BoolVal(!all), nil
				}
			}
			return cty.BoolVal(all), nil
		},
	})
}

// oneFunc is Terraform's one: the element of a list or set of at most
// one, null for none.
var oneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty.IsListType() || ty.IsSetType():
			return ty.ElementType(), nil
		case ty.IsTupleType() && len(ty.TupleElementTypes()) == 1:
			return ty.TupleElementTypes()[0], nil
		case ty.IsTupleType():
			return cty.DynamicPseudoType, nil
		}
		return cty.NilType, fmt.Errorf("one wants a list, set or tuple")
	},
	Impl: func(args []cty.Value, ty cty.Type) (cty.Value, error) {
		switch n := args[0].LengthInt(); {
		case n == 0:
			return cty.NullVal(ty), nil
		case n > 1:
			return cty.UnknownVal(ty), fmt.Errorf("one wants at most one element, got %d", n)
		}
		it := args[0].ElementIterator()
		it.Next()
		_, v := it.Element()
		return v, nil
	},
})
