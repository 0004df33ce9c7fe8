package schema

// The enumerations of the schema, as typed constants: the model's fields
// hold them, so a comparison with a misspelled value does not compile.
// TestEnums checks each list against the embedded CUE schema.

import "strings"

// SKU is a load balancer's SKU.
type SKU string

// SKUs.
const (
	SKUStandard SKU = "Standard"
	SKUBasic    SKU = "Basic"
	SKUGateway  SKU = "Gateway"
)

// LBType says whether a load balancer's frontends are private or public.
type LBType string

// Load balancer types.
const (
	LBInternal LBType = "internal"
	LBPublic   LBType = "public"
)

// Protocol is the protocol of a load-balancing, inbound NAT or outbound
// rule.
type Protocol string

// Rule protocols; All is TCP and UDP.
const (
	ProtocolTcp Protocol = "Tcp"
	ProtocolUdp Protocol = "Udp"
	ProtocolAll Protocol = "All"
)

// ProbeProtocol is a health probe's protocol.
type ProbeProtocol string

// Probe protocols.
const (
	ProbeTcp   ProbeProtocol = "Tcp"
	ProbeHttp  ProbeProtocol = "Http"
	ProbeHttps ProbeProtocol = "Https"
)

// NoHealthyBehavior is what a rule does when every probed member is down.
type NoHealthyBehavior string

// No-healthy-backends behaviours.
const (
	AllProbedDown NoHealthyBehavior = "AllProbedDown"
	AllProbedUp   NoHealthyBehavior = "AllProbedUp"
)

// Distribution is a rule's load distribution: which fields are hashed.
type Distribution string

// Load distributions.
const (
	DistributionDefault          Distribution = "Default"
	DistributionSourceIP         Distribution = "SourceIP"
	DistributionSourceIPProtocol Distribution = "SourceIPProtocol"
)

// OS is a guest's operating system.
type OS string

// Guest operating systems.
const (
	OSWindows OS = "windows"
	OSLinux   OS = "linux"
)

// InterfaceKind says whether a guest interface is a NIC or a loopback.
type InterfaceKind string

// Interface kinds.
const (
	KindNIC      InterfaceKind = "nic"
	KindLoopback InterfaceKind = "loopback"
)

// SockProto is a transport protocol as guests name it.
type SockProto string

// Socket protocols; any only in firewall rules.
const (
	SockTCP SockProto = "tcp"
	SockUDP SockProto = "udp"
	SockAny SockProto = "any"
)

// Sock is the transport protocol p (Tcp, Udp) as guests name it (tcp,
// udp).
func (p Protocol) Sock() SockProto { return SockProto(strings.ToLower(string(p))) }

// Transport is the load balancer's name of the socket protocol p (tcp:
// Tcp, udp: Udp); empty for any.
func (p SockProto) Transport() Protocol {
	switch p {
	case SockTCP:
		return ProtocolTcp
	case SockUDP:
		return ProtocolUdp
	}
	return ""
}

// FirewallAction is a firewall rule's action or a firewall's default.
type FirewallAction string

// Firewall actions.
const (
	Allow FirewallAction = "allow"
	Block FirewallAction = "block"
)

// Direction is the traffic a security rule applies to.
type Direction string

// Security rule directions.
const (
	DirectionInbound  Direction = "Inbound"
	DirectionOutbound Direction = "Outbound"
)

// Access is what a security rule does with the traffic it matches.
type Access string

// Security rule accesses.
const (
	AccessAllow Access = "Allow"
	AccessDeny  Access = "Deny"
)

// SecurityProtocol is the protocol a security rule matches; * is any.
type SecurityProtocol string

// Security rule protocols.
const (
	SecurityTcp  SecurityProtocol = "Tcp"
	SecurityUdp  SecurityProtocol = "Udp"
	SecurityIcmp SecurityProtocol = "Icmp"
	SecurityEsp  SecurityProtocol = "Esp"
	SecurityAh   SecurityProtocol = "Ah"
	SecurityAny  SecurityProtocol = "*"
)

// Each enumeration's values, in the schema's order.
var (
	SKUs               = []SKU{SKUStandard, SKUBasic, SKUGateway}
	LBTypes            = []LBType{LBInternal, LBPublic}
	Protocols          = []Protocol{ProtocolTcp, ProtocolUdp, ProtocolAll}
	ProbeProtocols     = []ProbeProtocol{ProbeTcp, ProbeHttp, ProbeHttps}
	NoHealthyBehaviors = []NoHealthyBehavior{AllProbedDown, AllProbedUp}
	Distributions      = []Distribution{DistributionDefault, DistributionSourceIP, DistributionSourceIPProtocol}
	OSes               = []OS{OSWindows, OSLinux}
	InterfaceKinds     = []InterfaceKind{KindNIC, KindLoopback}
	SockProtos         = []SockProto{SockTCP, SockUDP, SockAny}
	FirewallActions    = []FirewallAction{Allow, Block}
	Directions         = []Direction{DirectionInbound, DirectionOutbound}
	Accesses           = []Access{AccessAllow, AccessDeny}
	SecurityProtocols  = []SecurityProtocol{SecurityTcp, SecurityUdp, SecurityIcmp, SecurityEsp, SecurityAh, SecurityAny}
)
