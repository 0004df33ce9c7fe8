package rules

import "github.com/lbcheck/lbcheck/lint"

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
	ix := indexOf(pass)
	for _, v := range ix.lbs {
		for _, b := range v.bindings(pass) {
			// Floating IP on settles it; the listener pattern settles the rest.
			if b.rule == nil || b.settled(bindFloatingIP, b.floating) {
				continue
			}
			if sql, ok := looksLikeSQLListener(pass, b); !ok || !sql || !b.known(pass, bindFloatingIP) || b.floating {
				continue
			}
			pass.Reportf(b.node, "enableFloatingIP",
				"rule %q looks like a SQL Always On listener (port %d, probe port %d) but has Floating IP off; the listener IP never reaches SQL Server: set enableFloatingIP: true",
				b.name, b.backendPort, sqlProbePort)
		}
	}
}
