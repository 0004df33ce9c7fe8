package main

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/rules"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// dataPlaneFindings lints a --config deployment as lint does and keeps the
// findings about traffic (LB2xxx: rules, LB3xxx: guests) that packets can
// show, unsuppressed.
func dataPlaneFindings(loaded *importer.Loaded) []lint.Finding {
	var out []lint.Finding
	for _, f := range lint.Unsuppressed(lint.Run(loaded.Deployment, loaded.Issues, rules.All, loaded.Sources)) {
		if strings.HasPrefix(f.Rule, "LB2") || strings.HasPrefix(f.Rule, "LB3") {
			out = append(out, f)
		}
	}
	return out
}

// crossCheck links each data-plane finding of each deployment (findings by
// deployment name) to the cases of that deployment that failed on what the
// finding names: its guest's VM (guests.VM...) or its rule
// (loadBalancers.LB.loadBalancingRules.RULE, inboundNatRules.RULE), named
// in a failed check or the case's reason.
func crossCheck(rep *reports.ConformanceReport, findings map[string][]lint.Finding, deployments int) {
	for _, d := range rep.Deployments {
		for _, f := range findings[d.Name] {
			x := reports.LintCrossCheck{Deployment: d.Name, Rule: f.Rule, Message: f.Message, Object: f.Object, Source: f.Source}
			if subject := subjectOf(f.Object); subject != nil {
				for _, c := range rep.Cases {
					if c.Status == reports.StatusFailed && (deployments == 1 || strings.HasSuffix(c.Name, "["+d.Name+"]")) && failedOn(c, subject) {
						x.ReproducedBy = append(x.ReproducedBy, c.Name)
					}
				}
			}
			if i := slices.IndexFunc(rules.All, func(r *lint.Rule) bool { return r.ID == f.Rule }); i >= 0 && len(x.ReproducedBy) == 0 {
				x.Unobservable = rules.All[i].Doc.Unobservable
			}
			rep.LintFindings = append(rep.LintFindings, x)
		}
	}
}

// subjectOf matches the VM or rule a finding's object path names, as the
// generic cases write them (VM names; "lb/rule" in a flow's name), or nil.
func subjectOf(object string) *regexp.Regexp {
	parts := strings.Split(object, ".")
	var name string
	switch {
	case len(parts) >= 2 && parts[0] == "guests":
		name = parts[1]
	case len(parts) >= 4 && parts[0] == "loadBalancers" && (parts[2] == "loadBalancingRules" || parts[2] == "inboundNatRules"):
		name = parts[1] + "/" + parts[3]
	default:
		return nil
	}
	return regexp.MustCompile(`(^|[^\w.-])` + regexp.QuoteMeta(name) + `($|[^\w.-])`)
}

// failedOn reports whether a failed check or the reason of c names subject.
func failedOn(c reports.CaseResult, subject *regexp.Regexp) bool {
	for _, ch := range c.Checks {
		if !ch.OK && subject.MatchString(ch.What) {
			return true
		}
	}
	return subject.MatchString(c.Reason)
}

// printCrossCheck says, one line per finding, which cases failed on what
// it names: the packets' evidence for it, though a failure on the same
// guest or rule may have another cause.
func printCrossCheck(w io.Writer, rep *reports.ConformanceReport) {
	for _, x := range rep.LintFindings {
		verdict := "no case failed on what it names (see lbcheck rules " + x.Rule + ")"
		switch {
		case len(x.ReproducedBy) > 0:
			verdict = "a case failed on what it names: " + strings.Join(x.ReproducedBy, ", ")
		case x.Unobservable != "":
			verdict = "no case failed on what it names; packets cannot show it: " + x.Unobservable
		}
		fmt.Fprintf(w, "lint %s %s: %s\n", x.Rule, safetext.Line(x.Object), safetext.Line(verdict))
	}
}
