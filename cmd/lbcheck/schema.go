package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/lint/config"
	"github.com/lbcheck/lbcheck/schema"
)

func newSchemaCmd() *cobra.Command {
	var settings bool
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the CUE schema that input files are validated against",
		Long: `Print the CUE schema that lbcheck validates every input file against.

The schema defines #Deployment (the top level of a file: loadBalancers, vms
and guests) and one closed definition per object (#LoadBalancer, #Rule,
#Probe, #Guest, ...), with Azure's ranges and defaults. Files that do not
match it are reported by 'lbcheck lint' as LB0001. Use it to validate files
with the cue tool, or to look up a field's allowed values and default.

With --config it prints the schema of .lbcheck.yaml, lint's settings file
(#Config): include and exclude globs, rules turned off or re-graded,
failOn, formats, and suppressions by rule and object path with a reason
and an optional expiry date.`,
		Example: `  # Save the schema and validate a deployment with the cue tool
  lbcheck schema > lbcheck.cue
  cue vet -c -d '#Deployment' lbcheck.cue deploy.yaml

  # Look up the allowed values of a load-balancing rule's fields
  lbcheck schema | grep -A 14 '^#Rule:'

  # The schema of lint's settings file
  lbcheck schema --config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src := schema.SchemaSource()
			if settings {
				src = config.Schema
			}
			_, err := io.WriteString(cmd.OutOrStdout(), src)
			return err
		},
	}
	cmd.Flags().BoolVar(&settings, "config", false, "print the schema of lint's settings file, .lbcheck.yaml, instead")
	return cmd
}
