package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/schema"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the CUE schema that input files are validated against",
		Long: `Print the CUE schema that lbcheck validates every input file against.

The schema defines #Deployment (the top level of a file: loadBalancers, vms
and guests) and one closed definition per object (#LoadBalancer, #Rule,
#Probe, #Guest, ...), with Azure's ranges and defaults. Files that do not
match it are reported by 'lbcheck lint' as LB0001. Use it to validate files
with the cue tool, or to look up a field's allowed values and default.`,
		Example: `  # Save the schema and validate a deployment with the cue tool
  lbcheck schema > lbcheck.cue
  cue vet -c -d '#Deployment' lbcheck.cue deploy.yaml

  # Look up the allowed values of a load-balancing rule's fields
  lbcheck schema | grep -A 14 '^#Rule:'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), schema.SchemaSource())
			return err
		},
	}
}
