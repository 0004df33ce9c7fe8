package main

import (
	"slices"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/reports"
)

// TestCrossCheck links findings to the failed cases that name their guest
// or rule, and only those: a VM name that is a prefix of another's, a
// passing case and another deployment's case do not count.
func TestCrossCheck(t *testing.T) {
	rep := &reports.ConformanceReport{
		Deployments: []reports.Deployment{{Name: "a.yaml"}, {Name: "b.yaml"}},
		Cases: []reports.CaseResult{
			{Name: "RuleReplyDirect[a.yaml]", Status: reports.StatusFailed, Checks: []reports.Check{
				{What: "rule lb/web (tcp 203.0.113.10:80): sql-2's answer comes from the frontend"},
				{What: "rule lb/web (tcp 203.0.113.10:80): sql-1's answer comes from the frontend", OK: true},
			}},
			{Name: "RuleDeliversToPool[a.yaml]", Status: reports.StatusFailed, Reason: "rule lb/api (tcp 203.0.113.10:8080): member web-10 received none of 9 flows"},
			{Name: "RuleDeliversToPool[b.yaml]", Status: reports.StatusFailed, Reason: "rule lb/web (tcp 203.0.113.10:80): member sql-2 received none of 9 flows"},
			{Name: "RuleReplyDirect[b.yaml]", Status: reports.StatusPassed, Checks: []reports.Check{{What: "web-1's answer"}}},
		},
	}
	findings := map[string][]lint.Finding{
		"a.yaml": {
			{Rule: "LB3003", Object: "guests.sql-2.interfaces.Loopback"},
			{Rule: "LB3004", Object: "guests.sql-1.interfaces.lo"},
			{Rule: "LB3005", Object: "guests.web-1.listeners.http"},
			{Rule: "LB2004", Object: "loadBalancers.lb.loadBalancingRules.api"},
		},
		"b.yaml": {{Rule: "LB3005", Object: "guests.web-1.listeners.http"}},
	}
	crossCheck(rep, findings, 2)
	want := [][]string{{"RuleReplyDirect[a.yaml]"}, nil, nil, {"RuleDeliversToPool[a.yaml]"}, nil}
	if len(rep.LintFindings) != len(want) {
		t.Fatalf("%d cross-checks, want %d", len(rep.LintFindings), len(want))
	}
	for i, x := range rep.LintFindings {
		if !slices.Equal(x.ReproducedBy, want[i]) {
			t.Errorf("%s %s (%s): reproduced by %q, want %q", x.Rule, x.Object, x.Deployment, x.ReproducedBy, want[i])
		}
	}
}
