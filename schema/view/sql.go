package view

import (
	"strings"
	"unicode"
)

// SQLProbePort is the probe port Microsoft's SQL Server availability group
// guides give the cluster's probe.
const SQLProbePort = 59999

// SQLListener reports whether b is a load-balancing rule that matches the
// pattern of a SQL Server Always On availability group listener: a probe
// on SQLProbePort and port 1433 (backend or frontend), or a name SQLName
// accepts. SQL Server answers such a rule's flows on the listener
// (frontend) IP only. It judges the values as resolved; lint's LB2004,
// which must not judge placeholders, asks the same per known field.
func (b *Binding) SQLListener() bool {
	return b.Rule != nil && b.Probe != nil && b.Probe.Port == SQLProbePort &&
		(b.BackendPort == 1433 || b.Rule.FrontendPort == 1433 || SQLName(b.Name))
}

// SQLName reports whether a rule name contains "sql" or an "ag" token
// (ag, ag1, ...).
func SQLName(name string) bool {
	name = strings.ToLower(name)
	if strings.Contains(name, "sql") {
		return true
	}
	tokens := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, tok := range tokens {
		if strings.TrimRight(tok, "0123456789") == "ag" {
			return true
		}
	}
	return false
}
