package rules

import (
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/view"
)

// SQLListenerWithoutFloatingIP is LB2004: a SQL Server Always On
// availability group listener rule with Floating IP off.
var SQLListenerWithoutFloatingIP = &lint.Rule{
	ID:       "LB2004",
	Severity: lint.Warning,
	Doc: lint.Doc{
		Title: "SQL Always On listener rule without Floating IP",
		Text: "An availability group listener answers on the listener (frontend) IP, which the cluster puts on the " +
			"active node; Microsoft requires Floating IP on its load-balancing rule. The pattern is port 1433 with " +
			"the cluster probe port 59999, or a rule named like sql/ag with probe port 59999. With Floating IP off " +
			"the node receives DIP:1433 and clients of the listener time out.",
		Fix:    "Set enableFloatingIP: true on the listener rule.",
		Source: docSQLAG,
	},
	Run: runSQLListenerWithoutFloatingIP,
}

func runSQLListenerWithoutFloatingIP(pass *lint.Pass) {
	for _, l := range viewOf(pass).LoadBalancers {
		for _, b := range bindings(pass, l) {
			// Floating IP on settles it; the listener pattern settles the rest.
			if b.Rule == nil || b.settled(bindFloatingIP, b.Floating) {
				continue
			}
			if sql, ok := looksLikeSQLListener(pass, b); !ok || !sql || !b.known(pass, bindFloatingIP) || b.Floating {
				continue
			}
			pass.Reportf(b.Node, "enableFloatingIP",
				"rule %q looks like a SQL Always On listener (port %d, probe port %d) but has Floating IP off; the listener IP never reaches SQL Server: set enableFloatingIP: true",
				b.Name, b.BackendPort, view.SQLProbePort)
		}
	}
}

// looksLikeSQLListener reports whether a load-balancing rule matches the
// SQL Server availability group listener pattern (view.Binding.SQLListener)
// asking each field only when it is known: ok is false when the verdict
// depends on a value only known at deployment. The backend port, which the
// finding names, is always needed.
func looksLikeSQLListener(pass *lint.Pass, b binding) (is, ok bool) {
	p, ok := b.probe(pass)
	if !ok || p == nil {
		return false, ok
	}
	if !known(pass, p, probePort) {
		return false, false
	}
	if p.Port != view.SQLProbePort {
		return false, true
	}
	if !b.known(pass, bindBackendPort) {
		return false, false
	}
	if b.BackendPort == 1433 || b.settled(bindFrontendPort, b.Rule.FrontendPort == 1433) || b.settled(bindName, view.SQLName(b.Name)) {
		return true, true
	}
	return false, b.known(pass, bindFrontendPort, bindName)
}
