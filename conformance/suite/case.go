// Package suite is the conformance suite framework: the Case type and its
// registry, the T a case runs with (expectations at observation points that
// are recorded as report checks and packet-ladder hops, real socket helpers),
// and the Runner that builds topologies, starts targets, runs the selected
// cases and turns the results into a reports.ConformanceReport and JUnit.
//
// A case lives in its own file in package cases and registers itself:
//
//	func init() {
//		suite.Register(&suite.Case{
//			ShortName:  "FloatingIPOnDestination",
//			Profile:    suite.Core,
//			Deployment: "floating.yaml",
//			Run:        func(t *suite.T) { ... },
//		})
//	}
package suite

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/schema"
)

// Profiles.
const (
	Core     = "core"     // the documented mapping, DSR and guest behaviours
	Extended = "extended" // distribution, stickiness, probes
)

// Case is one conformance case.
type Case struct {
	// ShortName identifies the case (CamelCase, unique): --run matches it.
	ShortName string
	// Description is one sentence: what the case does.
	Description string
	// Profile is Core or Extended.
	Profile string
	// Features are the features the case needs. When the implementation
	// lacks an extended one (its manifest does not declare it), the case
	// is reported not supported instead of run.
	Features []features.Name
	// Expectation is the documented behaviour the case checks, in words.
	Expectation string
	// Source is the URL of the documentation the expectation comes from.
	Source string
	// Deployment names the embedded fixture the case runs on. Empty: a
	// generic case that runs on each user deployment (--config), or on the
	// built-in GenericFixture when there is none.
	Deployment string
	// Run performs the case. It must stop by itself (every wait is bounded).
	Run func(t *T)
	// Budget, when set, is the time the case needs on deployment d beyond
	// the runner's case timeout, given the run's timeouts: a generic
	// case's work grows with the rules and members of a user's deployment.
	Budget func(d *schema.Deployment, to target.Timeouts) time.Duration
	// Catches names the forwarder mutants (conformance/mutants) the case
	// was written to catch; that package's tests check that it fails
	// against each of them.
	Catches []string
	// Isolated gives the case a topology and a started target of its own
	// instead of sharing its fixture's with the fixture's other cases: it
	// then runs beside them (Options.Parallel) and no flow or probe
	// verdict of theirs is in the target's tables. For long cases on a
	// shared fixture, and for cases that need every member up from the
	// start when another case of the fixture takes a probe down (the
	// member comes back only probe intervals after that case ends).
	Isolated bool
	// BeforeStart, when set, prepares the case's VMs before the target
	// starts (an Isolated case only: the topology is its own), e.g.
	// refusing a member's probes, so that the target's first probes
	// already find the state the case needs instead of the case waiting
	// for a verdict to change.
	BeforeStart func(b Before) error
	// Minute, when set, is how long one minute of the fixture's idle
	// timeouts lasts for the target (contract.Config.MinuteMillis), so a
	// case can wait out an idle timeout. Cases of one fixture agree on it;
	// generic cases leave it unset (user deployments keep real minutes).
	Minute time.Duration
}

// GenericFixture is the deployment generic cases run on when the user gives
// no deployment of their own.
const GenericFixture = "generic.yaml"

// GenericFixtureMinute is how long one minute of GenericFixture's time
// lasts for the target (contract.Config.MinuteMillis): its 5-second probe
// intervals pass in half a second. A user's deployment keeps real time.
const GenericFixtureMinute = 6 * time.Second

var registry = struct {
	sync.Mutex
	cases map[string]*Case
}{cases: map[string]*Case{}}

// Register adds c to the suite. It is called from init functions; an
// invalid or duplicate case is a programming error and panics at start-up.
func Register(c *Case) {
	if err := c.validate(); err != nil {
		panic(err)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.cases[c.ShortName]; dup {
		panic(fmt.Sprintf("suite: case %s registered twice", c.ShortName))
	}
	for _, o := range registry.cases {
		if o.Deployment == c.Deployment && o.Minute != c.Minute {
			panic(fmt.Sprintf("suite: cases %s and %s share fixture %s but not its Minute (%v, %v)", o.ShortName, c.ShortName, c.Deployment, o.Minute, c.Minute))
		}
	}
	registry.cases[c.ShortName] = c
}

var shortName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]+$`)

func (c *Case) validate() error {
	for _, f := range c.Features {
		if _, ok := features.Lookup(f); !ok {
			return fmt.Errorf("suite: case %s: unknown feature %q (conformance/features)", c.ShortName, f)
		}
	}
	switch {
	case !shortName.MatchString(c.ShortName):
		return fmt.Errorf("suite: case name %q is not CamelCase", c.ShortName)
	case c.Profile != Core && c.Profile != Extended:
		return fmt.Errorf("suite: case %s: profile %q (want %s or %s)", c.ShortName, c.Profile, Core, Extended)
	case c.Description == "" || c.Expectation == "" || c.Source == "":
		return fmt.Errorf("suite: case %s needs a description, an expectation and a source", c.ShortName)
	case c.Run == nil:
		return fmt.Errorf("suite: case %s has no Run", c.ShortName)
	case len(c.Features) == 0:
		return fmt.Errorf("suite: case %s lists no features", c.ShortName)
	case c.BeforeStart != nil && !c.Isolated:
		return fmt.Errorf("suite: case %s: BeforeStart needs an Isolated case (the topology must be its own)", c.ShortName)
	case c.Isolated && c.Generic():
		return fmt.Errorf("suite: case %s: a generic case runs on each user deployment and cannot be Isolated", c.ShortName)
	case c.Minute < 0 || c.Minute > time.Minute || (c.Minute > 0 && c.Generic()):
		return fmt.Errorf("suite: case %s: Minute %v (want up to a minute, and none on a generic case)", c.ShortName, c.Minute)
	}
	return nil
}

// Generic reports whether the case runs on user deployments.
func (c *Case) Generic() bool { return c.Deployment == "" }

// Cases returns the registered cases whose short name matches run (nil: all),
// core before extended, then by name.
func Cases(run *regexp.Regexp) []*Case {
	registry.Lock()
	defer registry.Unlock()
	var out []*Case
	for _, c := range registry.cases {
		if run == nil || run.MatchString(c.ShortName) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Profile != out[j].Profile {
			return out[i].Profile == Core
		}
		return out[i].ShortName < out[j].ShortName
	})
	return out
}
