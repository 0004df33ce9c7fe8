package suite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
)

// DefaultCaseTimeout bounds one case.
const DefaultCaseTimeout = 30 * time.Second

// UserDeployment is a deployment given with --config: generic cases run on it.
type UserDeployment struct {
	Name       string // shown in case names, e.g. the file name
	Deployment *schema.Deployment
	// Files are the files the deployment was read from, for the report.
	Files []string
}

// Options configure a Runner.
type Options struct {
	// Select picks cases by short name (--run); nil selects all.
	Select *regexp.Regexp
	// Profile restricts the run to one profile (Core or Extended); empty
	// runs both.
	Profile string
	// Users are the user deployments. When set, only generic cases run (on
	// each of them); otherwise every selected case runs on its fixture.
	Users []UserDeployment
	// Fixtures resolves a fixture name to its deployment.
	Fixtures func(name string) (*schema.Deployment, error)
	// PcapDir receives one <case>.pcapng per case; nil: no captures kept.
	PcapDir *safefile.Dir
	// PcapRel is PcapDir relative to the report file (for CaseResult.Pcap).
	PcapRel string
	// CaseTimeout bounds each case; 0 means DefaultCaseTimeout.
	CaseTimeout time.Duration
	// Timeouts bound the cases' waits (unset ones: target.DefaultTimeouts,
	// filled in once by Run); the report records them.
	Timeouts target.Timeouts
	// Progress receives one line per case; nil discards them.
	Progress io.Writer
	// Parallel is how many deployments run their cases at once; 0 means
	// DefaultParallel, 1 one after the other.
	Parallel int
	// Verbose adds each case's Logf lines to the progress output.
	Verbose bool
	// Implementation and Version describe the target and lbcheck.
	Implementation reports.Implementation
	LBCheckVersion string
}

// SetupError is a failure to build a topology or start the target: not a
// verdict on the implementation (exit code 2).
type SetupError struct {
	Deployment string
	Err        error
}

func (e *SetupError) Error() string {
	return fmt.Sprintf("setting up deployment %s: %v", e.Deployment, e.Err)
}

func (e *SetupError) Unwrap() error { return e.Err }

// planned is one case run on one deployment.
type planned struct {
	c    *Case
	name string // result name: the short name, suffixed for user deployments
}

// notSupported is a planned case and the features it needs that the
// implementation does not declare.
type notSupported struct {
	planned
	missing []features.Name
}

// group is the cases that share one deployment (and so one Env).
type group struct {
	name   string
	dep    *schema.Deployment
	minute time.Duration // the fixture's Case.Minute
	cases  []planned
	// isolated is set for the topology of one Case.Isolated, a long case.
	isolated bool
	// beforeStart is the isolated case's Case.BeforeStart.
	beforeStart func(Before) error
}

// plan groups the selected cases by deployment, in first-use order, and
// sets apart those the implementation does not support: they need no
// deployment.
func plan(cases []*Case, opts *Options) ([]*group, []notSupported, error) {
	var groups []*group
	var unsupported []notSupported
	declared := opts.declared()
	index := map[string]*group{}
	loaded := map[string]*schema.Deployment{} // fixtures by name, each loaded once
	add := func(depName string, dep *schema.Deployment, p planned) {
		g := index[depName]
		if g == nil {
			minute := p.c.Minute
			if depName == GenericFixture && len(opts.Users) == 0 {
				minute = GenericFixtureMinute
			}
			g = &group{name: depName, dep: dep, minute: minute, isolated: p.c.Isolated}
			if p.c.Isolated {
				g.beforeStart = p.c.BeforeStart
			}
			index[depName] = g
			groups = append(groups, g)
		}
		g.cases = append(g.cases, p)
	}
	for _, c := range cases {
		switch {
		case opts.Profile != "" && c.Profile != opts.Profile:
			continue
		case len(opts.Users) > 0 && !c.Generic():
			continue
		}
		if missing := features.Missing(c.Features, declared); len(missing) > 0 {
			if len(opts.Users) == 0 {
				unsupported = append(unsupported, notSupported{planned{c, c.ShortName}, missing})
			}
			for _, u := range opts.Users {
				unsupported = append(unsupported, notSupported{planned{c, userCaseName(c, u, opts)}, missing})
			}
			continue
		}
		switch {
		case len(opts.Users) > 0:
			for _, u := range opts.Users {
				add(u.Name, u.Deployment, planned{c, userCaseName(c, u, opts)})
			}
		default:
			fixture := c.Deployment
			if c.Generic() {
				fixture = GenericFixture
			}
			d, ok := loaded[fixture]
			if !ok {
				if opts.Fixtures == nil {
					return nil, nil, fmt.Errorf("case %s: no fixture loader", c.ShortName)
				}
				var err error
				if d, err = opts.Fixtures(fixture); err != nil {
					return nil, nil, fmt.Errorf("case %s: fixture %s: %w", c.ShortName, fixture, err)
				}
				loaded[fixture] = d
			}
			key := fixture
			if c.Isolated {
				key = fixture + "/" + c.ShortName
			}
			add(key, d, planned{c, c.ShortName})
		}
	}
	return groups, unsupported, nil
}

// declared returns the extended features the implementation declares.
func (o *Options) declared() []features.Name {
	out := make([]features.Name, len(o.Implementation.Features))
	for i, f := range o.Implementation.Features {
		out[i] = features.Name(f)
	}
	return out
}

// result is the case's result with what the case says of itself filled in.
func (p planned) result() reports.CaseResult {
	c := p.c
	return reports.CaseResult{Name: p.name, Description: c.Description, Profile: c.Profile,
		Features: features.Strings(c.Features), Expectation: c.Expectation, Source: c.Source}
}

// userCaseName is a generic case's result name on user deployment u: its
// short name, suffixed with the deployment's when there are several.
func userCaseName(c *Case, u UserDeployment, opts *Options) string {
	if len(opts.Users) > 1 {
		return c.ShortName + "[" + u.Name + "]"
	}
	return c.ShortName
}

// Runner runs cases against a target.
type Runner struct {
	Provider Provider
	Options
}

// DefaultParallel is how many deployments are set up and run their cases
// at once when Options.Parallel is 0: the cases mostly wait for packets,
// timeouts and probes, so a few topologies share two cores well.
const DefaultParallel = 6

// Run runs the selected cases and returns the report. A *SetupError (with
// the report of the cases run so far) means a deployment could not be set
// up; a *NotStartedError (with the whole report) that the target did not
// start for some deployments, whose cases failed without running. Every
// Env is closed before Run returns, also when ctx is cancelled. Up to
// Parallel deployments run at once, each its cases in order; the report
// lists the cases in plan order whatever order they finished in.
func (r *Runner) Run(ctx context.Context) (*reports.ConformanceReport, error) {
	start := time.Now()
	run := *r
	run.Timeouts = r.Timeouts.OrDefault()
	if r.Progress != nil {
		// Deployments running at once write progress: one write at a time.
		run.Progress = &syncWriter{w: r.Progress}
	}
	r = &run
	rep := &reports.ConformanceReport{
		APIVersion:     reports.ConformanceAPIVersion,
		Kind:           reports.ConformanceKind,
		Implementation: r.Implementation,
		Environment:    environment(r.LBCheckVersion),
		Timeouts:       r.Timeouts.Strings(),
		Date:           start.UTC(),
	}
	for _, u := range r.Users {
		rep.Deployments = append(rep.Deployments, reports.Deployment{Name: u.Name, Files: u.Files, Assumed: topo.Assumed(u.Deployment)})
	}
	groups, unsupported, err := plan(Cases(r.Select), &r.Options)
	st := &runState{r: r, total: len(unsupported), slots: make([][]reports.CaseResult, len(groups))}
	finish := func(err error) (*reports.ConformanceReport, error) {
		// Cases the implementation does not support come last: they
		// need no deployment and have their verdict whatever happened.
		for _, u := range unsupported {
			st.notSupported(u)
		}
		for _, slot := range st.slots {
			rep.Cases = append(rep.Cases, slot...)
		}
		rep.Cases = append(rep.Cases, st.tail...)
		rep.DurationSec = time.Since(start).Seconds()
		rep.Profiles, rep.Result = reports.Summarize(rep.Cases)
		if rep.NotRun = notRun(groups, rep.Cases); len(rep.NotRun) > 0 {
			rep.Result = reports.ResultIncomplete
		}
		return rep, err
	}
	if err != nil {
		return finish(err)
	}
	for _, g := range groups {
		st.total += len(g.cases)
	}
	if st.total == 0 {
		return finish(errors.New("no case selected (check --run)"))
	}
	// Each worker sets up a deployment and runs its cases, then takes the
	// next: set-ups (netlink calls, process start-up) overlap with the
	// other workers' cases, which mostly wait for packets.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ports atomic.Uint32
	var (
		mu         sync.Mutex
		fatal      error // the first error that ends the run
		notStarted []int // groups whose target did not start
		next       atomic.Int32
	)
	stop := func(err error) {
		mu.Lock()
		if fatal == nil {
			fatal = err
		}
		mu.Unlock()
		cancel()
	}
	parallel := r.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	order := startOrder(groups)
	var wg, closing sync.WaitGroup
	for range min(parallel, len(groups)) {
		wg.Go(func() {
			for k := int(next.Add(1)) - 1; k < len(order) && ctx.Err() == nil; k = int(next.Add(1)) - 1 {
				gi := order[k]
				g := groups[gi]
				began := time.Now()
				env, err := r.setup(ctx, g)
				r.verbosef("deployment %s: set up in %v (at %v)", g.name, since(began), began.Sub(start).Round(time.Millisecond))
				if te := targetFault(err); te != nil && ctx.Err() == nil {
					st.failCases(gi, g.cases, "the target did not start: "+te.Error())
					mu.Lock()
					notStarted = append(notStarted, gi)
					mu.Unlock()
					continue
				}
				if err != nil {
					stop(err)
					return
				}
				err = r.runGroup(ctx, gi, g, env, &ports, st)
				// Stopping the target and removing the topology overlap
				// with the next deployment's set-up.
				closing.Go(func() {
					closed := time.Now()
					cerr := env.Close()
					r.verbosef("deployment %s: torn down in %v", g.name, since(closed))
					if te, ok := cerr.(*TargetError); ok && st.ran(gi) {
						st.failLast(gi, "stopping the target: "+te.Error())
					} else if cerr != nil {
						stop(&SetupError{Deployment: g.name, Err: fmt.Errorf("cleaning up: %w", cerr)})
					}
				})
				if err != nil {
					stop(err)
					return
				}
			}
		})
	}
	wg.Wait()
	closing.Wait()
	switch {
	case fatal != nil && !errors.Is(fatal, context.Canceled):
		return finish(fatal)
	case len(notStarted) > 0 && ctx.Err() == nil:
		slices.Sort(notStarted)
		names := make([]string, len(notStarted))
		for i, gi := range notStarted {
			names[i] = groups[gi].name
		}
		return finish(&NotStartedError{Deployments: names})
	}
	return finish(ctx.Err())
}

// verbosef writes a progress line when Options.Verbose is set.
func (r *Runner) verbosef(format string, args ...any) {
	if r.Verbose && r.Progress != nil {
		fmt.Fprintf(r.Progress, format+"\n", args...)
	}
}

// since is the time since t, rounded for progress lines.
func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// startOrder is the order in which the workers take up groups, the
// longest first so that none starts last and decides the run's length.
// Cases that wait on the target's clock (a scaled Minute) are the long
// ones: the shorter their minute, the longer the waits (idle timeouts of
// minutes, rather than probe intervals of seconds), and an isolated case
// is long by definition. They come first, the rest in plan order.
func startOrder(groups []*group) []int {
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ga, gb := groups[a], groups[b]
		return cmp.Or(
			cmp.Compare(unclocked(ga), unclocked(gb)),
			cmp.Compare(ga.minute, gb.minute),
			cmp.Compare(shared(ga), shared(gb)))
	})
	return order
}

// unclocked is 1 for a group whose cases do not wait on the target's
// clock, else 0.
func unclocked(g *group) int {
	if g.minute == 0 {
		return 1
	}
	return 0
}

// shared is 0 for an isolated case's group, else 1.
func shared(g *group) int {
	if g.isolated {
		return 0
	}
	return 1
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// notRun lists the planned cases without a result, in plan order.
func notRun(groups []*group, done []reports.CaseResult) []string {
	ran := make(map[string]bool, len(done))
	for _, c := range done {
		ran[c.Name] = true
	}
	var out []string
	for _, g := range groups {
		for _, p := range g.cases {
			if !ran[p.name] {
				out = append(out, p.name)
			}
		}
	}
	return out
}

// setupAttempts is how often the runner tries to set up a deployment. On a
// busy host, namespace teardown in the kernel (other runs, the previous
// deployment) can hold the rtnl lock for seconds and starve a target's
// start-up; one retry makes such a stall a delay instead of an error.
const setupAttempts = 2

func (r *Runner) setup(ctx context.Context, g *group) (*Env, error) {
	var err error
	for attempt := 1; attempt <= setupAttempts && ctx.Err() == nil; attempt++ {
		var env *Env
		if env, err = r.Provider.Setup(ctx, Setup{Name: g.name, Deployment: g.dep, Minute: g.minute, BeforeStart: g.beforeStart}); err == nil {
			return env, nil
		}
		if r.Progress != nil && attempt < setupAttempts && ctx.Err() == nil {
			fmt.Fprintf(r.Progress, "setting up %s failed, retrying once:\n%s\n", safetext.Line(g.name), indent(err.Error()))
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return nil, &SetupError{Deployment: g.name, Err: err}
}

func (r *Runner) runGroup(ctx context.Context, gi int, g *group, env *Env, ports *atomic.Uint32, st *runState) error {
	restart := false
	for i, p := range g.cases {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if restart && env.Restart != nil {
			// The previous case failed: its flows may linger in the target.
			err := env.Restart(ctx)
			if err != nil && ctx.Err() == nil {
				err = env.Restart(ctx) // see setupAttempts
			}
			if te := targetFault(err); te != nil && ctx.Err() == nil {
				st.failCases(gi, g.cases[i:], "restarting the target: "+te.Error())
				return nil
			}
			if err != nil {
				return &SetupError{Deployment: g.name, Err: fmt.Errorf("restarting the target: %w", err)}
			}
		}
		res, logs := r.runCase(ctx, p, env, ports)
		if env.Alive != nil {
			if err := env.Alive(); err != nil {
				res.Status = reports.StatusFailed
				res.Reason = strings.TrimSpace(res.Reason + "\ntarget process died: " + err.Error())
			}
		}
		restart = res.Status == reports.StatusFailed
		st.add(gi, res, logs)
	}
	return nil
}

// indent escapes s (safetext.Lines: it may quote a target's stderr) and
// indents each of its lines for the progress output.
func indent(s string) string {
	return "    " + strings.ReplaceAll(safetext.Lines(s), "\n", "\n    ")
}

// runCase runs one case with its timeout and turns the T into a result and
// the case's log lines.
func (r *Runner) runCase(ctx context.Context, p planned, env *Env, ports *atomic.Uint32) (reports.CaseResult, []string) {
	c := p.c
	timeout := r.CaseTimeout
	if timeout == 0 {
		timeout = DefaultCaseTimeout
	}
	if c.Budget != nil {
		timeout += c.Budget(env.Deployment, r.Timeouts)
	}
	for _, port := range env.Ports() {
		port.Reset()
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := newT(cctx, c, env, ports, r.Timeouts, r.declared())
	if r.Progress != nil {
		// Cases of other deployments may run meanwhile: each progress
		// line names its case.
		t.progress = func(line string) {
			fmt.Fprintf(r.Progress, "    %s: %s\n", safetext.Line(p.name), safetext.Line(line))
		}
	}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer t.runCleanups()
		defer func() {
			if v := recover(); v != nil {
				buf := make([]byte, 4096)
				buf = buf[:runtime.Stack(buf, false)]
				t.Errorf("panic: %v\n%s", v, buf)
			}
		}()
		c.Run(t)
	}()
	select {
	case <-done:
	case <-cctx.Done():
		t.Errorf("%s", timeoutReason(ctx, timeout))
		// Every wait in a case honours the context: give it a moment to
		// return so its cleanups run before the next case.
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	res := p.result()
	res.DurationSec = time.Since(start).Seconds()
	t.mu.Lock()
	res.Checks = append(res.Checks, t.checks...)
	res.Hops = append(res.Hops, t.hops...)
	res.Members = append(res.Members, t.members...)
	switch {
	case ctx.Err() != nil:
		// The run was interrupted: the case has no verdict.
		res.Status, t.reasons = reports.StatusSkipped, []string{"interrupted before the case finished"}
	case t.failed:
		res.Status = reports.StatusFailed
	case t.skipped:
		res.Status = reports.StatusSkipped
	default:
		res.Status = reports.StatusPassed
	}
	res.Reason = strings.Join(t.reasons, "\n")
	logs := append([]string(nil), t.logs...)
	t.mu.Unlock()
	if r.PcapDir != nil {
		file := pcapName(p.name)
		if err := r.PcapDir.Write(file, func(w io.Writer) error { return capture.WritePcap(w, env.Ports()...) }); err != nil {
			res.Reason = strings.TrimSpace(res.Reason + "\n(capture not written: " + err.Error() + ")")
		} else {
			res.Pcap = filepath.ToSlash(filepath.Join(r.PcapRel, file))
		}
	}
	return res, logs
}

func timeoutReason(parent context.Context, timeout time.Duration) string {
	if parent.Err() != nil {
		return "interrupted"
	}
	return fmt.Sprintf("case timed out after %v", timeout)
}

// pcapName is the capture file of a case: its name made a file name
// (safefile.Name).
func pcapName(caseName string) string {
	return safefile.Name(caseName) + ".pcapng"
}

func environment(version string) reports.Environment {
	env := reports.Environment{GoVersion: runtime.Version(), LBCheck: version}
	env.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		env.Kernel = strings.TrimSpace(string(b))
	}
	return env
}
