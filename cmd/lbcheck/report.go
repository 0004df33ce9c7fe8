package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/reports"
)

// reportOptions are the parsed flags and arguments of `lbcheck report`.
type reportOptions struct {
	inputs []string
	output string
	junit  string
	format string
}

// Comparison formats and the file name each is written to by default.
var comparisonFormats = map[string]struct {
	file  string
	write func(io.Writer, *reports.Comparison) error
}{
	"html":     {"comparison.html", reports.WriteComparisonHTML},
	"markdown": {"comparison.md", reports.WriteComparisonMarkdown},
}

func newReportCmd() *cobra.Command {
	opts := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report FILE.json [FILE.json...]",
		Short: "Render a saved conformance report as a self-contained HTML page, or compare several",
		Long: `Report re-renders a conformance report that 'lbcheck conform --json' or
'--report' saved: one HTML file with no external references (it opens offline
and can be attached to a CI run) showing the summary per profile, a status
filter, and per case its documented expectation and source, the expected and
observed headers field by field, a packet ladder of the flow, and its capture
as a download.

Captures are read from the pcap/ directory next to the JSON file (as
'conform --report DIR' lays them out), regular files only. A capture that is
missing, elsewhere, a link, over 2 MiB, or would take the page's captures
over 16 MiB is named on the page instead of embedded.

The page is written next to the JSON file with the extension .html unless
--output says otherwise; '-o -' writes it to standard output. No file is
written through a symbolic link: a link at an output path is an error.

Given two or more reports, report compares the implementations, as Gateway
API's implementation tables do: a column per report (its implementation's
name and version, and its date when two share both; the same run twice is
an error), a row per feature and a row per case (matched by name), each cell
the status there: a case passed, failed, was skipped, not supported, or is
absent from that report; a feature passed (every case needing it passed),
failed (one failed), is partial (some passed, the others did not run), not
supported (not declared) or untested (none of its cases ran). The comparison
is written as a self-contained HTML page (comparison.html next to the first
report), or with --format markdown as GitHub tables for a README
(comparison.md); --output and '-o -' choose as for one report. --junit
takes one report.`,
		Example: `  # write lbcheck-report/report.html from a saved run
  lbcheck report lbcheck-report/report.json

  # render to a chosen file and also write JUnit XML for CI
  lbcheck report run.json -o conformance.html --junit conformance.xml

  # compare two implementations: ref/comparison.html
  lbcheck report ref/report.json acme/report.json

  # the comparison as Markdown tables, on standard output
  lbcheck report ref/report.json acme/report.json --format markdown -o -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("report takes one conformance report FILE.json, or several to compare, got 0 arguments")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.inputs = args
			if _, ok := comparisonFormats[opts.format]; !ok {
				return usagef("unknown --format %q (want html or markdown)", opts.format)
			}
			if len(args) == 1 {
				if opts.format != "html" {
					return usagef("--format %s renders a comparison: give two or more reports FILE.json FILE.json ...", opts.format)
				}
				return runReport(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts)
			}
			if opts.junit != "" {
				return usagef("--junit writes the JUnit XML of one report, got %d: run 'lbcheck report FILE.json --junit FILE' for each", len(args))
			}
			return runCompare(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "", "write the page, or the Markdown, to `FILE` (default: FILE.json with .html; comparison.html or comparison.md next to the first of several; - for standard output)")
	f.StringVar(&opts.junit, "junit", "", "also write the report as JUnit XML to `FILE` (one report only)")
	f.StringVar(&opts.format, "format", "html", "`FORMAT` of a comparison of several reports: html or markdown")
	return cmd
}

func runReport(stdout, stderr io.Writer, o *reportOptions) error {
	input := o.inputs[0]
	r, err := reports.ReadConformance(input)
	if err != nil {
		return err
	}
	pcaps := reports.PcapsFromDir(filepath.Dir(input))
	warnPcaps := func(name string) ([]byte, error) {
		data, err := pcaps(name)
		if err != nil {
			fmt.Fprintf(stderr, "lbcheck: warning: %s: capture not embedded: %s\n", safetext.Line(input), safetext.Line(err.Error()))
		}
		return data, err
	}
	var page bytes.Buffer
	if err := reports.WriteConformanceHTML(&page, r, warnPcaps); err != nil {
		return fmt.Errorf("rendering %s: %w", input, err)
	}
	out := o.output
	if out == "" {
		out = strings.TrimSuffix(input, filepath.Ext(input)) + ".html"
	}
	if err := writeOutput(stdout, out, page.Bytes()); err != nil {
		return err
	}
	if o.junit != "" {
		var x bytes.Buffer
		if err := reports.WriteJUnit(&x, r); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
		if err := writeOutput(stdout, o.junit, x.Bytes()); err != nil {
			return err
		}
	}
	if out != "-" {
		profiles, _ := reports.Summarize(r.Cases)
		total := reports.Sum(profiles)
		fmt.Fprintf(stderr, "lbcheck: wrote %s (%d cases: %s)\n", safetext.Line(out), total.Total(), total)
	}
	return nil
}

// runCompare writes the comparison of the reports o.inputs names.
func runCompare(stdout, stderr io.Writer, o *reportOptions) error {
	reps := make([]*reports.ConformanceReport, len(o.inputs))
	for i, in := range o.inputs {
		r, err := reports.ReadConformance(in)
		if err != nil {
			return err
		}
		reps[i] = r
	}
	cmp, err := reports.Compare(reps)
	var same *reports.SameRunError
	switch {
	case errors.As(err, &same):
		return fmt.Errorf("%s and %s are the same run of %s (%s): give each run once", o.inputs[same.First], o.inputs[same.Second], same.Label, same.Date.UTC().Format(time.RFC3339))
	case err != nil:
		return fmt.Errorf("comparing %s: %w", strings.Join(o.inputs, " "), err)
	}
	format := comparisonFormats[o.format]
	var page bytes.Buffer
	if err := format.write(&page, cmp); err != nil {
		return fmt.Errorf("rendering the comparison: %w", err)
	}
	out := o.output
	if out == "" {
		out = filepath.Join(filepath.Dir(o.inputs[0]), format.file)
	}
	if err := writeOutput(stdout, out, page.Bytes()); err != nil {
		return err
	}
	if out != "-" {
		fmt.Fprintf(stderr, "lbcheck: wrote %s (%d implementations, %d features, %d cases)\n", safetext.Line(out), len(cmp.Columns), len(cmp.Features), len(cmp.Cases))
	}
	return nil
}

// writeOutput writes data to the file (never through a link:
// safefile.Write), or to stdout for "-".
func writeOutput(stdout io.Writer, path string, data []byte) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	return safefile.WriteBytes(path, data)
}
