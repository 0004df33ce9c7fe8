package lint

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

// deployment builds a small model as the loader would: one load balancer
// starting on line 2 of lb.yaml with a rule starting on line 5 whose
// frontendPort is on line 7.
func deployment() *schema.Deployment {
	lb := &schema.LoadBalancer{Name: "web"}
	lb.SetPos(schema.Pos{File: "lb.yaml", Line: 2, Column: 3}, "loadBalancers.web")
	r := &schema.Rule{Name: "https", FrontendPort: 443}
	r.SetPos(schema.Pos{File: "lb.yaml", Line: 5, Column: 7}, "loadBalancers.web.loadBalancingRules.https")
	r.SetField("frontendPort", schema.Pos{File: "lb.yaml", Line: 7, Column: 9})
	lb.LoadBalancingRules = []*schema.Rule{r}
	vm := &schema.VM{Name: "vm1"}
	vm.SetPos(schema.Pos{File: "vms.yaml", Line: 1, Column: 3}, "vms.vm1")
	return &schema.Deployment{LoadBalancers: []*schema.LoadBalancer{lb}, VMs: []*schema.VM{vm}}
}

// ruleAtPort reports one finding at every rule's frontendPort.
func ruleAtPort(id string) *Rule {
	return &Rule{ID: id, Severity: Warning, Doc: Doc{Source: "https://example.org/" + id}, Run: func(p *Pass) {
		for _, lb := range p.Deployment.LoadBalancers {
			for _, r := range lb.LoadBalancingRules {
				p.Reportf(&r.Node, "frontendPort", "port %d", r.FrontendPort)
			}
		}
	}}
}

// summary renders findings one per line for comparison.
func summary(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s %s", f.Pos, f.Rule, f.Severity, f.Message)
		if f.Suppressed != nil {
			fmt.Fprintf(&b, " [suppressed by %s: %s]", f.Suppressed.Pos, f.Suppressed.Reason)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestRunIssuesAndRules(t *testing.T) {
	issues := []schema.Issue{
		{Pos: schema.Pos{File: "lb.yaml", Line: 9, Column: 3}, Rule: "LB1001", Message: "no probe p"},
		{Pos: schema.Pos{File: "a.yaml", Line: 1, Column: 1}, Rule: "LB0001", Message: "bad value"},
		{Pos: schema.Pos{File: "a.yaml", Line: 1, Column: 1}, Rule: "LB7777", Message: "invented by a newer loader"},
	}
	got := Run(deployment(), issues, []*Rule{ruleAtPort("LB2001")}, nil)
	want := `a.yaml:1:1 LB0001 error bad value
a.yaml:1:1 LB7777 error invented by a newer loader
lb.yaml:7:9 LB2001 warning port 443
lb.yaml:9:3 LB1001 error no probe p
`
	if s := summary(got); s != want {
		t.Errorf("Run:\n%s\nwant:\n%s", s, want)
	}
	if got[0].Source != MetaRule("LB0001").Doc.Source || got[2].Source != "https://example.org/LB2001" {
		t.Errorf("sources not filled from the catalogue: %q, %q", got[0].Source, got[2].Source)
	}
	if got[2].Object != "loadBalancers.web.loadBalancingRules.https" {
		t.Errorf("object = %q", got[2].Object)
	}
}

func TestRunRecoversFromPanickingRule(t *testing.T) {
	crash := &Rule{ID: "LB2999", Run: func(p *Pass) {
		var lb *schema.LoadBalancer
		_ = lb.Name // nil dereference
	}}
	got := Run(deployment(), nil, []*Rule{crash, ruleAtPort("LB2001")}, nil)
	if len(got) != 2 {
		t.Fatalf("want the crash finding and LB2001's finding, got:\n%s", summary(got))
	}
	f := got[0]
	if f.Rule != InternalError || f.Severity != Error || !strings.Contains(f.Message, "rule LB2999 crashed") ||
		!strings.Contains(f.Message, BugURL) || !strings.Contains(f.Message, "nil pointer") {
		t.Errorf("crash finding = %+v", f)
	}
	if got[1].Rule != "LB2001" {
		t.Errorf("the other rule did not run: %s", summary(got))
	}
}

func TestRunDeterministicOrder(t *testing.T) {
	var rules []*Rule
	for _, id := range []string{"LB2003", "LB2001", "LB2002"} {
		rules = append(rules, ruleAtPort(id))
	}
	first := summary(Run(deployment(), nil, rules, nil))
	slices.Reverse(rules)
	if again := summary(Run(deployment(), nil, rules, nil)); again != first {
		t.Errorf("order depends on rule order:\n%s\nvs\n%s", first, again)
	}
	if !strings.HasPrefix(first, "lb.yaml:7:9 LB2001") {
		t.Errorf("not sorted by rule: %s", first)
	}
}

func TestSuppressions(t *testing.T) {
	tests := []struct {
		name, file, src, want string
	}{{
		name: "line before",
		file: "lb.yaml",
		src:  "\n\n\n\n\n# lbcheck:ignore LB2001 port 443 is shared on purpose\n      frontendPort: 443\n",
		want: "lb.yaml:7:9 LB2001 warning port 443 [suppressed by lb.yaml:6:1: port 443 is shared on purpose]\n",
	}, {
		name: "trailing comment, glob, list",
		file: "lb.yaml",
		src:  "\n\n\n\n\n\n      frontendPort: 443 # lbcheck:ignore LB1*,lb2* legacy\n",
		want: "lb.yaml:7:9 LB2001 warning port 443 [suppressed by lb.yaml:7:25: legacy]\n",
	}, {
		name: "above the object covers its fields; blank and comment lines skipped",
		file: "lb.yaml",
		src:  "\n    # lbcheck:ignore LB2001 reviewed\n\n    # another comment\n    - name: https\n",
		want: "lb.yaml:7:9 LB2001 warning port 443 [suppressed by lb.yaml:2:5: reviewed]\n",
	}, {
		name: "above the load balancer covers its rules",
		file: "lb.yaml",
		src:  "# lbcheck:ignore LB2001 whole LB is a lab\n  - name: web\n",
		want: "lb.yaml:7:9 LB2001 warning port 443 [suppressed by lb.yaml:1:1: whole LB is a lab]\n",
	}, {
		name: "missing reason is malformed and has no effect",
		file: "lb.yaml",
		src:  "\n\n\n\n\n# lbcheck:ignore LB2001\n",
		want: "lb.yaml:6:1 LB0003 error malformed lbcheck:ignore directive: missing the reason; write `# lbcheck:ignore LB2001[,LB3*] why this is acceptable`\n" +
			"lb.yaml:7:9 LB2001 warning port 443\n",
	}, {
		name: "bad pattern",
		file: "lb.yaml",
		src:  "\n\n\n\n\n# lbcheck:ignore LB20[ reason\n",
		want: "lb.yaml:6:1 LB0003 error malformed lbcheck:ignore directive: \"LB20[\" is not a rule ID or glob such as LB2001 or LB3*; write `# lbcheck:ignore LB2001[,LB3*] why this is acceptable`\n" +
			"lb.yaml:7:9 LB2001 warning port 443\n",
	}, {
		name: "wrong rule is unused",
		file: "lb.yaml",
		src:  "\n\n\n\n\n# lbcheck:ignore LB0001 reason\n      frontendPort: 443\n",
		want: "lb.yaml:6:1 LB0002 warning lbcheck:ignore LB0001 suppresses nothing on line 7; remove it or move it above the finding\n" +
			"lb.yaml:7:9 LB2001 warning port 443\n",
	}, {
		name: "unknown rule",
		file: "lb.yaml",
		src:  "\n\n\n\n\n# lbcheck:ignore LB9876 reason\n      frontendPort: 443\n",
		want: "lb.yaml:6:1 LB0002 warning lbcheck:ignore LB9876 suppresses nothing: there is no rule LB9876\n" +
			"lb.yaml:7:9 LB2001 warning port 443\n",
	}, {
		name: "nothing follows",
		file: "vms.yaml",
		src:  "\n\n# lbcheck:ignore LB2001 reason\n\n",
		want: "lb.yaml:7:9 LB2001 warning port 443\n" +
			"vms.yaml:3:1 LB0002 warning lbcheck:ignore LB2001 suppresses nothing: no line follows it\n",
	}, {
		name: "not a directive: inside a value, or a longer word",
		file: "lb.yaml",
		src:  "\n\n\nname: a#lbcheck:ignore LB2001 x\n\n# lbcheck:ignored LB2001 x\n",
		want: "lb.yaml:7:9 LB2001 warning port 443\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Run(deployment(), nil, []*Rule{ruleAtPort("LB2001")}, map[string][]byte{tt.file: []byte(tt.src)})
			if s := summary(got); s != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", s, tt.want)
			}
		})
	}
}

func TestSuppressionCommentSyntaxByFileType(t *testing.T) {
	d := &schema.Deployment{}
	issue := func(file string) schema.Issue {
		return schema.Issue{Pos: schema.Pos{File: file, Line: 2, Column: 1}, Rule: "LB0001", Message: "bad"}
	}
	sources := map[string][]byte{
		"a.cue":  []byte("// lbcheck:ignore LB0001 generated\nx: 1\n"),
		"b.yaml": []byte("// lbcheck:ignore LB0001 not a YAML comment\nx: 1\n"),
		"c.json": []byte("{\n\"x\": 1}\n"),
	}
	got := Run(d, []schema.Issue{issue("a.cue"), issue("b.yaml"), issue("c.json")}, nil, sources)
	want := "a.cue:2:1 LB0001 error bad [suppressed by a.cue:1:1: generated]\n" +
		"b.yaml:2:1 LB0001 error bad\n" +
		"c.json:2:1 LB0001 error bad\n"
	if s := summary(got); s != want {
		t.Errorf("got:\n%s\nwant:\n%s", s, want)
	}
}

func TestMetaFindingsAreNotSuppressible(t *testing.T) {
	src := "# lbcheck:ignore LB0* hide everything\n# lbcheck:ignore LB2001\n"
	got := Run(&schema.Deployment{}, nil, nil, map[string][]byte{"x.yaml": []byte(src)})
	want := "x.yaml:1:1 LB0002 warning lbcheck:ignore LB0* suppresses nothing: no line follows it\n" +
		"x.yaml:2:1 LB0003 error malformed lbcheck:ignore directive: missing the reason; write `# lbcheck:ignore LB2001[,LB3*] why this is acceptable`\n"
	if s := summary(got); s != want {
		t.Errorf("got:\n%s\nwant:\n%s", s, want)
	}
}

func TestCountAndAtLeast(t *testing.T) {
	fs := []Finding{
		{Severity: Error, Suppressed: &Suppression{Reason: "x"}},
		{Severity: Warning},
		{Severity: Info},
	}
	n := Count(fs)
	if n[Error] != 0 || n[Warning] != 1 || n[Info] != 1 {
		t.Errorf("Count = %v", n)
	}
	if AtLeast(fs, Error) || !AtLeast(fs, Warning) {
		t.Errorf("AtLeast ignores suppression or severity order")
	}
	if len(Unsuppressed(fs)) != 2 {
		t.Errorf("Unsuppressed kept a suppressed finding")
	}
}

func TestFiles(t *testing.T) {
	issues := []schema.Issue{{Pos: schema.Pos{File: "bad.yaml", Line: 1}}, {Pos: schema.Pos{File: "lb.yaml", Line: 3}}}
	got := Files(deployment(), issues)
	if want := []string{"bad.yaml", "lb.yaml", "vms.yaml"}; !slices.Equal(got, want) {
		t.Errorf("Files = %q, want %q", got, want)
	}
}

func TestMetaCatalogueValid(t *testing.T) {
	if err := Validate(Meta); err != nil {
		t.Fatal(err)
	}
	for _, r := range Meta {
		if r.Run != nil {
			t.Errorf("meta rule %s has a Run function; the engine reports it itself", r.ID)
		}
	}
}

// TestSharedBuiltOncePerRun checks Pass.Shared builds a value once for all
// rules of one Run, which run concurrently, and anew for the next Run.
func TestSharedBuiltOncePerRun(t *testing.T) {
	type key struct{}
	builds := 0
	var mu sync.Mutex
	var got []any
	use := func(p *Pass) {
		v := p.Shared(key{}, func() any { builds++; return new(int) })
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
	}
	rules := []*Rule{{ID: "LB9990", Run: use}, {ID: "LB9991", Run: use}}
	d := &schema.Deployment{}
	Run(d, nil, rules, nil)
	if builds != 1 || got[0] != got[1] {
		t.Errorf("one run: %d builds, values %p %p; want one build shared by both rules", builds, got[0], got[1])
	}
	Run(d, nil, rules, nil)
	if builds != 2 || got[2] == got[0] {
		t.Errorf("second run: %d builds in all, want 2 (a fresh value per run)", builds)
	}
}
