package cases

import (
	"fmt"
	"sort"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// distributionFlows is how many distinct flows DistributionAcrossBackends
// sends: with 3 backends a fair hash leaves one unused with probability
// 3*(2/3)^24 < 0.2%, and the case only requires two.
const distributionFlows = 24

func init() {
	suite.Register(&suite.Case{
		ShortName:   "DistributionAcrossBackends",
		Description: "Distinct flows to a Default-distribution rule are spread over the healthy backends of the pool.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.LoadDistribution},
		Expectation: "The Default mode hashes the 5-tuple: flows that differ in source port are distributed across the healthy backend instances.",
		Source:      docDistMode,
		Catches:     []string{"distribution-source-ip-only"},
		Deployment:  "distribution.yaml",
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe-default")
			pool := t.VMs("be1", "be2", "be3")
			counts := map[string]int{}
			for range distributionFlows {
				s := syn(t, fe, 80)
				m := fromClient(s)
				m.DstPort = 8080
				if at, p := t.ExpectAny(pool, suite.Step{What: "flow delivered to one backend", Match: m, Dir: capture.In}); p != nil {
					counts[at.Label]++
				}
			}
			if len(counts) < 2 {
				t.Errorf("%d flows all went to %s; want them spread over the pool", distributionFlows, describeCounts(counts))
			}
			t.Logf("flows per backend: %s", describeCounts(counts))
		},
	})
}

func describeCounts(counts map[string]int) string {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	s := ""
	for _, n := range names {
		s += fmt.Sprintf("%s=%d ", n, counts[n])
	}
	if s == "" {
		return "none"
	}
	return s[:len(s)-1]
}

// backendOf sends s and returns the backend that received it ("" if none).
func backendOf(t *suite.T, pool []suite.Point, s pkt.Spec, bport uint16, what string) string {
	t.Drain()
	at, p := t.ExpectAny(pool, suite.Step{What: what, Match: toBackend(t.Send(s), bport), Dir: capture.In})
	if p == nil {
		return ""
	}
	return at.Label
}

// landsOn is backendOf for the polls of T.Eventually: it sends s and
// returns the member of pool that received it, recording nothing; ok is
// false when none did within the deliver timeout.
func landsOn(t *suite.T, pool []suite.Point, s pkt.Spec, bport uint16) (vm string, ok bool) {
	at, ok := t.Arrives(pool, suite.Step{Match: toBackend(t.Send(s), bport), Dir: capture.In})
	return at.Label, ok
}

// membersReached sends fresh flows like s, at most 24, until each VM of
// pool has received one, and returns the VMs that did; ok is false when a
// flow reached none (the case then failed).
func membersReached(t *suite.T, pool []suite.Point, s pkt.Spec, bport uint16, what string) (reached map[string]bool, ok bool) {
	reached = map[string]bool{}
	for i := 0; i < 24 && len(reached) < len(pool); i++ {
		vm := backendOf(t, pool, s, bport, what)
		if vm == "" {
			return reached, false
		}
		reached[vm] = true
	}
	return reached, true
}
