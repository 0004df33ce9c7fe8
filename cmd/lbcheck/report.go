package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/reports"
)

// reportOptions are the parsed flags and argument of `lbcheck report`.
type reportOptions struct {
	input  string
	output string
	junit  string
}

func newReportCmd() *cobra.Command {
	opts := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report FILE.json",
		Short: "Render a saved conformance report as a self-contained HTML page",
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
written through a symbolic link: a link at an output path is an error.`,
		Example: `  # write lbcheck-report/report.html from a saved run
  lbcheck report lbcheck-report/report.json

  # render to a chosen file and also write JUnit XML for CI
  lbcheck report run.json -o conformance.html --junit conformance.xml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("report takes one conformance report FILE.json, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.input = args[0]
			return runReport(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "", "write the HTML page to `FILE` (default: FILE.json with .html; - for standard output)")
	f.StringVar(&opts.junit, "junit", "", "also write the report as JUnit XML to `FILE`")
	return cmd
}

func runReport(stdout, stderr io.Writer, o *reportOptions) error {
	r, err := reports.ReadConformance(o.input)
	if err != nil {
		return err
	}
	pcaps := reports.PcapsFromDir(filepath.Dir(o.input))
	warnPcaps := func(name string) ([]byte, error) {
		data, err := pcaps(name)
		if err != nil {
			fmt.Fprintf(stderr, "lbcheck: warning: %s: capture not embedded: %s\n", safetext.Line(o.input), safetext.Line(err.Error()))
		}
		return data, err
	}
	var page bytes.Buffer
	if err := reports.WriteConformanceHTML(&page, r, warnPcaps); err != nil {
		return fmt.Errorf("rendering %s: %w", o.input, err)
	}
	out := o.output
	if out == "" {
		out = strings.TrimSuffix(o.input, filepath.Ext(o.input)) + ".html"
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

// writeOutput writes data to the file (never through a link:
// safefile.Write), or to stdout for "-".
func writeOutput(stdout io.Writer, path string, data []byte) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	return safefile.WriteBytes(path, data)
}
