package lint

import (
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

// unknownDeployment has one load balancer with rules https (lb.yaml lines
// 5-9: frontendPort on 7, backendPort on 8, probe on 9) and http (lines
// 11-13: backendPort on 13), and marks the fields named in unknown
// ("https.backendPort", ...) as only known at deployment.
func unknownDeployment(unknown ...string) *schema.Deployment {
	at := func(line int) schema.Pos { return schema.Pos{File: "lb.yaml", Line: line, Column: 9} }
	lb := &schema.LoadBalancer{Name: "web"}
	lb.SetPos(schema.Pos{File: "lb.yaml", Line: 2, Column: 3}, "loadBalancers.web")
	https := &schema.Rule{Name: "https"}
	https.SetPos(schema.Pos{File: "lb.yaml", Line: 5, Column: 7}, "loadBalancers.web.loadBalancingRules.https")
	https.SetField("frontendPort", at(7))
	https.SetField("backendPort", at(8))
	https.SetField("probe", at(9))
	http := &schema.Rule{Name: "http"}
	http.SetPos(schema.Pos{File: "lb.yaml", Line: 11, Column: 7}, "loadBalancers.web.loadBalancingRules.http")
	http.SetField("backendPort", at(13))
	lb.LoadBalancingRules = []*schema.Rule{https, http}
	for _, u := range unknown {
		name, field, _ := strings.Cut(u, ".")
		r := https
		if name == "http" {
			r = http
		}
		r.SetUnknown(field, r.At(field), "[parameters('"+u+"')]")
	}
	return &schema.Deployment{LoadBalancers: []*schema.LoadBalancer{lb}}
}

// needing is a rule that, for every load-balancing rule, asks Known for
// fields and reports "checked" when they are known.
func needing(id string, fields ...string) *Rule {
	return &Rule{ID: id, Severity: Error, Run: func(p *Pass) {
		for _, r := range p.Deployment.LoadBalancers[0].LoadBalancingRules {
			if p.Known(&r.Node, fields...) {
				p.Reportf(&r.Node, "name", "%s checked", r.Name)
			}
		}
	}}
}

func TestKnownReportsOneFindingPerSkippedObject(t *testing.T) {
	tests := []struct {
		name    string
		unknown []string
		rules   []*Rule
		want    string
	}{{
		name:  "nothing unknown: every object checked, no LB0010",
		rules: []*Rule{needing("LB2001", "backendPort", "probe")},
		want: "lb.yaml:5:7 LB2001 error https checked\n" +
			"lb.yaml:11:7 LB2001 error http checked\n",
	}, {
		name:    "an unknown field no rule asks for is not reported",
		unknown: []string{"https.probe"},
		rules:   []*Rule{needing("LB2001", "backendPort")},
		want: "lb.yaml:5:7 LB2001 error https checked\n" +
			"lb.yaml:11:7 LB2001 error http checked\n",
	}, {
		name:    "one rule, one field: only that object is skipped",
		unknown: []string{"https.backendPort"},
		rules:   []*Rule{needing("LB2001", "backendPort", "probe")},
		want: "lb.yaml:8:9 LB0010 warning loadBalancers.web.loadBalancingRules.https: backendPort ([parameters('https.backendPort')]) " +
			"is only known at deployment; not checked by LB2001\n" +
			"lb.yaml:11:7 LB2001 error http checked\n",
	}, {
		name:    "fields of several rules grouped per object, at the earliest field, rules and fields sorted",
		unknown: []string{"https.probe", "https.frontendPort", "https.backendPort", "http.backendPort"},
		rules:   []*Rule{needing("LB2003", "probe"), needing("LB2001", "frontendPort", "backendPort"), needing("LB2002", "probe")},
		want: "lb.yaml:7:9 LB0010 warning loadBalancers.web.loadBalancingRules.https: backendPort ([parameters('https.backendPort')]), " +
			"frontendPort ([parameters('https.frontendPort')]) and probe ([parameters('https.probe')]) are only known at deployment; " +
			"not checked by LB2001, LB2002, LB2003\n" +
			"lb.yaml:11:7 LB2002 error http checked\n" +
			"lb.yaml:11:7 LB2003 error http checked\n" +
			"lb.yaml:13:9 LB0010 warning loadBalancers.web.loadBalancingRules.http: backendPort ([parameters('http.backendPort')]) " +
			"is only known at deployment; not checked by LB2001\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Run(unknownDeployment(tt.unknown...), nil, tt.rules, nil)
			if s := summary(got); s != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", s, tt.want)
			}
			for _, f := range got {
				if f.Rule == UnknownValue && (f.Object == "" || f.Source != MetaRule(UnknownValue).Doc.Source) {
					t.Errorf("LB0010 finding without its object or source: %+v", f)
				}
			}
		})
	}
}

// TestUnknownFindingsAreSuppressible hides the LB0010 finding of rule https
// with a directive above the rule: it covers findings anywhere in it.
func TestUnknownFindingsAreSuppressible(t *testing.T) {
	src := "\n\n\n# lbcheck:ignore LB0010 the port comes from the pipeline\n    - name: https\n"
	got := Run(unknownDeployment("https.backendPort"), nil, []*Rule{needing("LB2001", "backendPort")},
		map[string][]byte{"lb.yaml": []byte(src)})
	want := "lb.yaml:8:9 LB0010 warning loadBalancers.web.loadBalancingRules.https: backendPort ([parameters('https.backendPort')]) " +
		"is only known at deployment; not checked by LB2001 [suppressed by lb.yaml:4:1: the port comes from the pipeline]\n" +
		"lb.yaml:11:7 LB2001 error http checked\n"
	if s := summary(got); s != want {
		t.Errorf("got:\n%s\nwant:\n%s", s, want)
	}
}

// TestKnownOutsideRun checks that a pass made with NewPass answers Known
// without recording anything.
func TestKnownOutsideRun(t *testing.T) {
	d := unknownDeployment("https.backendPort")
	https, http := d.LoadBalancers[0].LoadBalancingRules[0], d.LoadBalancers[0].LoadBalancingRules[1]
	p := NewPass(&Rule{ID: "LB2001"}, d, func(Finding) { t.Error("Known reported a finding") })
	if p.Known(&https.Node, "probe", "backendPort") || !p.Known(&http.Node, "backendPort") || !p.Known(&https.Node) {
		t.Error("Known: want false for https (backendPort unknown), true for http and for no fields")
	}
}
