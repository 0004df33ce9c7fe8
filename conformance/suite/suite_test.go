package suite

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/schema"
)

func TestValidate(t *testing.T) {
	ok := Case{ShortName: "GoodCase", Description: "d", Profile: Core, Features: []features.Name{features.DSR}, Expectation: "e", Source: "s", Run: func(*T) {}}
	if err := ok.validate(); err != nil {
		t.Fatalf("valid case rejected: %v", err)
	}
	for _, mut := range []func(c *Case){
		func(c *Case) { c.ShortName = "bad name" },
		func(c *Case) { c.Profile = "gold" },
		func(c *Case) { c.Source = "" },
		func(c *Case) { c.Run = nil },
		func(c *Case) { c.Features = nil },
		func(c *Case) { c.Features = []features.Name{"teleport"} },
		func(c *Case) { c.Minute = time.Second }, // generic
		func(c *Case) { c.Isolated = true },      // generic
		func(c *Case) { c.Deployment, c.Minute = "f.yaml", 2*time.Minute },
		func(c *Case) { c.Deployment, c.BeforeStart = "f.yaml", func(Before) error { return nil } }, // not isolated
	} {
		c := ok
		mut(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
}

// registerTestCase registers a case of this package's tests: the texts a
// case must have say where it comes from, the profile is extended and the
// features load-balancing-rule unless the case sets them.
func registerTestCase(c *Case, source string) {
	c.Description, c.Expectation, c.Source = "test case", "test case", source
	if c.Profile == "" {
		c.Profile = Extended
	}
	if c.Features == nil {
		c.Features = []features.Name{features.LoadBalancingRule}
	}
	Register(c)
}

func TestPlanGroupsByDeployment(t *testing.T) {
	mk := func(name, dep, profile string) *Case {
		return &Case{ShortName: name, Deployment: dep, Profile: profile}
	}
	alone := mk("I", "f1.yaml", Core)
	alone.Isolated = true
	probed := mk("P", "f3.yaml", Extended)
	probed.Features = []features.Name{features.FloatingIP, features.HealthProbe}
	cases := []*Case{mk("A", "f1.yaml", Core), mk("B", "f2.yaml", Core), alone, mk("C", "f1.yaml", Core), probed, mk("G", "", Core)}
	loads := map[string]int{}
	opts := &Options{Fixtures: func(name string) (*schema.Deployment, error) {
		loads[name]++
		if name == "broken.yaml" {
			return nil, errors.New("boom")
		}
		return &schema.Deployment{}, nil
	}}
	groups, unsupported, err := plan(cases, opts)
	if err != nil {
		t.Fatal(err)
	}
	// P needs health-probe, which the implementation does not declare: it
	// is set apart and its fixture never loaded.
	if len(unsupported) != 1 || unsupported[0].name != "P" || !slices.Equal(unsupported[0].missing, []features.Name{features.HealthProbe}) || loads["f3.yaml"] != 0 {
		t.Errorf("unsupported %+v (f3.yaml loaded %d times), want P missing health-probe and no load", unsupported, loads["f3.yaml"])
	}
	declared := Options{Fixtures: func(string) (*schema.Deployment, error) { return &schema.Deployment{}, nil }}
	declared.Implementation.Features = []string{string(features.HealthProbe)}
	if _, unsupported, _ := plan(cases, &declared); len(unsupported) != 0 {
		t.Errorf("health-probe declared, yet unsupported %+v", unsupported)
	}
	var got []string
	for _, g := range groups {
		var names []string
		for _, p := range g.cases {
			names = append(names, p.name)
		}
		got = append(got, g.name+":"+strings.Join(names, ","))
		if g.dep == nil {
			t.Errorf("group %s has no deployment", g.name)
		}
	}
	if g := groups[len(groups)-1]; g.name != GenericFixture || g.minute != GenericFixtureMinute {
		t.Errorf("the built-in generic fixture's group %s runs a %v minute, want %v", g.name, g.minute, GenericFixtureMinute)
	}
	if want := "f1.yaml:A,C f2.yaml:B f1.yaml/I:I generic.yaml:G"; strings.Join(got, " ") != want {
		t.Errorf("plan = %q, want %q", strings.Join(got, " "), want)
	}
	for name, n := range loads {
		if n != 1 {
			t.Errorf("fixture %s loaded %d times, want once", name, n)
		}
	}

	// User deployments: only generic cases, once per deployment, suffixed.
	users := &Options{Users: []UserDeployment{{Name: "a.yaml", Deployment: &schema.Deployment{}}, {Name: "b.yaml", Deployment: &schema.Deployment{}}}}
	groups, _, err = plan(cases, users)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].cases[0].name != "G[a.yaml]" || groups[1].cases[0].name != "G[b.yaml]" || len(groups[0].cases) != 1 {
		t.Errorf("user plan: %+v", groups)
	}
	for _, g := range groups {
		if g.minute != 0 {
			t.Errorf("user deployment %s runs a %v minute; a user's deployment keeps real time", g.name, g.minute)
		}
	}

	if _, _, err := plan([]*Case{mk("X", "broken.yaml", Core)}, opts); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("broken fixture: %v", err)
	}
}

func TestCasesOrderAndSelect(t *testing.T) {
	// The registry is global; use names no real case has.
	for _, c := range []*Case{
		{ShortName: "ZzSelExt", Profile: Extended},
		{ShortName: "ZzSelCoreB", Profile: Core},
		{ShortName: "ZzSelCoreA", Profile: Core},
	} {
		c.Description, c.Expectation, c.Source, c.Run, c.Features = "d", "e", "s", func(*T) {}, []features.Name{features.DSR}
		Register(c)
	}
	var names []string
	for _, c := range Cases(regexp.MustCompile("^ZzSel")) {
		names = append(names, c.ShortName)
	}
	if got := strings.Join(names, " "); got != "ZzSelCoreA ZzSelCoreB ZzSelExt" {
		t.Errorf("Cases = %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	Register(&Case{ShortName: "ZzSelExt", Profile: Extended, Description: "d", Expectation: "e", Source: "s", Run: func(*T) {}})
}

func TestPcapName(t *testing.T) {
	if got := pcapName("Rule[my deploy.yaml]"); got != "Rule_my_deploy.yaml_.pcapng" {
		t.Errorf("pcapName = %q", got)
	}
}

// TestIndentEscapes: a failure quoting a target's stderr reaches the
// progress output escaped, line by line.
func TestIndentEscapes(t *testing.T) {
	got := indent("the target did not start:\n\x1b[2Jpanic\r\n::add-mask::x")
	want := "    the target did not start:\n    \\x1b[2Jpanic\\r\n    \\x3a:add-mask::x"
	if got != want {
		t.Errorf("indent = %q, want %q", got, want)
	}
}

// failingProvider cannot set anything up (e.g. a target that never starts).
type failingProvider struct{ calls int }

func (p *failingProvider) Setup(ctx context.Context, s Setup) (*Env, error) {
	p.calls++
	return nil, errors.New("target never printed ready")
}

func TestSetupRetriedOnceThenSetupError(t *testing.T) {
	registerTestCase(&Case{ShortName: "ZzSetupCase", Deployment: "x.yaml", Run: func(*T) {}}, "suite_test.go")
	p := &failingProvider{}
	var progress strings.Builder
	r := Runner{Provider: p, Options: Options{
		Select:   regexp.MustCompile("^ZzSetupCase$"),
		Fixtures: func(string) (*schema.Deployment, error) { return &schema.Deployment{}, nil },
		Progress: &progress,
	}}
	rep, err := r.Run(context.Background())
	var se *SetupError
	if !errors.As(err, &se) || se.Deployment != "x.yaml" || !strings.Contains(err.Error(), "never printed ready") {
		t.Fatalf("Run error = %v, want a SetupError for x.yaml", err)
	}
	if p.calls != setupAttempts {
		t.Errorf("Setup called %d times, want %d", p.calls, setupAttempts)
	}
	if !strings.Contains(progress.String(), "setting up x.yaml failed, retrying once") {
		t.Errorf("progress does not mention the retry:\n%s", &progress)
	}
	if rep == nil || len(rep.Cases) != 0 {
		t.Errorf("report %+v, want one with no cases", rep)
	}
}
