package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/rules"
)

// catalogue returns every rule lbcheck can report, meta rules included, in
// ID order.
func catalogue() []*lint.Rule {
	all := slices.Concat(lint.Meta, rules.All)
	slices.SortFunc(all, func(a, b *lint.Rule) int { return strings.Compare(a.ID, b.ID) })
	return all
}

func newRulesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rules [ID]",
		Short: "List the lint rules, or explain one",
		Long: `Without an argument, rules lists every rule lbcheck lint can report: ID,
severity and title. With a rule ID it explains that rule: what goes wrong and
why, how to fix it, and the documentation it is based on.

Rule ranges: LB0xxx lbcheck itself (schema, suppressions), LB1xxx rule sets
Azure rejects, LB2xxx rule sets that deploy but fail, LB3xxx guest OS
configuration, LB9xxx dubious but legal.`,
		Example: `  lbcheck rules
  lbcheck rules LB3002`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listRules(cmd.OutOrStdout(), catalogue())
			}
			return explainRule(cmd.OutOrStdout(), catalogue(), args[0])
		},
	}
}

func listRules(w io.Writer, all []*lint.Rule) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
	for _, r := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Doc.Title)
	}
	return tw.Flush()
}

func explainRule(w io.Writer, all []*lint.Rule, id string) error {
	i := slices.IndexFunc(all, func(r *lint.Rule) bool { return strings.EqualFold(r.ID, id) })
	if i < 0 {
		return usagef("no rule %q; run 'lbcheck rules' to list them", id)
	}
	r := all[i]
	if _, err := fmt.Fprintf(w, "%s: %s\nSeverity: %s\n\n%s\n\nFix: %s\n\nSource: %s\n",
		r.ID, r.Doc.Title, r.Severity, r.Doc.Text, r.Doc.Fix, r.Doc.Source); err != nil {
		return err
	}
	if r.Doc.Unobservable != "" {
		_, err := fmt.Fprintf(w, "\nNot shown by lbcheck conform: %s\n", r.Doc.Unobservable)
		return err
	}
	return nil
}
