package cases

import (
	"time"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// The statistics of ConsistentHashingRemapsOneNth. With 4 members and 128
// flows, about 32 flows sit on the member taken down and 96 on the others.
// A consistent hash (Maglev, rendezvous, a ring with many virtual nodes)
// moves the removed member's flows and, for a table-based one, a few
// percent of the others (the reference's Maglev table of 65537 entries
// moves under 2%); a modulo hash moves about two thirds of the others (a
// flow stays only where h mod 4 and h mod 3 name the same member). The
// case lets at most 10% of the other members' flows move: a hash moving 2%
// of them exceeds that with probability 2·10⁻⁵ (binomial, 96 flows), one
// moving 3% with 6·10⁻⁴, and a modulo hash (60% or more) stays within it
// with probability below 10⁻²⁴. So the fraction of all flows remapped is
// 1/N plus at most a tenth of the rest.
const (
	consistentFlows    = 128
	consistentTolerate = 10 // percent of the other members' flows that may move
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "ConsistentHashingRemapsOneNth",
		Description: "With one of four members taken down, the same 5-tuples opened again as new flows mostly keep their member: only the removed member's flows (about 1/N) move, as consistent hashing promises.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.ConsistentHashing, features.HealthProbe},
		Expectation: "Not Azure behaviour Azure documents (its hash is undocumented): an implementation declaring consistent-hashing places a flow on the same member whatever other members come and go, so removing one of N members remaps about 1/N of the flows a fresh flow table places.",
		Source:      "https://research.google/pubs/maglev-a-fast-and-reliable-software-network-load-balancer/",
		Deployment:  "consistent.yaml",
		Minute:      idleMinute,
		Catches:     []string{"modulo-hash"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe")
			pool := t.VMs("app1", "app2", "app3", "app4")
			flows := make([]pkt.Spec, consistentFlows)
			before := make([]string, consistentFlows)
			for i := range flows {
				flows[i] = pkt.Spec{Proto: pkt.TCP, Dst: fe, DstPort: 80, SrcPort: t.SrcPort()}
				if before[i] = backendOf(t, pool, flows[i], 8080, "a new flow reaches a member"); before[i] == "" {
					return
				}
			}
			last := time.Now()
			removed := before[0]
			takeProbesDown(t, 8090, removed)
			awaitAvoided(t, pool, pkt.Spec{Proto: pkt.TCP, Dst: fe, DstPort: 80}, 8080, removed)
			// The flows of the first round are idle past their timeout:
			// the same 5-tuples are new flows, placed by the hash alone.
			waitPastIdle(t, last, idleTimeout(t, "app"))
			moved, others, othersMoved := 0, 0, 0
			for i, s := range flows {
				after := backendOf(t, pool, s, 8080, "the same 5-tuple, opened again, reaches a member")
				switch {
				case after == "":
					return
				case after == removed:
					t.Errorf("flow %d went to %s, whose probe is down", i, removed)
				}
				if after != before[i] {
					moved++
				}
				if before[i] != removed {
					others++
					if after != before[i] {
						othersMoved++
					}
				}
			}
			t.Logf("%s taken down: %d of %d flows remapped (1/N = %d%%), %d of the other members' %d flows", removed, moved, len(flows), 100/len(pool), othersMoved, others)
			if othersMoved*100 > others*consistentTolerate {
				t.Errorf("%d of the %d flows on members that stayed up moved when %s went down (%d of %d flows in all): consistent hashing moves only the removed member's flows, give or take %d%% of the others",
					othersMoved, others, removed, moved, len(flows), consistentTolerate)
			}
		},
	})
}
