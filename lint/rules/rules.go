// Package rules is lbcheck's lint rule catalogue. Each rule lives in its own
// file named after its ID (lb1003_backend_port_clash.go) with the helpers
// only it uses; helpers.go holds what several rules share (the run's
// schema/view View and the wrappers that read its bindings and deliveries
// through the unknown-field gates), fields.go the model fields they read
// only once known (values importers leave to deployment). All lists every
// rule.
package rules

import (
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/lint"
)

// Catalogue returns every rule lbcheck lint can report, the engine's meta
// rules (lint.Meta) included, in ID order.
func Catalogue() []*lint.Rule {
	all := slices.Concat(lint.Meta, All)
	slices.SortFunc(all, func(a, b *lint.Rule) int { return strings.Compare(a.ID, b.ID) })
	return all
}

// All is the rule catalogue in ID order.
var All = []*lint.Rule{
	BackendPortClash,
	DuplicateFrontend,
	HAPortsPublicOrBasic,
	HAPortsMixedWithNonHA,
	HAPortsNotExclusive,
	SNATConflict,
	CountLimits,
	IPv6PrimaryIPConfig,
	SameFloatingDestination,
	FloatingIPSecondaryIPConfig,
	RuleWithoutProbe,
	SQLListenerWithoutFloatingIP,
	InternalIPv6FloatingIP,
	GuestLacksFrontendIP,
	WindowsNICWeakHostReceive,
	WindowsLoopbackWeakHost,
	LoopbackPrefixTooWide,
	ListenerWrongAddress,
	ProbePortNotServed,
	OutboundFromFrontendIP,
	FirewallBlocksService,
	FirewallBlocksProbe,
	TCPTimestamps,
	NumberOfProbesIgnored,
	TCPResetOnUDP,
	FloatingMixSharesBackendPort,
}

// Documentation URLs the rules cite.
const (
	docFloatingIP = "https://learn.microsoft.com/azure/load-balancer/load-balancer-floating-ip"
	docMultiVIP   = "https://learn.microsoft.com/azure/load-balancer/load-balancer-multivip-overview"
	docHAPorts    = "https://learn.microsoft.com/azure/load-balancer/load-balancer-ha-ports-overview"
	docProbes     = "https://learn.microsoft.com/azure/load-balancer/load-balancer-custom-probe-overview"
	docErrors     = "https://learn.microsoft.com/azure/load-balancer/load-balancer-common-deployment-errors"
	docOutbound   = "https://learn.microsoft.com/azure/load-balancer/outbound-rules"
	docLimits     = "https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#load-balancer"
	docTCPReset   = "https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset"
	docSQLAG      = "https://learn.microsoft.com/azure/azure-sql/virtual-machines/windows/availability-group-load-balancer-portal-configure"
	docRFC1122    = "https://www.rfc-editor.org/rfc/rfc1122#section-3.3.4.2"
	docFibLocal   = "https://github.com/torvalds/linux/blob/master/net/ipv4/fib_frontend.c"
	docIPv6       = "https://learn.microsoft.com/azure/virtual-network/ip-services/ipv6-overview#limitations"
)
