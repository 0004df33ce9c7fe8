package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/linttest"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/schematest"
)

const fixtures = "../../fixtures"

func TestCatalogueValid(t *testing.T) {
	if err := lint.Validate(slices.Concat(lint.Meta, All)); err != nil {
		t.Fatal(err)
	}
	for i, r := range All {
		if r.Run == nil {
			t.Errorf("%s has no Run", r.ID)
		}
		if i > 0 && All[i-1].ID >= r.ID {
			t.Errorf("All is not in ID order at %s", r.ID)
		}
	}
}

// fixtureFiles lists the fixture files of one rule's directory.
func fixtureFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("every rule needs fixtures in %s: %v", dir, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return files
}

// TestRuleFixtures runs each rule over each file of fixtures/lint/<ID>/ and
// checks the findings against the # want marks. Files named good*.yaml must
// also be clean for every rule; at least one other file must produce the
// rule.
func TestRuleFixtures(t *testing.T) {
	for _, r := range All {
		t.Run(r.ID, func(t *testing.T) {
			files := fixtureFiles(t, filepath.Join(fixtures, "lint", r.ID))
			var good, produced int
			for _, f := range files {
				findings := linttest.Run(t, []*lint.Rule{r}, f)
				if strings.HasPrefix(filepath.Base(f), "good") {
					good++
					for _, x := range lint.Unsuppressed(linttest.Run(t, All, f)) {
						t.Errorf("%s: good fixture has finding %s: %s", x.Pos, x.Rule, x.Message)
					}
					continue
				}
				for _, x := range findings {
					if x.Rule == r.ID {
						produced++
					}
				}
			}
			if good == 0 {
				t.Errorf("fixtures/lint/%s has no good*.yaml", r.ID)
			}
			if produced == 0 {
				t.Errorf("no fixture in fixtures/lint/%s produces %s", r.ID, r.ID)
			}
		})
	}
}

// TestExampleIsClean lints the shipped example with every rule.
func TestExampleIsClean(t *testing.T) {
	findings := lint.Unsuppressed(linttest.Run(t, All, filepath.Join(fixtures, "examples")))
	for _, x := range findings {
		t.Errorf("%s: %s: %s", x.Pos, x.Rule, x.Message)
	}
}

// TestBrokenExamples lints each broken variant with every rule: each must
// produce findings, all of them marked with # want.
func TestBrokenExamples(t *testing.T) {
	files := fixtureFiles(t, filepath.Join(fixtures, "broken"))
	if len(files) == 0 {
		t.Fatal("fixtures/broken is empty")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if len(lint.Unsuppressed(linttest.Run(t, All, f))) == 0 {
				t.Errorf("%s produces no findings", f)
			}
		})
	}
}

// BenchmarkAll lints a generated deployment of 1,500 rules, 600 frontends
// and 1,000 guests with every rule, then each rule alone.
func BenchmarkAll(b *testing.B) {
	d, issues, err := schema.LoadBytes("bench.yaml", schematest.Generate(1500, 600, 1000))
	if err != nil || len(issues) > 0 {
		b.Fatalf("generated deployment: %v %v", err, issues)
	}
	b.Run("all", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(lint.Run(d, nil, All, nil))
		}
		b.ReportMetric(float64(n), "findings")
	})
	for _, r := range All {
		b.Run(r.ID, func(b *testing.B) {
			for b.Loop() {
				lint.Run(d, nil, []*lint.Rule{r}, nil)
			}
		})
	}
}

// TestUnknownValues marks one field of every object of a kind (every
// load-balancing and inbound NAT rule, every frontend, ...) as known only at
// deployment, as importers do for ARM expressions, and lints the rule's bad
// fixture again. A field the rule needs silences its findings (other than
// about outbound rules, which keep their own fields) and yields LB0010
// findings naming the field and the rule; a field it does not read changes
// nothing and yields no LB0010.
func TestUnknownValues(t *testing.T) {
	for _, tt := range []struct {
		id, kind, field string
		silences        bool
	}{
		{"LB1003", "rules", "enableFloatingIP", true},
		{"LB1003", "rules", "backendPort", true},
		{"LB1003", "rules", "enableTcpReset", false},
		{"LB1004", "rules", "frontendPort", true},
		{"LB1004", "rules", "enableFloatingIP", false},
		{"LB1006", "rules", "enableFloatingIP", true},
		{"LB1007", "rules", "enableFloatingIP", true},
		{"LB1008", "rules", "disableOutboundSnat", true},
		{"LB2001", "rules", "backendPort", true},
		{"LB2001", "rules", "enableTcpReset", false},
		{"LB2002", "rules", "enableFloatingIP", true},
		{"LB2002", "ipconfigs", "primary", true},
		{"LB2003", "rules", "probe", true},
		{"LB2004", "rules", "enableFloatingIP", true},
		{"LB2004", "probes", "port", true},
		{"LB3001", "rules", "enableFloatingIP", true},
		{"LB3001", "rules", "enableTcpReset", false},
		{"LB3001", "rules", "backendPort", false},
		{"LB3001", "frontends", "ipAddress", true},
		{"LB3002", "frontends", "ipAddress", true},
		{"LB3003", "frontends", "ipAddress", true},
		{"LB3004", "frontends", "ipAddress", true},
		{"LB3005", "rules", "backendPort", true},
		{"LB3005", "rules", "enableTcpReset", false},
		{"LB3006", "rules", "probe", true},
		{"LB3006", "rules", "enableFloatingIP", false},
		{"LB3006", "probes", "port", true},
		{"LB3006", "ipconfigs", "privateIPAddress", true},
		{"LB3006", "frontends", "ipAddress", false},
		{"LB3007", "frontends", "ipAddress", true},
		{"LB3008", "rules", "protocol", true},
		{"LB3009", "rules", "backendPort", false},
		{"LB3009", "probes", "port", true},
		{"LB3009", "ipconfigs", "privateIPAddress", true},
		{"LB3010", "frontends", "ipAddress", false},
		{"LB9002", "rules", "enableTcpReset", true},
		{"LB9002", "rules", "enableFloatingIP", false},
		{"LB9003", "rules", "enableFloatingIP", true},
	} {
		t.Run(tt.id+"/"+tt.kind+"."+tt.field, func(t *testing.T) {
			d, _, err := schema.Load(filepath.Join(fixtures, "lint", tt.id, "bad.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			r := All[slices.IndexFunc(All, func(r *lint.Rule) bool { return r.ID == tt.id })]
			before := lint.Run(d, nil, []*lint.Rule{r}, nil)
			if len(before) == 0 {
				t.Fatal("the bad fixture produces nothing to begin with")
			}
			for _, n := range nodesOf(d, tt.kind) {
				n.SetUnknown(tt.field, n.At(tt.field), "[parameters('x')]")
			}
			after := lint.Run(d, nil, []*lint.Rule{r}, nil)
			if !tt.silences {
				if !slices.Equal(after, before) {
					t.Errorf("with %s unknown the findings changed:\n%v\nwant:\n%v", tt.field, after, before)
				}
				return
			}
			unknowns := 0
			for _, f := range after {
				switch {
				case f.Rule == lint.UnknownValue:
					unknowns++
					if f.Message != f.Object+": "+skippedBy(tt.field, tt.id) {
						t.Errorf("with %s unknown: LB0010 %s: %s", tt.field, f.Pos, f.Message)
					}
				case !strings.Contains(f.Object, ".outboundRules."):
					t.Errorf("with %s unknown: %s: %s", tt.field, f.Pos, f.Message)
				}
			}
			if unknowns == 0 {
				t.Errorf("with %s unknown the findings went without an LB0010 finding", tt.field)
			}
		})
	}
}

// nodesOf returns the nodes of every object of a kind in d: "lbs",
// "frontends", "probes", "rules" (load-balancing and inbound NAT rules),
// "ipconfigs".
func nodesOf(d *schema.Deployment, kind string) []*schema.Node {
	var ns []*schema.Node
	for _, lb := range d.LoadBalancers {
		switch kind {
		case "lbs":
			ns = append(ns, &lb.Node)
		case "frontends":
			for _, x := range lb.FrontendIPConfigurations {
				ns = append(ns, &x.Node)
			}
		case "probes":
			for _, x := range lb.Probes {
				ns = append(ns, &x.Node)
			}
		case "rules":
			for _, x := range lb.LoadBalancingRules {
				ns = append(ns, &x.Node)
			}
			for _, x := range lb.InboundNatRules {
				ns = append(ns, &x.Node)
			}
		}
	}
	if kind == "ipconfigs" {
		for _, vm := range d.VMs {
			for _, nic := range vm.NetworkInterfaces {
				for _, c := range nic.IPConfigurations {
					ns = append(ns, &c.Node)
				}
			}
		}
	}
	return ns
}
