package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/baseline"
	"github.com/lbcheck/lbcheck/lint/config"
	"github.com/lbcheck/lbcheck/lint/format"
	"github.com/lbcheck/lbcheck/lint/rules"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// lintOptions are the parsed flags and arguments of `lbcheck lint`.
type lintOptions struct {
	paths          []string
	formats        []string // NAME, or NAME=FILE
	output         string
	failOn         string
	showSuppressed bool
	configFile     string // .lbcheck.yaml to use instead of the one found
	wholeConfig    bool   // the paths are the settings' own (unused suppressions are findings)
	baseline       string // leave out the findings this baseline file accepts
	writeBaseline  string // write the run's findings as a baseline file
	input          inputOptions
}

func newLintCmd() *cobra.Command {
	opts := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check load balancer and guest declarations for Floating IP / DSR mistakes",
		Long: `Lint loads the YAML, JSON, CUE, Bicep and Terraform files named
(directories are searched recursively, except .git, node_modules,
.terraform and vendor; default "."), validates them against the lbcheck
schema, and runs every rule in the catalogue ('lbcheck rules' lists them). A YAML or JSON file
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

Terraform configurations (.tf, .tf.json) are read without Terraform or a
plan: each directory of them is one root module (terraform.tfvars and
*.auto.tfvars apply; variables, locals, count, for_each, dynamic blocks,
conditionals and local modules are evaluated, resource IDs stand for the
Azure IDs they would be; --var-file and --var set variables as terraform
plan does, for every root module read). Data sources and registry modules
are not read: what depends on them is unknown, and reported as LB0010 where
a rule needs it; each call of a module that is not local is an LB0010 of
its own, since the resources it declares are not checked. A directory
another one calls as a local module is read through that call only. Each
root module is linted as a deployment of its own (a module's examples may
declare the same names), with the YAML, JSON and CUE files given beside.

Inputs are bounded: only regular files of at most 64 MiB are read (a FIFO or
device is an error naming it), YAML aliases may expand to 64 MiB, and a CUE
file is evaluated first in a child process limited to 10 s, 1 GiB and
1,000,000 values, a Terraform root module likewise to 10 s, 1 GiB and
250,000 values; ARM templates to 1,000,000 evaluation steps and 32 MiB of
values.

The path - reads standard input (named stdin.json or stdin.yaml in findings,
by its first character). Each --format is written to standard output, or,
as FORMAT=FILE, to FILE; --output names the file of the one without =FILE.

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

  # upload results to code scanning, and show them in the log too
  lbcheck lint --format text --format sarif=lbcheck.sarif deploy/

  # lint a template piped from another tool
  az group export -g rg | lbcheck lint --input-format arm -

  # annotate a pull request from a GitHub Actions step
  lbcheck lint --format github deploy/

  # an ARM template with its parameters, and a Windows guest
  lbcheck lint --parameters azuredeploy.parameters.json azuredeploy.json \
    sqlvm0-netipinterface.json sqlvm0-netipaddress.json

  # accept today's findings, then fail only on new ones
  lbcheck lint --write-baseline .lbcheck-baseline.json deploy/
  lbcheck lint --baseline .lbcheck-baseline.json deploy/

  # a Bicep file, compiled by the Bicep CLI on PATH
  lbcheck lint --parameters main.parameters.json main.bicep

  # a Terraform configuration with the variables of its production plan
  lbcheck lint --var-file prod.tfvars --var 'location=westeurope' infra/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := lintConfig(opts.configFile)
			if err != nil {
				return err
			}
			opts.paths = args
			if cfg != nil {
				if opts.paths, err = applyConfig(cmd, cfg, opts); err != nil {
					return err
				}
			}
			if len(opts.paths) == 0 {
				opts.paths = []string{"."}
			}
			opts.input.stdin = cmd.InOrStdin()
			return runLint(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, cfg)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.formats, "format", nil, "output `FORMAT` ("+strings.Join(format.Names(), ", ")+"; default text), or FORMAT=FILE to write it to FILE; repeat for several outputs")
	f.StringVarP(&opts.output, "output", "o", "", "write the --format without =FILE to `FILE` instead of standard output")
	f.StringVar(&opts.failOn, "fail-on", "error", "lowest severity that makes lint exit 1: error, warning or never")
	f.BoolVar(&opts.showSuppressed, "show-suppressed", false, "also print findings hidden by lbcheck:ignore, marked as suppressed")
	f.BoolVar(&opts.input.skipNamed, "skip-non-deployments", false, "also skip named files that are clearly no deployment, as directories' files are (for hooks that pass every changed file)")
	f.StringVar(&opts.configFile, "config-file", "", "settings `FILE` (default: .lbcheck.yaml in the current directory or the nearest one above; lbcheck schema --config prints its schema)")
	f.StringVar(&opts.baseline, "baseline", "", "report only findings that baseline `FILE` (from --write-baseline) does not hold")
	f.StringVar(&opts.writeBaseline, "write-baseline", "", "write every finding not suppressed to baseline `FILE`, to accept them for later runs")
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

// output is one rendering of the findings: a formatter and where it goes
// (file "" is standard output).
type output struct {
	flag string // what named the file, for errors
	f    format.Formatter
	file string
}

// parseOutputs resolves --format (each NAME or NAME=FILE) and --output,
// which names the file of the one --format without =FILE.
func parseOutputs(formats []string, file string) ([]output, error) {
	if len(formats) == 0 {
		formats = []string{"text"}
	}
	var outs []output
	bare := 0
	for _, spec := range formats {
		name, dst, hasFile := strings.Cut(spec, "=")
		f, ok := format.Lookup(name)
		switch {
		case !ok:
			return nil, usagef("unknown --format %q (want one of %s, or FORMAT=FILE)", name, strings.Join(format.Names(), ", "))
		case hasFile && dst == "":
			return nil, usagef("--format %s=: the file name is missing", name)
		}
		flag := "--format " + spec
		if !hasFile {
			bare++
			dst, flag = file, "--output"
		}
		outs = append(outs, output{flag, f, dst})
	}
	if bare > 1 {
		return nil, usagef("%d --format values without =FILE: only one output can go to standard output (or --output); write the others to files, e.g. --format sarif=lbcheck.sarif", bare)
	}
	if file != "" && bare == 0 {
		return nil, usagef("--output %s: every --format names its own file; drop --output or one =FILE", file)
	}
	return outs, nil
}

// lintConfig loads the settings file named by --config-file, or the
// .lbcheck.yaml found from the current directory upward; nil when there
// is none.
func lintConfig(file string) (*config.Config, error) {
	if file == "" {
		if file = config.Find("."); file == "" {
			return nil, nil
		}
	}
	c, err := config.Load(file)
	if err != nil {
		return nil, usagef("settings file: %v", err)
	}
	if err := c.CheckRules(catalogue()); err != nil {
		return nil, usagef("settings file: %v", err)
	}
	return c, nil
}

// applyConfig takes from the settings what the flags leave unset (fail-on,
// formats), sets up its excludes and returns the paths to lint: the
// arguments, else the settings' include paths.
func applyConfig(cmd *cobra.Command, c *config.Config, o *lintOptions) ([]string, error) {
	if c.FailOn != "" && !cmd.Flags().Changed("fail-on") {
		o.failOn = c.FailOn
	}
	if len(c.Formats) > 0 && !cmd.Flags().Changed("format") {
		o.formats = c.Formats
	}
	if len(c.Exclude) > 0 {
		o.input.exclude = c.Excluded
	}
	if len(o.paths) > 0 {
		return o.paths, nil
	}
	paths, err := c.Paths()
	if err != nil {
		return nil, usagef("settings file: %v", err)
	}
	o.wholeConfig = true
	return paths, nil
}

func runLint(stdout, stderr io.Writer, o *lintOptions, cfg *config.Config) error {
	outputs, err := parseOutputs(o.formats, o.output)
	if err != nil {
		return err
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
	for _, s := range loaded.Unreadable {
		fmt.Fprintf(stderr, "lbcheck: %s\n", safetext.Line(s.Why))
	}
	sources := loaded.Sources
	units, shared := make([]lint.Unit, len(loaded.Units)), map[string]bool{}
	var files []string
	for i, u := range loaded.Units {
		units[i] = lint.Unit{Deployment: u.Deployment, Issues: u.Issues}
		files = append(files, lint.Files(u.Deployment, u.Issues)...)
	}
	slices.Sort(files)
	files = slices.Compact(files)
	for _, f := range loaded.Shared {
		shared[filepath.Clean(f)] = true
	}
	findings := lint.RunUnits(units, shared, rules.All, sources)
	if cfg != nil {
		findings = cfg.Apply(findings, time.Now(), o.wholeConfig)
	}
	if o.writeBaseline != "" {
		if err := safefile.Write(o.writeBaseline, baseline.Of(findings).Write); err != nil {
			return fmt.Errorf("--write-baseline: %w", err)
		}
	}
	if o.baseline != "" {
		b, err := baseline.Read(o.baseline)
		if err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
		var known int
		if findings, known = b.Filter(findings); known > 0 {
			fmt.Fprintf(stderr, "lbcheck: %d findings accepted by baseline %s not shown\n", known, safetext.Line(o.baseline))
		}
	}
	shown := findings
	if !o.showSuppressed {
		shown = lint.Unsuppressed(findings)
	}
	var coverage lint.Coverage
	for _, u := range loaded.Units {
		c := lint.CoverageOf(u.Deployment, findings, len(u.NotDeployed))
		coverage.LoadBalancers += c.LoadBalancers
		coverage.Partly += c.Partly
		coverage.NotDeployed += c.NotDeployed
	}
	exit := exitOK
	switch {
	case len(loaded.Unreadable) > 0:
		exit = exitUsage
	case failing && lint.AtLeast(findings, threshold):
		exit = exitFindings
	}
	root, _ := os.Getwd()
	report := &format.Report{Findings: shown, Rules: catalogue(), Files: files, Sources: sources, Version: version(), Coverage: &coverage,
		Root: root, ExitCode: &exit, Fails: func(f lint.Finding) bool { return failing && f.Severity >= threshold },
		Skipped: reportSkipped(loaded.Skipped), Unreadable: reportSkipped(loaded.Unreadable)}
	for _, out := range outputs {
		if err := writeReport(stdout, out, report); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "lbcheck: %s\n", report.Summary())
	switch exit {
	case exitUsage:
		return fmt.Errorf("%d files could not be read (above); the others were linted", len(loaded.Unreadable))
	case exitFindings:
		return errFindings
	}
	return nil
}

// reportSkipped is the files the importer left out, for the report.
func reportSkipped(ss []importer.Skipped) []format.Skipped {
	var out []format.Skipped
	for _, s := range ss {
		out = append(out, format.Skipped{File: s.File, Why: s.Why})
	}
	return out
}

// writeReport renders the report to stdout, or to the output's file (never
// through a link: safefile.Write).
func writeReport(stdout io.Writer, out output, r *format.Report) error {
	if out.file == "" {
		return out.f.Format(stdout, r)
	}
	if err := safefile.Write(out.file, func(w io.Writer) error { return out.f.Format(w, r) }); err != nil {
		return fmt.Errorf("%s: %w", out.flag, err)
	}
	return nil
}
