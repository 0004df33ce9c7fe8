package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/format"
	"github.com/lbcheck/lbcheck/lint/rules"
)

// lintOptions are the parsed flags and arguments of `lbcheck lint`.
type lintOptions struct {
	paths          []string
	format         string
	output         string
	failOn         string
	showSuppressed bool
	input          inputOptions
}

func newLintCmd() *cobra.Command {
	opts := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check load balancer and guest declarations for Floating IP / DSR mistakes",
		Long: `Lint loads the YAML, JSON, CUE and Bicep files named (directories are
searched recursively, except .git, node_modules, .terraform and vendor;
default "."), validates them against the lbcheck schema, and runs every
rule in the catalogue ('lbcheck rules' lists them). A YAML or JSON file
found in a directory that is clearly no deployment (a Kubernetes manifest,
a GitHub Actions workflow, a Compose file, any file whose top-level keys are
none of loadBalancers, vms and guests, nor an ARM, az, Terraform or Windows
input) is skipped with one line on stderr; a file named on the command line
is always linted.
Each finding names the file:line:col it is about and, for guest
configuration, the command that fixes it.

A finding can be suppressed with a comment on the line above it, or at the end
of its line, that gives a reason:

    # lbcheck:ignore LB2003,LB3* probe is handled by the NVA vendor

(CUE, Bicep and JSON files use // instead of #: ARM templates accept
comments.) A directive without a reason is reported as LB0003; one that
suppresses nothing as LB0002.

Lint also reads what you already have, detected from each file's content
(--input-format forces one format): ARM templates (what Bicep compiles to;
--parameters gives a deploymentParameters file; expressions, copy loops,
conditions, nested deployments and linked templates next to the file are
evaluated, and a parameter without a value stands in as a placeholder),
'az network lb show' / 'az network nic list' / 'az resource show' JSON,
Terraform plans ('terraform show -json plan.out'), and Windows
'Get-NetIPInterface | ConvertTo-Json' and 'Get-NetIPAddress | ConvertTo-Json'
output (the VM name comes from --vm or the file name). A rule that needs a
value only known at deployment skips the object; each skipped object is
reported once as LB0010. The summary on stderr counts the load balancers
checked, those checked only partly and those not deployed (a false
condition).

Bicep files (.bicep) are compiled with 'bicep build --stdout FILE', or
'az bicep build --file FILE --stdout' when only az is on PATH, and linted as
the ARM template they compile to (--parameters applies). Without either,
lint exits 2: run 'bicep build main.bicep' and lint main.json instead. In a
directory, a main.bicep next to a main.json is skipped, since that JSON is
what 'bicep build' wrote from it. Bicep has no source map, so findings point
at the .bicep line found by structure (the declaration, then each property
and array item): close, but approximate. .bicepparam files are not read
yet: turn them into a parameters file with 'bicep build-params'.

Inputs are bounded: only regular files of at most 64 MiB are read (a FIFO or
device is an error naming it), YAML aliases may expand to 64 MiB, and a CUE
file is evaluated first in a child process limited to 10 s, 1 GiB and
1,000,000 values; ARM templates to 1,000,000 evaluation steps and 32 MiB of
values.

A file that cannot be parsed (a syntax error) is a finding of its own, LB0000
at the position the parser gives; the other files are still linted and the
output is still written.

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 on a usage
error or unreadable input (a missing file, a Bicep file that cannot be
compiled, an input over one of the limits).`,
		Example: `  # lint every file under the current directory
  lbcheck lint

  # lint two files, fail the build on warnings too
  lbcheck lint --fail-on warning lb.yaml guests.yaml

  # upload results to code scanning
  lbcheck lint --format sarif --output lbcheck.sarif deploy/

  # annotate a pull request from a GitHub Actions step
  lbcheck lint --format github deploy/

  # an ARM template with its parameters, and a Windows guest
  lbcheck lint --parameters azuredeploy.parameters.json azuredeploy.json \
    sqlvm0-netipinterface.json sqlvm0-netipaddress.json

  # a Bicep file, compiled by the Bicep CLI on PATH
  lbcheck lint --parameters main.parameters.json main.bicep`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			if len(opts.paths) == 0 {
				opts.paths = []string{"."}
			}
			return runLint(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.format, "format", "text", "output format: "+strings.Join(format.Names(), ", "))
	f.StringVarP(&opts.output, "output", "o", "", "write the findings to `FILE` instead of standard output")
	f.StringVar(&opts.failOn, "fail-on", "error", "lowest severity that makes lint exit 1: error, warning or never")
	f.BoolVar(&opts.showSuppressed, "show-suppressed", false, "also print findings hidden by lbcheck:ignore, marked as suppressed")
	addInputFlags(f, &opts.input)
	return cmd
}

// parseFailOn returns the threshold for --fail-on, and false for "never".
func parseFailOn(s string) (lint.Severity, bool, error) {
	switch s {
	case "error":
		return lint.Error, true, nil
	case "warning":
		return lint.Warning, true, nil
	case "never":
		return 0, false, nil
	}
	return 0, false, usagef("invalid --fail-on %q (want error, warning or never)", s)
}

func runLint(stdout, stderr io.Writer, o *lintOptions) error {
	formatter, ok := format.Lookup(o.format)
	if !ok {
		return usagef("unknown --format %q (want one of %s)", o.format, strings.Join(format.Names(), ", "))
	}
	threshold, failing, err := parseFailOn(o.failOn)
	if err != nil {
		return err
	}
	loaded, err := loadInputs(o.paths, o.input)
	if err != nil {
		return err
	}
	for _, s := range loaded.Skipped {
		fmt.Fprintf(stderr, "lbcheck: skipped %s: %s, not a deployment (name the file to lint it anyway)\n", safetext.Line(s.File), s.Why)
	}
	d, issues := loaded.Deployment, loaded.Issues
	files, sources := lint.Files(d, issues), loaded.Sources
	findings := lint.Run(d, issues, rules.All, sources)
	shown := findings
	if !o.showSuppressed {
		shown = lint.Unsuppressed(findings)
	}
	coverage := lint.CoverageOf(d, findings, len(loaded.NotDeployed))
	report := &format.Report{Findings: shown, Rules: catalogue(), Files: files, Sources: sources, Version: version(), Coverage: &coverage,
		Fails: func(f lint.Finding) bool { return failing && f.Severity >= threshold }}
	if err := writeReport(stdout, o.output, formatter, report); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "lbcheck: %s\n", report.Summary())
	if failing && lint.AtLeast(findings, threshold) {
		return errFindings
	}
	return nil
}

// writeReport renders the report to stdout, or to the file named by output
// (never through a link: safefile.Write).
func writeReport(stdout io.Writer, output string, f format.Formatter, r *format.Report) error {
	if output == "" {
		return f.Format(stdout, r)
	}
	if err := safefile.Write(output, func(w io.Writer) error { return f.Format(w, r) }); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}
