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

// catalogue is every rule lbcheck can report, in ID order.
func catalogue() []*lint.Rule { return rules.Catalogue() }

func newRulesCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules [ID]",
		Short: "List the lint rules, or explain one",
		Long: `Without an argument, rules lists every rule lbcheck lint can report: ID,
severity and title. With a rule ID it explains that rule: what goes wrong and
why, how to fix it, and the documentation it is based on.

Rule ranges: LB0xxx lbcheck itself (parsing, schema, suppressions), LB1xxx
rule sets Azure rejects, LB2xxx rule sets that deploy but fail, LB3xxx guest
OS configuration, LB9xxx dubious but legal.

--format json writes the catalogue as a versioned JSON document (apiVersion
lbcheck.io/v1alpha1, kind RuleCatalogue); --format markdown as the Markdown
of lint/RULES.md, without its examples.`,
		Example: `  lbcheck rules
  lbcheck rules LB3002
  lbcheck rules --format json | jq -r '.rules[] | select(.severity == "error") | .id'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, w := catalogue(), cmd.OutOrStdout()
			if len(args) == 1 {
				i := slices.IndexFunc(all, func(r *lint.Rule) bool { return strings.EqualFold(r.ID, args[0]) })
				if i < 0 {
					return usagef("no rule %q; run 'lbcheck rules' to list them", args[0])
				}
				all = all[i : i+1]
			}
			switch format {
			case "text":
				if len(args) == 1 {
					return explainRule(w, all[0])
				}
				return listRules(w, all)
			case "json":
				return lint.WriteRulesJSON(w, all)
			case "markdown":
				return lint.WriteRulesMarkdown(w, all, nil, "Written by `lbcheck rules --format markdown`.")
			}
			return usagef("unknown --format %q (want text, json or markdown)", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text, json or markdown")
	return cmd
}

func listRules(w io.Writer, all []*lint.Rule) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
	for _, r := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Doc.Title)
	}
	return tw.Flush()
}

func explainRule(w io.Writer, r *lint.Rule) error {
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
