package schema

// The deployment model. Field names follow Azure's REST API in camelCase so
// that a user who knows ARM templates recognises every key. Every object
// embeds Node, which records where it (and each of its fields) was declared
// in the user's file, so that findings point at file:line:col.

// Deployment is everything lbcheck knows about one environment: the load
// balancers, the VMs with their Azure NIC IP configurations, the guest
// operating systems that run on those VMs, and the network security groups
// with the subnets they are associated with. Several files (or documents of
// one multi-document YAML file) are merged into one Deployment.
type Deployment struct {
	LoadBalancers         []*LoadBalancer         `json:"loadBalancers,omitempty"`
	VMs                   []*VM                   `json:"vms,omitempty"`
	Guests                []*Guest                `json:"guests,omitempty"`
	NetworkSecurityGroups []*NetworkSecurityGroup `json:"networkSecurityGroups,omitempty"`
	Subnets               []*Subnet               `json:"subnets,omitempty"`
}

// LoadBalancer is an Azure load balancer resource.
type LoadBalancer struct {
	Node                     `json:"-"`
	Name                     string          `json:"name"`
	SKU                      SKU             `json:"sku"`
	Type                     LBType          `json:"type"`
	FrontendIPConfigurations []*Frontend     `json:"frontendIPConfigurations,omitempty"`
	BackendAddressPools      []*BackendPool  `json:"backendAddressPools,omitempty"`
	Probes                   []*Probe        `json:"probes,omitempty"`
	LoadBalancingRules       []*Rule         `json:"loadBalancingRules,omitempty"`
	InboundNatRules          []*NatRule      `json:"inboundNatRules,omitempty"`
	OutboundRules            []*OutboundRule `json:"outboundRules,omitempty"`
}

// Frontend is a frontend IP configuration: the address clients connect to.
type Frontend struct {
	Node      `json:"-"`
	Name      string `json:"name"`
	IPAddress string `json:"ipAddress"`
}

// BackendPool is a backend address pool.
type BackendPool struct {
	Node    `json:"-"`
	Name    string        `json:"name"`
	Members []*PoolMember `json:"members,omitempty"`
}

// PoolMember names one NIC IP configuration of a VM. NetworkInterface may be
// empty when the VM has a single NIC.
type PoolMember struct {
	Node             `json:"-"`
	VM               string `json:"vm"`
	NetworkInterface string `json:"networkInterface,omitempty"`
	IPConfiguration  string `json:"ipConfiguration"`
}

// Probe is a health probe. Probes always target the DIP of a pool member.
type Probe struct {
	Node                      `json:"-"`
	Name                      string            `json:"name"`
	Protocol                  ProbeProtocol     `json:"protocol"`
	Port                      int               `json:"port"`
	IntervalInSeconds         int               `json:"intervalInSeconds"`
	NumberOfProbes            int               `json:"numberOfProbes,omitempty"`
	ProbeThreshold            int               `json:"probeThreshold"`
	RequestPath               string            `json:"requestPath,omitempty"`
	NoHealthyBackendsBehavior NoHealthyBehavior `json:"noHealthyBackendsBehavior"`
}

// Rule is a load-balancing rule. Protocol All with both ports 0 is an
// HA-ports rule.
type Rule struct {
	Node                    `json:"-"`
	Name                    string       `json:"name"`
	FrontendIPConfiguration string       `json:"frontendIPConfiguration"`
	BackendAddressPool      string       `json:"backendAddressPool"`
	Probe                   string       `json:"probe,omitempty"`
	Protocol                Protocol     `json:"protocol"`
	FrontendPort            int          `json:"frontendPort"`
	BackendPort             int          `json:"backendPort"`
	EnableFloatingIP        bool         `json:"enableFloatingIP"`
	EnableTcpReset          bool         `json:"enableTcpReset"`
	DisableOutboundSnat     bool         `json:"disableOutboundSnat"`
	IdleTimeoutInMinutes    int          `json:"idleTimeoutInMinutes"`
	LoadDistribution        Distribution `json:"loadDistribution"`
}

// IsHAPorts reports whether the rule is an HA-ports rule (All, 0, 0).
func (r *Rule) IsHAPorts() bool {
	return r.Protocol == ProtocolAll && r.FrontendPort == 0 && r.BackendPort == 0
}

// NatRule is an inbound NAT rule. Either Target names one IP configuration
// (classic rule) or BackendAddressPool with a frontend port range (v2 rule).
type NatRule struct {
	Node                    `json:"-"`
	Name                    string      `json:"name"`
	FrontendIPConfiguration string      `json:"frontendIPConfiguration"`
	Protocol                Protocol    `json:"protocol"`
	FrontendPort            int         `json:"frontendPort,omitempty"`
	BackendPort             int         `json:"backendPort"`
	Target                  *PoolMember `json:"target,omitempty"`
	BackendAddressPool      string      `json:"backendAddressPool,omitempty"`
	FrontendPortRangeStart  int         `json:"frontendPortRangeStart,omitempty"`
	FrontendPortRangeEnd    int         `json:"frontendPortRangeEnd,omitempty"`
	EnableFloatingIP        bool        `json:"enableFloatingIP"`
	EnableTcpReset          bool        `json:"enableTcpReset"`
	IdleTimeoutInMinutes    int         `json:"idleTimeoutInMinutes"`
}

// OutboundRule is an outbound (SNAT) rule.
type OutboundRule struct {
	Node                     `json:"-"`
	Name                     string   `json:"name"`
	FrontendIPConfigurations []string `json:"frontendIPConfigurations"`
	BackendAddressPool       string   `json:"backendAddressPool"`
	Protocol                 Protocol `json:"protocol"`
	AllocatedOutboundPorts   int      `json:"allocatedOutboundPorts,omitempty"`
	IdleTimeoutInMinutes     int      `json:"idleTimeoutInMinutes"`
	EnableTcpReset           bool     `json:"enableTcpReset"`
}

// VM is an Azure virtual machine as Azure sees it: its NICs and their IP
// configurations (the DIPs).
type VM struct {
	Node              `json:"-"`
	Name              string              `json:"name"`
	NetworkInterfaces []*NetworkInterface `json:"networkInterfaces"`
}

// NetworkInterface is an Azure NIC attached to a VM. NetworkSecurityGroup
// names the network security group associated with the NIC itself, if any.
type NetworkInterface struct {
	Node                 `json:"-"`
	Name                 string      `json:"name"`
	IPConfigurations     []*IPConfig `json:"ipConfigurations"`
	NetworkSecurityGroup string      `json:"networkSecurityGroup,omitempty"`
}

// IPConfig is one IP configuration of a NIC. Exactly one per NIC is primary.
// Subnet names the Subnet (VNET/SUBNET) the configuration's address is in,
// when the input says.
type IPConfig struct {
	Node             `json:"-"`
	Name             string `json:"name"`
	PrivateIPAddress string `json:"privateIPAddress"`
	Primary          bool   `json:"primary"`
	Subnet           string `json:"subnet,omitempty"`
}

// NetworkSecurityGroup is an Azure network security group: the security
// rules Azure applies to the traffic of the NICs and subnets associated with
// it (inbound traffic must be allowed by the subnet's group, then by the
// NIC's). Azure's default rules apply after these and are not listed:
// priorities 65000-65500, inbound the virtual network and AzureLoadBalancer
// allowed and the rest denied, outbound the virtual network and Internet
// allowed and the rest denied.
type NetworkSecurityGroup struct {
	Node          `json:"-"`
	Name          string          `json:"name"`
	SecurityRules []*SecurityRule `json:"securityRules,omitempty"`
}

// SecurityRule is one rule of a network security group. Rules are
// evaluated in Priority order (100 first, 4096 last) per Direction, and the
// first that matches a packet's protocol, addresses and ports decides.
// Address prefixes are an address, a CIDR prefix, "*" or a service tag
// (AzureLoadBalancer, VirtualNetwork, Internet, ...); port ranges are "*",
// a port ("80") or a range ("1000-2000"). Azure's singular properties
// (sourceAddressPrefix, sourcePortRange, destinationAddressPrefix,
// destinationPortRange) are one-element lists here: importers fold them
// into the plural lists.
type SecurityRule struct {
	Node                       `json:"-"`
	Name                       string           `json:"name"`
	Priority                   int              `json:"priority"`
	Direction                  Direction        `json:"direction"`
	Access                     Access           `json:"access"`
	Protocol                   SecurityProtocol `json:"protocol"`
	SourceAddressPrefixes      []string         `json:"sourceAddressPrefixes"`
	SourcePortRanges           []string         `json:"sourcePortRanges"`
	DestinationAddressPrefixes []string         `json:"destinationAddressPrefixes"`
	DestinationPortRanges      []string         `json:"destinationPortRanges"`
}

// Subnet is a subnet of a virtual network, named VNET/SUBNET (the virtual
// network's and the subnet's names, as the segments of its Azure resource
// ID give them). NetworkSecurityGroup names the network security group
// associated with the subnet, if any.
type Subnet struct {
	Node                 `json:"-"`
	Name                 string `json:"name"`
	NetworkSecurityGroup string `json:"networkSecurityGroup,omitempty"`
}

// Guest is the operating-system view of a VM: interfaces and addresses, host
// model flags, sysctls, listening sockets, firewall and outbound flows.
type Guest struct {
	Node       `json:"-"`
	VM         string            `json:"vm"`
	OS         OS                `json:"os"`
	Interfaces []*Interface      `json:"interfaces,omitempty"`
	Sysctls    map[string]string `json:"sysctls,omitempty"`
	Listeners  []*Listener       `json:"listeners,omitempty"`
	Firewall   *Firewall         `json:"firewall,omitempty"`
	Outbound   []*OutboundFlow   `json:"outbound,omitempty"`
}

// Interface is a guest network interface. Kind nic is the Azure-managed NIC;
// kind loopback is a loopback (Linux lo, Windows Loopback Pseudo-Interface or
// Microsoft Loopback Adapter). Addresses are CIDR prefixes.
type Interface struct {
	Node            `json:"-"`
	Name            string        `json:"name"`
	Kind            InterfaceKind `json:"kind"`
	Addresses       []string      `json:"addresses,omitempty"`
	WeakHostReceive bool          `json:"weakHostReceive"`
	WeakHostSend    bool          `json:"weakHostSend"`
}

// Listener is a listening socket in the guest. Address 0.0.0.0 or :: is the
// wildcard.
type Listener struct {
	Node    `json:"-"`
	Name    string    `json:"name,omitempty"`
	Proto   SockProto `json:"proto"`
	Address string    `json:"address"`
	Port    int       `json:"port"`
}

// Firewall is the guest's host firewall. When Enabled is false every packet
// is allowed.
type Firewall struct {
	Node           `json:"-"`
	Enabled        bool            `json:"enabled"`
	DefaultInbound FirewallAction  `json:"defaultInbound"`
	Rules          []*FirewallRule `json:"rules,omitempty"`
}

// FirewallRule is one inbound firewall rule. Empty address fields and port 0
// mean "any".
type FirewallRule struct {
	Node          `json:"-"`
	Name          string         `json:"name,omitempty"`
	Action        FirewallAction `json:"action"`
	Proto         SockProto      `json:"proto"`
	LocalAddress  string         `json:"localAddress,omitempty"`
	LocalPort     int            `json:"localPort,omitempty"`
	RemoteAddress string         `json:"remoteAddress,omitempty"`
}

// OutboundFlow is a connection the guest's applications open, with the
// source address they bind to.
type OutboundFlow struct {
	Node          `json:"-"`
	Name          string    `json:"name,omitempty"`
	Proto         SockProto `json:"proto"`
	SourceAddress string    `json:"sourceAddress"`
	Destination   string    `json:"destination,omitempty"`
	Port          int       `json:"port,omitempty"`
}
