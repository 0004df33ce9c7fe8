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
	ix := indexOf(pass)
	sets := map[*binding]map[*schema.IPConfig]bool{}
	for _, v := range ix.lbs {
		ha := map[string][]*binding{}
		var others []*binding
		order := map[*binding]int{}
		for i, b := range v.bindings("frontendIPConfiguration", "protocol", "frontendPort", "backendPort", "enableFloatingIP") {
			if b.rule == nil {
				continue
			}
			order[b] = i
			if b.isHAPorts() {
				ha[b.frontend] = append(ha[b.frontend], b)
			} else {
				others = append(others, b)
			}
		}
		for _, r := range others {
			for _, h := range ha[r.frontend] {
				if (h.floating && r.floating) || !ix.shareBackends(h, r, sets) {
					continue
				}
				// Report at the later rule, or at the one lacking Floating IP.
				at, other := r, h
				if order[h] > order[r] {
					at, other = h, r
				}
				if at.floating {
					at = other
				}
				pass.Report(at.node.At("enableFloatingIP"), at.node.Path(), "",
					fmt.Sprintf("HA-ports %s and %s share frontend %q and backend IP configurations, but not both have Floating IP on; Azure does not support this mix: enable Floating IP on both or use another frontend",
						h, r, r.frontend))
			}
		}
	}
}
