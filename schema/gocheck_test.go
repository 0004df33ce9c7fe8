package schema

import (
	"math"
	"strconv"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// goCheckSamples are literals around every constraint schema.cue writes:
// its enumerations in and out of case, bounds and one past them,
// addresses and prefixes of both families with the forms netip rejects,
// and the integer spellings the predicates leave to CUE.
var goCheckSamples = []*ast.BasicLit{
	str(""), str("a"), str("web-1"), str(" "), str("Tcp"), str("tcp"), str("TCP"), str("Udp"), str("udp"), str("All"),
	str("Standard"), str("Basic"), str("Gateway"), str("internal"), str("public"), str("windows"), str("linux"),
	str("nic"), str("loopback"), str("block"), str("allow"), str("AllProbedDown"), str("AllProbedUp"), str("Http"),
	str("Https"), str("lbcheck.io/v1alpha1"), str("Deployment"), str("10.0.0.4"), str("10.0.0.4/32"),
	str("10.0.0.0/24"), str("10.0.0.4/24"), str("10.0.0.256"), str("010.0.0.4"), str("::1"), str("fe80::1%eth0"),
	str("2001:db8::/32"), str("2001:db8::1/129"), str("::ffff:10.0.0.4"), str("1.2.3"), str("10.0.0.4/"),
	str("0.0.0.0/0"), str("/"), str("1"),
	num("0"), num("1"), num("3"), num("4"), num("5"), num("15"), num("100"), num("101"), num("120"), num("121"),
	num("65534"), num("65535"), num("65536"), num("0x10"), num("1_000"), num("010"), num("99999999999999999999"),
	{Kind: token.FLOAT, Value: "4.0"}, {Kind: token.TRUE, Value: "true"}, {Kind: token.FALSE, Value: "false"},
}

func str(s string) *ast.BasicLit { return ast.NewString(s) }

func num(v string) *ast.BasicLit { return &ast.BasicLit{Kind: token.INT, Value: v} }

// TestGoChecksAgree checks every Go predicate against CUE: a value a
// predicate accepts, CUE accepts too (the fast path may only prove
// validity), and for the samples the predicate answers as CUE does, so a
// predicate that drifts narrower than its constraint is noticed as well.
// It also fails when a field the loader checks on every object loses its
// predicate, which would silently send every value back to CUE.
func TestGoChecksAgree(t *testing.T) {
	c, err := acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer release(c)
	byName := map[string]*defInfo{}
	for _, d := range c.defs {
		byName[d.name] = d
	}
	checked := 0
	for _, lit := range goCheckSamples {
		for _, neg := range []bool{false, true} {
			checked += compareGoChecks(t, c, byName, lit, neg)
		}
	}
	for def, preds := range goChecks().lists {
		for field, p := range preds {
			fi := byName[def].fieldOrNil(field)
			for _, xs := range [][]*ast.BasicLit{{}, {str("a")}, {str("a"), str("b")}, {str("")}, {str("10.0.0.4/32")},
				{str("10.0.0.4/32"), str("fe80::/64")}, {str("10.0.0.4")}, {num("1")}} {
				want := fi.value.Unify(c.ctx.BuildExpr(&ast.ListLit{Elts: exprs(xs)})).Validate(cue.Concrete(true)) == nil
				if got := p.acceptsLits(xs); got != want {
					t.Errorf("%s.%s = %v: predicate says %v, CUE %v", def, field, values(xs), got, want)
				}
				checked++
			}
		}
	}
	t.Logf("%d verdicts compared", checked)
	for _, f := range []struct{ def, field string }{
		{"#Frontend", "ipAddress"}, {"#PoolMember", "vm"}, {"#PoolMember", "ipConfiguration"}, {"#Rule", "name"},
		{"#Rule", "frontendPort"}, {"#Rule", "protocol"}, {"#Rule", "enableFloatingIP"}, {"#IPConfig", "privateIPAddress"},
		{"#Listener", "address"}, {"#Listener", "port"}, {"#Guest", "vm"}, {"#Interface", "kind"},
	} {
		if goChecks().scalars[f.def][f.field] == nil {
			t.Errorf("%s.%s has no Go predicate: every value of it would be checked by CUE", f.def, f.field)
		}
	}
	if goChecks().lists["#Interface"]["addresses"] == nil {
		t.Errorf("#Interface.addresses has no Go predicate: every list of it would be checked by CUE")
	}
}

// compareGoChecks compares every field's predicate with CUE on one
// literal, negated when neg is set, and returns how many it compared. A
// predicate may refuse an integer spelling CUE accepts (0x10): it leaves
// those to CUE.
func compareGoChecks(t *testing.T, c *compiled, byName map[string]*defInfo, lit *ast.BasicLit, neg bool) int {
	t.Helper()
	s, ok := scalarOf(lit, neg)
	if !ok {
		return 0
	}
	var x ast.Expr = lit
	if neg {
		x = &ast.UnaryExpr{Op: token.SUB, X: lit}
	}
	n := 0
	for def, preds := range goChecks().scalars {
		for field, p := range preds {
			fi := byName[def].fieldOrNil(field)
			if fi == nil {
				t.Fatalf("%s.%s: a predicate for a field the schema does not declare", def, field)
			}
			want := fi.value.Unify(c.ctx.BuildExpr(x)).Validate(cue.Concrete(true)) == nil
			if got := p(s); got != want && (got || s.dec || lit.Kind != token.INT) {
				t.Errorf("%s.%s = %s%s: predicate says %v, CUE %v", def, field, sign(neg), lit.Value, got, want)
			}
			n++
		}
	}
	return n
}

// FuzzGoChecks compares the predicates with CUE on any string and integer.
func FuzzGoChecks(f *testing.F) {
	f.Add("10.0.0.4", int64(80))
	f.Add("fe80::1%eth0", int64(-65535))
	c, err := acquire()
	if err != nil {
		f.Fatal(err)
	}
	byName := map[string]*defInfo{}
	for _, d := range c.defs {
		byName[d.name] = d
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		compareGoChecks(t, c, byName, ast.NewString(s), false)
		if n != math.MinInt64 {
			compareGoChecks(t, c, byName, num(strconv.FormatInt(max(n, -n), 10)), n < 0)
		}
	})
}

func (d *defInfo) fieldOrNil(name string) *fieldInfo {
	if d == nil {
		return nil
	}
	return d.fields[name]
}

func sign(neg bool) string {
	if neg {
		return "-"
	}
	return ""
}

func exprs(xs []*ast.BasicLit) []ast.Expr {
	out := make([]ast.Expr, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func values(xs []*ast.BasicLit) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Value)
	}
	return out
}
