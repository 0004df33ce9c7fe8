// Package features names what a load balancer implementation can do, as
// Gateway API's conformance names its features: every conformance case
// lists the features it needs (suite.Case.Features), a target manifest
// declares the extended ones the implementation has (features: [...]), and a
// case needing an undeclared one is reported not supported instead of run.
//
// Core features are what makes an implementation a Floating IP / DSR load
// balancer at all: every target has them, so they are never declared and
// never missing. Extended features are Azure behaviours an implementation
// may leave out (health probes, NAT rules, idle timeouts, ...) and one
// behaviour beyond Azure's documentation (consistent hashing).
package features

import (
	"fmt"
	"slices"
	"strings"
)

// Name is a feature's name as manifests, cases and reports spell it.
type Name string

// Level says whether every implementation must have a feature.
type Level string

// Levels.
const (
	Core     Level = "core"     // every implementation has it; never declared
	Extended Level = "extended" // an implementation declares it in its manifest
)

// Core features.
const (
	LoadBalancingRule Name = "load-balancing-rule"
	FloatingIP        Name = "floating-ip"
	FloatingIPOff     Name = "floating-ip-off"
	DSR               Name = "dsr"
	UDP               Name = "udp"
	MultipleFrontends Name = "multiple-frontends"
	BackendPortReuse  Name = "backend-port-reuse"
	GuestOS           Name = "guest-os"
)

// Extended features.
const (
	HealthProbe        Name = "health-probe"
	HTTPProbe          Name = "http-probe"
	HAPorts            Name = "ha-ports"
	InboundNATRule     Name = "inbound-nat-rule"
	InboundNATRuleV2   Name = "inbound-nat-rule-v2"
	OutboundSNAT       Name = "outbound-snat"
	LoadDistribution   Name = "load-distribution"
	SessionPersistence Name = "session-persistence"
	IdleTimeout        Name = "idle-timeout"
	TCPReset           Name = "tcp-reset"
	Hairpin            Name = "hairpin"
	FragNeeded         Name = "icmp-frag-needed"
	ConsistentHashing  Name = "consistent-hashing"
)

// Feature describes one feature.
type Feature struct {
	Name  Name
	Level Level
	// Doc is what an implementation with the feature does, in one sentence.
	Doc string
}

var all = []Feature{
	{LoadBalancingRule, Core, "A load-balancing rule delivers a flow for its frontend IP, protocol and port to one member of its backend pool, and nothing else arrives anywhere."},
	{FloatingIP, Core, "With Floating IP on, the member receives the packet addressed to the frontend IP and port unchanged."},
	{FloatingIPOff, Core, "With Floating IP off, the member receives the packet addressed to its own IP (DIP) and the rule's backend port."},
	{DSR, Core, "The member's reply goes from its host to the client directly, from the frontend IP and port, not back through the mux."},
	{UDP, Core, "UDP rules forward as TCP rules do."},
	{MultipleFrontends, Core, "Rules on several frontend IPs of one load balancer each deliver their own traffic."},
	{BackendPortReuse, Core, "Floating IP rules on different frontends share one backend port; the member tells them apart by destination."},
	{GuestOS, Core, "The guest behaviours Azure documents (weak and strong host, addresses on loopback, the VM's own gateway) hold through the implementation: it hands the VM its packets and answers nothing for it."},
	{HealthProbe, Extended, "TCP health probes come from 168.63.129.16 to the member's DIP and probe port; a member failing them gets no new flows."},
	{HTTPProbe, Extended, "An HTTP(S) probe counts only a 200 response as healthy."},
	{HAPorts, Extended, "An HA ports rule (protocol All, port 0) forwards every TCP and UDP port."},
	{InboundNATRule, Extended, "An inbound NAT rule sends its frontend port to one member's backend port."},
	{InboundNATRuleV2, Extended, "An inbound NAT rule on a backend pool gives each member its own frontend port from a range."},
	{OutboundSNAT, Extended, "Connections a member opens to the internet leave from a frontend IP (outbound rule or default SNAT), never from a Floating IP rule's frontend unasked."},
	{LoadDistribution, Extended, "Flows spread over the pool by the 5-tuple hash, or stick per client IP (and protocol) as the rule's loadDistribution says."},
	{SessionPersistence, Extended, "SourceIP and SourceIPProtocol distribution keep a client on one member."},
	{IdleTimeout, Extended, "A TCP flow idle longer than the rule's idleTimeoutInMinutes is forgotten; UDP flows are not bound by it."},
	{TCPReset, Extended, "With enableTcpReset, an idle-timed-out TCP flow is reset towards the client and the member."},
	{Hairpin, Extended, "A member reaching an internal frontend is sent to another member of the pool, never to itself."},
	{FragNeeded, Extended, "A packet larger than the virtual network's MTU with DF set gets ICMP fragmentation-needed from the frontend IP."},
	{ConsistentHashing, Extended, "Beyond Azure's documentation: removing one of N members remaps about 1/N of the flows a fresh flow table places (Maglev-style hashing), not most of them."},
}

// All returns every feature, core first, then extended, each in the order
// above.
func All() []Feature { return slices.Clone(all) }

// Lookup returns the feature named n.
func Lookup(n Name) (Feature, bool) {
	i := slices.IndexFunc(all, func(f Feature) bool { return f.Name == n })
	if i < 0 {
		return Feature{}, false
	}
	return all[i], true
}

// Declarable lists the extended features' names: what a manifest may declare.
func Declarable() []Name {
	var out []Name
	for _, f := range all {
		if f.Level == Extended {
			out = append(out, f.Name)
		}
	}
	return out
}

// Check validates a manifest's declared features: each must be an extended
// feature, named once. The error says what to write instead.
func Check(declared []Name) error {
	for i, n := range declared {
		f, ok := Lookup(n)
		switch {
		case !ok:
			return fmt.Errorf("unknown feature %q (declarable: %s)", n, join(Declarable()))
		case f.Level == Core:
			return fmt.Errorf("feature %q is core: every implementation must have it, so it is not declared; remove it", n)
		case slices.Contains(declared[:i], n):
			return fmt.Errorf("feature %q declared twice", n)
		}
	}
	return nil
}

// Missing returns the extended features of needs that declared lacks, in
// the order of needs. Core features are never missing.
func Missing(needs, declared []Name) []Name {
	var out []Name
	for _, n := range needs {
		if f, ok := Lookup(n); ok && f.Level == Extended && !slices.Contains(declared, n) {
			out = append(out, n)
		}
	}
	return out
}

// Strings converts names for the report.
func Strings(names []Name) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out
}

func join(names []Name) string { return strings.Join(Strings(names), ", ") }
