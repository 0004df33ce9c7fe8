package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/cases"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// conformOptions are the parsed flags of `lbcheck conform`.
type conformOptions struct {
	targets []string
	configs []string
	run     string
	profile string
	report  string
	json    string
	junit   string
	list    bool
	verbose bool
	// allFeatures runs every case as if the target declared every
	// extended feature.
	allFeatures bool
	timeout     time.Duration
	// timeouts are --timeout NAME=DURATION, applied over the manifest's.
	timeouts []string
	parallel int
	input    inputOptions // how --config files are read, as lint reads them
}

func newConformCmd() *cobra.Command {
	o := &conformOptions{}
	cmd := &cobra.Command{
		Use:   "conform",
		Short: "Prove Floating IP / DSR behaviour with real packets in network namespaces",
		Long: `Conform builds client, fabric, mux, host and VM network namespaces for each
deployment, starts the target's mux and host roles in them (the reference
forwarder with --target ref, or any implementation described by a target
manifest), sends crafted packets and real connections, and checks what the
client, the mux and each VM NIC observe against Azure's documented semantics.

Without --config the built-in suite runs: core cases (address mapping with
Floating IP on and off, DSR replies, guest host models) and extended cases
(distribution, stickiness, health probes), each on a small embedded
deployment. With --config the generic cases run on your deployment instead,
read like lint's inputs (every format lint reads; --input-format,
--parameters, --vm, --var-file and --var apply to each --config): for every load-balancing rule
and inbound NAT rule, flows to the frontend must reach every pool member,
each with the destination its Floating IP mode prescribes, and every
member's answer must come from the frontend, bypassing the mux; every VM
must still reach its gateway; every outbound connection a guest declares
(guests[].outbound) is opened for real and must work where Azure translates
it (from a DIP with outbound SNAT) and fails where Azure does not (from a
frontend IP); every member must accept its health probes. What the files do
not say about a guest is assumed as Azure documents it (the frontend IP on
lo, services on every delivered and probed port) and listed in the report.
The report gives each member's verdict per
rule, and links each data-plane lint finding on the deployment to the cases
that failed on what it names.

Conform needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for namespaces,
CAP_NET_RAW for captures). Every namespace and process it creates is removed
on success, failure and Ctrl-C; leftovers of a killed run are collected by
the next run.

Each case needs features (lbcheck conform --list shows them). Core features
are what every Floating IP load balancer does; extended ones (health probes,
NAT rules, HA ports, idle timeouts, ...) an implementation declares in its
manifest (features: [...]). A case needing an undeclared one is reported
"not supported" and not run, and its profile's result is "partial";
--all-features runs it anyway. The reference forwarder declares them all.

With several --target flags each implementation runs the same selection in
turn; --report DIR then holds one report per target (DIR/1-ref/, ...) and
comparison.html, a table of implementations by feature and case (without
--report the table is printed as Markdown).

Every wait is bounded by a timeout (--timeout NAME=DURATION, or the
manifest's timeouts:) and ends as soon as what it waits for happens; the
defaults are what a conformant implementation meets, and the report records
the values used.

Exit status: 0 every case passed, 1 a case failed, 2 usage or setup error,
or an interrupted run (its report says "incomplete" and names the cases that
never ran).`,
		Example: `  # the whole suite against the reference forwarder
  sudo lbcheck conform

  # only the core cases about Floating IP, with an HTML report and captures
  sudo lbcheck conform --profile core --run FloatingIP --report out/

  # your own implementation, JUnit for CI
  sudo lbcheck conform --target my-lb.yaml --junit conformance.xml

  # also the cases needing features my-lb.yaml does not declare
  sudo lbcheck conform --target my-lb.yaml --all-features

  # two implementations side by side: out/1-ref/, out/2-my-lb/ and
  # out/comparison.html (without --report the comparison is printed as
  # Markdown)
  sudo lbcheck conform --target ref --target my-lb.yaml --report out/

  # does my deployment work? (generic cases for every rule; a directory's
  # files form one deployment, each --config is a topology of its own)
  sudo lbcheck conform --config deploy/
  sudo lbcheck conform --config site-a.yaml --config site-b.yaml

  # the ARM template lint reads, with its parameters
  sudo lbcheck conform --config azuredeploy.json --parameters azuredeploy.parameters.json

  # what would run
  lbcheck conform --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConform(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.targets, "target", []string{target.RefName}, "implementation under test: ref, or a target manifest `FILE` (repeatable: each is run, then compared)")
	f.StringArrayVar(&o.configs, "config", nil, "run the generic cases on this deployment `FILE` or directory (repeatable: one topology each)")
	f.StringVar(&o.run, "run", "", "run only cases whose name matches `REGEX`")
	f.StringVar(&o.profile, "profile", "", "run only the core or the extended profile")
	f.StringVar(&o.report, "report", "", "write report.json, report.html and per-case captures (pcap/) to `DIR`")
	f.StringVar(&o.json, "json", "", "write the JSON report to `FILE`")
	f.StringVar(&o.junit, "junit", "", "write JUnit XML to `FILE`")
	f.BoolVar(&o.list, "list", false, "list the cases that would run, with the features each needs, and exit")
	f.BoolVar(&o.allFeatures, "all-features", false, "run the cases needing extended features the target does not declare")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show what each case logged (which VM answered, flow counts)")
	f.DurationVar(&o.timeout, "case-timeout", suite.DefaultCaseTimeout, "fail a case that runs longer than this")
	f.IntVar(&o.parallel, "parallel", suite.DefaultParallel, "run the cases of up to `N` deployments at once (1: one after the other)")
	f.StringArrayVar(&o.timeouts, "timeout", nil, "bound a wait, `NAME=DURATION` (repeatable): ready, stop, deliver, quiet or probe (defaults: the manifest's, else "+defaultTimeouts()+")")
	addInputFlags(f, &o.input)
	return cmd
}

func runConform(ctx context.Context, stdout, stderr io.Writer, o *conformOptions) error {
	var sel *regexp.Regexp
	if o.run != "" {
		var err error
		if sel, err = regexp.Compile(o.run); err != nil {
			return usagef("--run: %v", err)
		}
	}
	var flagTimeouts target.Timeouts // checked here, applied over the manifest's below
	for _, arg := range o.timeouts {
		if err := flagTimeouts.SetFlag(arg); err != nil {
			return usagef("%v", err)
		}
	}
	if len(o.targets) > 1 && (o.json != "" || o.junit != "") {
		return usagef("--json and --junit write one target's report; with several targets, --report DIR writes each one's and their comparison")
	}
	if o.parallel < 1 {
		return usagef("--parallel %d: want 1 or more", o.parallel)
	}
	if o.profile != "" && o.profile != suite.Core && o.profile != suite.Extended {
		return usagef("--profile %q: want %s or %s", o.profile, suite.Core, suite.Extended)
	}
	users, findings, err := loadUserDeployments(o.configs, o.input)
	if err != nil {
		return err
	}
	if o.list {
		return listCases(stdout, sel, o.profile, users)
	}
	if os.Geteuid() != 0 {
		return errors.New("conform builds network namespaces and captures packets: run it as root (it needs CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_NET_RAW), e.g. sudo lbcheck conform")
	}
	if err := topo.Preflight(); err != nil {
		return explainSetup(err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	run := conformRun{o: o, sel: sel, users: users, findings: findings, timeouts: flagTimeouts, stdout: stdout, stderr: stderr}
	if len(o.targets) == 1 {
		_, err := run.target(ctx, o.targets[0], o.report)
		return err
	}
	var reps []*reports.ConformanceReport
	var failed bool
	for i, arg := range o.targets {
		dir := ""
		if o.report != "" {
			dir = filepath.Join(o.report, fmt.Sprintf("%d-%s", i+1, targetDirName(arg)))
		}
		fmt.Fprintf(stderr, "== target %s\n", safetext.Line(arg))
		rep, err := run.target(ctx, arg, dir)
		switch {
		case errors.Is(err, errFindings):
			failed = true
		case err != nil:
			return fmt.Errorf("target %s: %w", arg, err)
		}
		reps = append(reps, rep)
	}
	cmp, err := reports.Compare(reps)
	if err != nil {
		return err
	}
	if o.report != "" {
		out := filepath.Join(o.report, "comparison.html")
		if err := safefile.Write(out, func(w io.Writer) error { return reports.WriteComparisonHTML(w, cmp) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "comparison: %s\n", safetext.Line(out))
	} else if err := reports.WriteComparisonMarkdown(stdout, cmp); err != nil {
		return err
	}
	if failed {
		return errFindings
	}
	return nil
}

// targetDirName is the directory of one target's report under --report
// when several run: "ref", or the manifest's file name without extension.
func targetDirName(arg string) string {
	if arg == target.RefName {
		return arg
	}
	return safefile.Name(strings.TrimSuffix(filepath.Base(arg), filepath.Ext(arg)))
}

// conformRun is what runs of one target share: the parsed flags and the
// user deployments.
type conformRun struct {
	o              *conformOptions
	sel            *regexp.Regexp
	users          []suite.UserDeployment
	findings       map[string][]lint.Finding // data-plane lint findings per user deployment
	timeouts       target.Timeouts           // from --timeout
	stdout, stderr io.Writer
}

// target runs the suite against the target arg (ref or a manifest), writes
// its report into report (a directory; "" none) and the --json and
// --junit files, and prints its summary. errFindings means a case failed.
func (c *conformRun) target(ctx context.Context, arg, report string) (*reports.ConformanceReport, error) {
	o, stdout, stderr := c.o, c.stdout, c.stderr
	m, err := target.Resolve(arg)
	if err != nil {
		return nil, err
	}
	if o.allFeatures {
		m.Features = features.Declarable()
	}
	m.Timeouts = m.Timeouts.With(c.timeouts)
	opts := suite.Options{
		Select: c.sel, Profile: o.profile, Users: c.users, Fixtures: cases.Fixture,
		CaseTimeout: o.timeout, Timeouts: m.Timeouts, Parallel: o.parallel, Progress: stderr, Verbose: o.verbose,
		Implementation: reports.Implementation{Name: m.Name, Version: m.Version, Features: features.Strings(m.Features)},
		LBCheckVersion: version(),
	}
	if arg != target.RefName {
		opts.Implementation.Manifest = arg
	}
	var reportDir *safefile.Dir
	var logDir string // the roles' run directories, kept under --report
	if report != "" {
		// Opened before the run, so a bad DIR fails fast, and kept open, so
		// every file goes into the directory checked here.
		if reportDir, err = safefile.MkDir(report); err != nil {
			return nil, fmt.Errorf("--report: %w", err)
		}
		defer reportDir.Close()
		pcaps, err := reportDir.MkDir(reports.PcapDir)
		if err != nil {
			return nil, fmt.Errorf("--report: %w", err)
		}
		defer pcaps.Close()
		opts.PcapDir, opts.PcapRel = pcaps, reports.PcapDir
		logs, err := reportDir.MkDir("logs")
		if err != nil {
			return nil, fmt.Errorf("--report: %w", err)
		}
		logs.Close()
		logDir = filepath.Join(report, "logs")
	}
	start := time.Now()
	rep, runErr := (&suite.Runner{Provider: &suite.Lab{Target: m, LogDir: logDir}, Options: opts}).Run(ctx)
	if rep != nil {
		crossCheck(rep, c.findings, len(c.users))
	}
	if rep != nil && (len(rep.Cases) > 0 || len(rep.NotRun) > 0) {
		// An interrupted run's outputs say "incomplete" and name the cases
		// that never ran.
		if err := writeConformOutputs(rep, o, reportDir); err != nil {
			return rep, err
		}
		fmt.Fprint(stdout, reports.Sum(rep.Profiles))
		if len(rep.NotRun) > 0 {
			fmt.Fprintf(stdout, ", %d never ran (result incomplete)", len(rep.NotRun))
		}
		fmt.Fprintln(stdout)
		printCrossCheck(stdout, rep)
	}
	fmt.Fprintf(stderr, "conformance suite: %.1fs\n", time.Since(start).Seconds())
	switch {
	case ctx.Err() != nil && runErr != nil:
		return rep, fmt.Errorf("interrupted: %w (namespaces and processes were removed)", runErr)
	case runErr != nil:
		return rep, explainSetup(runErr)
	case rep.Result == reports.ResultFailure:
		return rep, errFindings
	}
	return rep, nil
}

// defaultTimeouts lists target.DefaultTimeouts for --help.
func defaultTimeouts() string {
	d := target.DefaultTimeouts().Strings()
	var parts []string
	for _, n := range target.TimeoutNames {
		parts = append(parts, n+"="+d[n])
	}
	return strings.Join(parts, " ")
}

// explainSetup names the missing kernel feature when the topology could not
// be built for lack of one.
func explainSetup(err error) error {
	switch {
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EAFNOSUPPORT), errors.Is(err, unix.EPROTONOSUPPORT):
		return fmt.Errorf("%w\nthe kernel lacks a feature the conformance topology needs: network namespaces, veth, bridge, AF_PACKET and nftables (nf_tables) must be available", err)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%w\nconform needs root with CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_NET_RAW (a container may need --privileged)", err)
	}
	return err
}

// loadUserDeployments reads each --config as lint reads its inputs; a
// problem lint would report as an issue (schema, references, values it
// cannot read), or a value only known at deployment, stops the run: the
// cases need every address and port.
//
// It also returns each deployment's data-plane lint findings, by name, for
// the report's cross-check (crossCheck).
func loadUserDeployments(paths []string, in inputOptions) ([]suite.UserDeployment, map[string][]lint.Finding, error) {
	var out []suite.UserDeployment
	findings := map[string][]lint.Finding{}
	for _, p := range paths {
		loaded, err := loadInputs([]string{p}, in)
		if err != nil {
			return nil, nil, fmt.Errorf("--config %s: %w", p, err)
		}
		if len(loaded.Units) > 1 {
			var roots []string
			for _, u := range loaded.Units {
				roots = append(roots, u.Root)
			}
			return nil, nil, usagef("--config %s holds %d Terraform root modules (%s), each a deployment of its own: give each as its own --config", p, len(roots), strings.Join(roots, ", "))
		}
		var msgs []string
		for _, is := range loaded.Issues {
			msgs = append(msgs, fmt.Sprintf("%s: %s %s", is.Pos, is.Rule, is.Message))
		}
		msgs = append(msgs, unknownValues(loaded.Deployment)...)
		if len(msgs) > 0 {
			return nil, nil, fmt.Errorf("--config %s is not a deployment conform can test (see lbcheck lint):\n%s", p, strings.Join(msgs, "\n"))
		}
		findings[filepath.Base(p)] = dataPlaneFindings(loaded)
		out = append(out, suite.UserDeployment{Name: filepath.Base(p), Deployment: loaded.Deployment,
			Files: slices.Sorted(maps.Keys(loaded.Sources))})
	}
	return out, findings, nil
}

// giveAValue says how to give a value only known at deployment, by the
// kind of file that leaves it unknown.
func giveAValue(file string) string {
	if importer.Detect(file, nil) == importer.TerraformHCL {
		return "give it a value (--var, --var-file), or describe the deployment as Azure made it in lbcheck's YAML"
	}
	return "give it a value (--parameters), or describe the deployment as Azure made it in lbcheck's YAML"
}

// unknownValues describes every field of d that is only known at
// deployment (an ARM expression, a Terraform unknown), for conform's
// refusal: packets need the value.
func unknownValues(d *schema.Deployment) []string {
	var out []string
	schema.Walk(d, func(n *schema.Node) {
		for _, f := range n.UnknownFields() {
			why, _ := n.Unknown(f)
			out = append(out, fmt.Sprintf("%s: %s.%s is only known at deployment (%s): %s", n.At(f), n.Path(), f, why, giveAValue(n.At(f).File)))
		}
	})
	return out
}

func listCases(w io.Writer, sel *regexp.Regexp, profile string, users []suite.UserDeployment) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tPROFILE\tFEATURES\tDEPLOYMENT\tDESCRIPTION")
	n := 0
	for _, c := range suite.Cases(sel) {
		if (profile != "" && c.Profile != profile) || (len(users) > 0 && !c.Generic()) {
			continue
		}
		dep := c.Deployment
		if c.Generic() {
			dep = "--config (default " + suite.GenericFixture + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ShortName, c.Profile, strings.Join(features.Strings(c.Features), ","), dep, c.Description)
		n++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		return usagef("no case matches --run %q", sel)
	}
	return nil
}

// writeConformOutputs writes report.json and report.html into dir (the
// --report directory; nil: none) and the --json and --junit files, creating
// their parent directories; no file is written through a link (safefile).
func writeConformOutputs(r *reports.ConformanceReport, o *conformOptions, dir *safefile.Dir) error {
	write := func(path string, render func(io.Writer) error) error {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return safefile.Write(path, render)
	}
	jsonOut := func(w io.Writer) error { return reports.WriteConformanceJSON(w, r) }
	if dir != nil {
		if err := dir.Write("report.json", jsonOut); err != nil {
			return err
		}
		pcaps := reports.PcapsFromDir(dir.Path())
		if err := dir.Write("report.html", func(w io.Writer) error {
			return reports.WriteConformanceHTML(w, r, pcaps)
		}); err != nil {
			return err
		}
	}
	if o.json != "" {
		if err := write(o.json, jsonOut); err != nil {
			return err
		}
	}
	if o.junit != "" {
		if err := write(o.junit, func(w io.Writer) error { return reports.WriteJUnit(w, r) }); err != nil {
			return err
		}
	}
	return nil
}
