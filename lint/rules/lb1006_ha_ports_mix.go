package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// HAPortsMixedWithNonHA is LB1006: an HA-ports rule and a non-HA rule on one
// frontend reaching the same backends without Floating IP on both.
var HAPortsMixedWithNonHA = &lint.Rule{
	ID:       "LB1006",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "HA-ports rule mixed with a non-HA rule on one frontend without Floating IP",
		Text: "\"The combining of an HA ports load-balancing rule and a non-HA ports load-balancing rule pointing to the " +
			"same backend ipconfiguration(s) isn't supported on a single frontend IP configuration unless both have " +
			"Floating IP enabled.\" Azure rejects the deployment.",
		Fix:    "Enable Floating IP on both rules (and configure the frontend IP in the guests), or put the non-HA rule on another frontend.",
		Source: docHAPorts,
	},
	Run: runHAPortsMixedWithNonHA,
}

func runHAPortsMixedWithNonHA(pass *lint.Pass) {
	sets := map[binding]map[*schema.IPConfig]bool{}
	for _, l := range viewOf(pass).LoadBalancers {
		if len(l.LoadBalancingRules) < 2 {
			continue
		}
		var has, others []binding
		order := map[binding]int{}
		for i, b := range bindings(pass, l) {
			ha, ok := b.haPorts(pass)
			if b.Rule == nil || !ok {
				continue
			}
			order[b] = i
			if ha {
				has = append(has, b)
			} else {
				others = append(others, b)
			}
		}
		if len(has) == 0 || len(others) == 0 {
			continue
		}
		ha := map[string][]binding{}
		for _, h := range has {
			if h.known(pass, bindFrontend) {
				ha[h.frontendName()] = append(ha[h.frontendName()], h)
			}
		}
		for _, r := range others {
			if !r.known(pass, bindFrontend) {
				continue
			}
			for _, h := range ha[r.frontendName()] {
				if both, ok := floatingOnBoth(pass, h, r); !ok || both {
					continue
				}
				if share, ok := shareBackends(pass, h, r, sets); !ok || !share {
					continue
				}
				// Report at the later rule, or at the one lacking Floating IP.
				at, other := r, h
				if order[h] > order[r] {
					at, other = h, r
				}
				if !at.settled(bindFloatingIP, !at.Floating) {
					at = other
				}
				pass.Report(at.Node.At("enableFloatingIP"), at.Node.Path(), "",
					fmt.Sprintf("HA-ports %s and %s share frontend %q and backend IP configurations, but not both have Floating IP on; Azure does not support this mix: enable Floating IP on both or use another frontend",
						h, r, r.frontendName()))
			}
		}
	}
}

// floatingOnBoth reports whether a and b both have Floating IP on. A known
// off on either settles it; ok is false when it depends on a setting only
// known at deployment.
func floatingOnBoth(pass *lint.Pass, a, b binding) (both, ok bool) {
	if a.settled(bindFloatingIP, !a.Floating) || b.settled(bindFloatingIP, !b.Floating) {
		return false, true
	}
	ka, kb := a.known(pass, bindFloatingIP), b.known(pass, bindFloatingIP)
	return true, ka && kb
}
