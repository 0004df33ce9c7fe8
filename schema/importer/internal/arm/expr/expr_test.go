package expr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// testScope gives parameters and variables from JSON, evaluated lazily.
type testScope struct {
	ev     *Evaluator
	params map[string]*jsonpos.Value
	vars   *jsonpos.Value
	funcs  map[string]*Func
}

func (s *testScope) Parameter(name string, at Pos) *Value {
	if v, ok := s.params[strings.ToLower(name)]; ok {
		return s.ev.JSON(v, "t.json", s)
	}
	return NewSymbol("[parameters('"+name+"')]", at)
}

func (s *testScope) Variable(name string, at Pos) *Value {
	if v := s.vars.Get(name); v != nil {
		return s.ev.JSON(v, "t.json", s)
	}
	return NewUnknown("no variable "+name, at)
}

func (s *testScope) CopyIndex(loop string, at Pos) *Value {
	return NewUnknown("copyIndex() outside a copy loop", at)
}

func (s *testScope) Function(ns, name string) *Func { return s.funcs[strings.ToLower(ns+"."+name)] }

func (s *testScope) Deployment(at Pos) *Value {
	return object(at, "name", NewSymbol("[deployment().name]", at))
}

func (s *testScope) ResourceInfo(symbolic string, at Pos) *Value {
	return NewUnknown("no resource "+symbolic, at)
}

func newTestScope(t *testing.T) *testScope {
	t.Helper()
	doc, err := jsonpos.Parse([]byte(`{
	  "params": {"port": 80, "name": "web", "obj": {"a": {"b": [1, 2, 3]}, "Key": "v"}, "list": ["x", "y"]},
	  "vars": {
	    "lbName": "[concat(parameters('name'), '-lb')]",
	    "rg": "[resourceGroup().name]",
	    "self": "[variables('self')]"
	  },
	  "fn": "[concat('pre-', parameters('x'))]"
	}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := New()
	s := &testScope{ev: ev, params: map[string]*jsonpos.Value{}, vars: doc.Get("vars")}
	for _, p := range doc.Get("params").Members {
		s.params[strings.ToLower(p.Key)] = p
	}
	s.funcs = map[string]*Func{"my.prefix": {Params: []string{"x"}, Output: doc.Get("fn"), File: "t.json", Defs: s}}
	return s
}

// show renders a value for comparison: strings quoted, Symbolic strings
// as sym"...", Unknown as unknown(reason).
func show(v *Value) string {
	switch v.Kind {
	case String:
		if v.Symbolic {
			return "sym" + fmt.Sprintf("%q", v.Str)
		}
		return fmt.Sprintf("%q", v.Str)
	case Unknown:
		return "unknown(" + v.Why + ")"
	case Array:
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case Object:
		parts := make([]string, len(v.Members))
		for i, m := range v.Members {
			parts[i] = m.Key + ":" + show(m.Value)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case Null:
		return "null"
	case Lambda:
		return "lambda"
	}
	s, _ := text(v)
	return s
}

func TestEval(t *testing.T) {
	tests := []struct{ expr, want string }{
		// Literals and escapes.
		{"plain", `"plain"`},
		{"[[not an expression]", `"[not an expression]"`},
		{"['it''s']", `"it's"`},
		{"[-3]", "-3"},
		{"[true]", "True"},
		// Parameters, variables, access.
		{"[parameters('PORT')]", "80"},
		{"[parameters('obj').a.b[1]]", "2"},
		{"[parameters('obj')['key']]", `"v"`},
		{"[parameters('obj').?missing]", "null"},
		{"[parameters('list')[?5]]", "null"},
		{"[variables('lbName')]", `"web-lb"`},
		{"[parameters('obj').missing]", `unknown(the object has no property "missing")`},
		{"[parameters('list')[2]]", "unknown(index 2 is out of range (the array has 2 elements))"},
		// Strings.
		{"[concat('a', 1, true)]", `"a1True"`},
		{"[format('{0}-{1:D3}-{2,4}|{{x}}', 'a', 7, 'b')]", `"a-007-   b|{x}"`},
		{"[toLower('AbC')]", `"abc"`},
		{"[replace('a-b-c', '-', '')]", `"abc"`},
		{"[substring('abcdef', 1, 3)]", `"bcd"`},
		{"[substring('abc', 2, 5)]", `unknown(substring("abc", 2, 5) is out of range)`},
		{"[split('a,b;c', createArray(',', ';'))]", `["a","b","c"]`},
		{"[startsWith('Microsoft', 'micro')]", "True"},
		{"[endsWith('abc', 'BC')]", "True"},
		{"[indexOf('abcABC', 'C')]", "2"},
		{"[lastIndexOf('abcABC', 'c')]", "5"},
		{"[padLeft(7, 3, '0')]", `"007"`},
		{"[trim('  x ')]", `"x"`},
		{"[string(createObject('a', 1, 'b', createArray(true)))]", `"{\"a\":1,\"b\":[true]}"`},
		{"[string(false)]", `"False"`},
		{"[json('{\"a\": [1, null]}').a[0]]", "1"},
		{"[base64ToString(base64('hé'))]", `"hé"`},
		{"[uri('https://x.test/a/main.json', 'nested/lb.json')]", `"https://x.test/a/nested/lb.json"`},
		{"[uriComponent('a b/c')]", `"a%20b%2Fc"`},
		{"[length('héllo')]", "5"},
		// Arrays and objects.
		{"[length(parameters('list'))]", "2"},
		{"[concat(parameters('list'), createArray('z'))]", `["x","y","z"]`},
		{"[union(createArray(1, 2), createArray(2, 3))]", "[1,2,3]"},
		{"[union(json('{\"a\":{\"x\":1},\"b\":1}'), json('{\"a\":{\"y\":2}}'))]", "{a:{x:1,y:2},b:1}"},
		{"[intersection(createArray(1, 2, 3), createArray(3, 2))]", "[2,3]"},
		{"[contains(parameters('obj'), 'KEY')]", "True"},
		{"[contains('abc', 'B')]", "False"},
		{"[contains(parameters('list'), 'y')]", "True"},
		{"[first(parameters('list'))]", `"x"`},
		{"[last('abc')]", `"c"`},
		{"[take(createArray(1, 2, 3), 2)]", "[1,2]"},
		{"[skip('abcd', 3)]", `"d"`},
		{"[empty(createArray())]", "True"},
		{"[range(5, 3)]", "[5,6,7]"},
		{"[items(json('{\"b\": 2, \"a\": 1}'))[0].key]", `"a"`},
		{"[objectKeys(parameters('obj'))]", `["a","Key"]`},
		{"[tryGet(parameters('obj'), 'a', 'b', 0)]", "1"},
		{"[tryGet(parameters('obj'), 'nope', 'b')]", "null"},
		{"[flatten(createArray(createArray(1), createArray(2, 3)))]", "[1,2,3]"},
		{"[join(parameters('list'), '+')]", `"x+y"`},
		{"[shallowMerge(createArray(json('{\"a\":1}'), json('{\"b\":2}')))]", "{a:1,b:2}"},
		{"[coalesce(null(), null(), 'z')]", `"z"`},
		// Logic and numbers.
		{"[if(equals(parameters('port'), 80), 'http', reference('x').y)]", `"http"`},
		{"[and(false, reference('x').y)]", "False"},
		{"[or(true, reference('x').y)]", "True"},
		{"[not(equals('a', 'A'))]", "True"},
		{"[greater(10, 9)]", "True"},
		{"[lessOrEquals('a', 'B')]", "True"},
		{"[add(mul(3, 4), sub(10, div(9, 3)))]", "19"},
		{"[mod(7, 0)]", "unknown(division by zero)"},
		{"[max(3, 9, 4)]", "9"},
		{"[min(createArray(3, 9, 4))]", "3"},
		{"[int('42')]", "42"},
		{"[bool('TRUE')]", "True"},
		// Lambdas.
		{"[filter(range(0, 5), lambda('i', greater(lambdaVariables('i'), 2)))]", "[3,4]"},
		{"[map(parameters('list'), lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]", `["x0","y1"]`},
		{"[reduce(range(1, 4), 0, lambda('acc', 'n', add(lambdaVariables('acc'), lambdaVariables('n'))))]", "10"},
		{"[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]", "[1,2,3]"},
		{"[toObject(parameters('list'), lambda('x', toUpper(lambdaVariables('x'))))]", `{X:"x",Y:"y"}`},
		// User-defined functions.
		{"[my.prefix('x')]", `"pre-x"`},
		// CIDR.
		{"[cidrSubnet('10.0.0.0/16', 24, 3)]", `"10.0.3.0/24"`},
		{"[cidrHost('10.0.3.0/24', 4)]", `"10.0.3.5"`},
		{"[parseCidr('10.0.0.0/30').lastUsable]", `"10.0.0.2"`},
		// Resource IDs.
		{"[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations/', 'lb', 'fe')]",
			`sym"/subscriptions/[subscription().subscriptionId]/resourceGroups/[resourceGroup().name]/providers/Microsoft.Network/loadBalancers/lb/frontendIPConfigurations/fe"`},
		{"[resourceId('Microsoft.Network/loadBalancers/probes/tcpProbe', 'lb')]", // the type carries the last name
			`sym"/subscriptions/[subscription().subscriptionId]/resourceGroups/[resourceGroup().name]/providers/Microsoft.Network/loadBalancers/lb/probes/tcpProbe"`},
		{"[resourceId('Microsoft.Network/loadBalancers/inboundNatRules', 'lb', 'rdp', 0)]",
			"unknown(resourceId() gives 3 names for resource type Microsoft.Network/loadBalancers/inboundNatRules, which takes 2)"},
		{"[resourceId('sub', 'rg', 'Microsoft.Network/loadBalancers', 'lb')]", `"/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"`},
		{"[extensionResourceId(resourceId('Microsoft.Network/loadBalancers', 'lb'), 'Microsoft.Authorization/locks', 'l')]",
			`sym"/subscriptions/[subscription().subscriptionId]/resourceGroups/[resourceGroup().name]/providers/Microsoft.Network/loadBalancers/lb/providers/Microsoft.Authorization/locks/l"`},
		// Symbolic placeholders: kept by what builds names, Unknown to
		// what looks inside.
		{"[concat(parameters('missing'), '-lb')]", `sym"[parameters('missing')]-lb"`},
		{"[toUpper(resourceGroup().location)]", `sym"[RESOURCEGROUP().LOCATION]"`},
		{"[equals(variables('rg'), resourceGroup().name)]", "True"},
		{"[equals(parameters('missing'), 'x')]", "unknown([parameters('missing')] is only known at deployment)"},
		{"[length(parameters('missing'))]", "unknown([parameters('missing')] is only known at deployment)"},
		{"[if(equals(parameters('missing'), 'x'), 1, 1)]", "1"},
		{"[if(equals(parameters('missing'), 'x'), 1, 2)]", "unknown(the if() condition is not known: [parameters('missing')] is only known at deployment)"},
		{"[equals(uniqueString('a', 'b'), uniqueString('a', 'b'))]", "True"},
		{"[length(uniqueString(resourceGroup().id))]", "unknown(uniqueString() is a hash Azure computes at deployment)"},
		{"[substring(uniqueString('a'), 0, 5)]", `sym"substring(zklycewkdo64v, 0, 5)"`},
		{"[take(parameters('missing'), 3)]", `sym"take([parameters('missing')], 3)"`},
		{"[guid('x')]", `sym"2d711642-b726-b044-0162-7ca9fbac32f5"`},
		// Unknown values.
		{"[reference('vm').outputs]", "unknown(reference() is the runtime state of a resource, known only at deployment)"},
		{"[listKeys('st', '2021-01-01').keys[0].value]", "unknown(listKeys() returns a resource's runtime values, known only at deployment)"},
		{"[length(createArray(reference('a'), 2))]", "2"},
		{"[concat('a', reference('x'))]", "unknown(reference() is the runtime state of a resource, known only at deployment)"},
		{"[noSuchFunction(1)]", "unknown(lbcheck does not evaluate function noSuchFunction())"},
		{"[variables('self')]", "unknown(evaluations nest deeper than 64 levels)"},
		// Syntax errors are Unknown with the reason.
		{"[concat('a'", `"[concat('a'"`}, // not bracketed: a literal
		{"[concat('a']", `unknown("[concat('a']" does not parse: unterminated call of concat())`},
		{"[concat('a') x]", `unknown("[concat('a') x]" does not parse: unexpected "x" after the expression)`},
	}
	for _, tt := range tests {
		s := newTestScope(t)
		got := show(s.ev.String(tt.expr, Pos{File: "t.json", Line: 1, Col: 1}, s))
		if got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.expr, got, tt.want)
		}
	}
}

// TestLimits checks that hostile expressions stop at a limit instead of
// exhausting memory, time or the stack.
func TestLimits(t *testing.T) {
	deep := strings.Repeat("concat(", 5000) + "'x'" + strings.Repeat(")", 5000)
	tests := []struct {
		name, expr, want string
		fatal            bool // the budget is spent: the import stops
	}{
		{"nesting", "[" + deep + "]", "nests deeper than 100 levels", false},
		{"range", "[range(0, 100000000)]", "outside ARM's range 0-10000", false},
		{"padLeft", "[padLeft('x', 100000000)]", "a string longer than 4 MiB", true},
		{"replace", "[replace(padLeft('x', 4000000, 'a'), 'a', 'aaaa')]", "a string longer than 4 MiB", true},
		{"memory", "[reduce(range(0, 10000), createArray(), lambda('acc', 'n', concat(lambdaVariables('acc'), range(0, 10000))))]", "more than 32 MiB of values", true},
	}
	for _, tt := range tests {
		s := newTestScope(t)
		got := s.ev.String(tt.expr, Pos{File: "t.json", Line: 1, Col: 1}, s)
		if got.Kind != Unknown || !strings.Contains(got.Why, tt.want) {
			t.Errorf("%s: got %s, want unknown containing %q", tt.name, show(got), tt.want)
		}
		if err := s.ev.Budget.Err(); (err != nil) != tt.fatal {
			t.Errorf("%s: budget error %v, want fatal=%v", tt.name, err, tt.fatal)
		}
	}
}

// FuzzString checks that no expression makes the evaluator panic, loop or
// exceed its budget silently: every result is a value.
func FuzzString(f *testing.F) {
	for _, s := range []string{"[concat('a', parameters('port'))]", "[if(equals(1, 1), createArray(1), json('[2]'))]",
		"[map(range(0, 3), lambda('x', mul(lambdaVariables('x'), 2)))]", "[parameters('obj').a.b[?9]]", "[format('{0:D4}', 5)]",
		"[cidrHost('10.0.0.0/24', 3)]", "[my.prefix(uniqueString('a'))]", "[[literal", "[variables('self')]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc := newTestScope(t)
		if v := sc.ev.String(s, Pos{File: "f.json", Line: 1, Col: 1}, sc); v == nil {
			t.Fatal("nil value")
		}
	})
}
