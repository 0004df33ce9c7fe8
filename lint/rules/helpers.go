package rules

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// This file holds the indexes and small pure functions the rules share. One
// index is built per lint run and shared by every rule (indexOf), so lookups
// by name are map reads and no rule compares all pairs of objects.

// index resolves names in one deployment.
type index struct {
	d      *schema.Deployment
	vms    map[string]*schema.VM
	guests map[string]*guestView
	lbs    []*lbView
	// pools caches the resolved members of each backend pool.
	pools map[*schema.BackendPool][]target
}

// lbView is a load balancer with its children indexed by name.
type lbView struct {
	lb        *schema.LoadBalancer
	frontends map[string]*schema.Frontend
	pools     map[string]*schema.BackendPool
	probes    map[string]*schema.Probe
}

// target is one backend IP configuration that a rule reaches.
type target struct {
	vm  *schema.VM
	nic *schema.NetworkInterface
	ipc *schema.IPConfig
}

// String names the IP configuration as vm/nic/ipconfig.
func (t target) String() string {
	return t.vm.Name + "/" + t.nic.Name + "/" + t.ipc.Name
}

// dip is the target's private address, invalid when it does not parse; ok
// is false when it is only known at deployment.
func (t target) dip(pass *lint.Pass) (a netip.Addr, ok bool) {
	if !known(pass, t.ipc, ipcAddress) {
		return netip.Addr{}, false
	}
	return parseAddr(t.ipc.PrivateIPAddress), true
}

// indexKey is the lint.Pass.Shared key of the run's index.
type indexKey struct{}

// indexOf returns the index of the pass's deployment, built once per lint
// run. Its lazily filled caches (poolTargets) depend only on the deployment,
// so sharing it between rules changes no result.
func indexOf(pass *lint.Pass) *index {
	return pass.Shared(indexKey{}, func() any { return newIndex(pass.Deployment) }).(*index)
}

func newIndex(d *schema.Deployment) *index {
	ix := &index{
		d:      d,
		vms:    make(map[string]*schema.VM, len(d.VMs)),
		guests: make(map[string]*guestView, len(d.Guests)),
		pools:  map[*schema.BackendPool][]target{},
	}
	for _, vm := range d.VMs {
		if _, dup := ix.vms[vm.Name]; !dup {
			ix.vms[vm.Name] = vm
		}
	}
	for _, g := range d.Guests {
		if _, dup := ix.guests[g.VM]; !dup {
			ix.guests[g.VM] = newGuestView(g)
		}
	}
	for _, lb := range d.LoadBalancers {
		v := &lbView{
			lb:        lb,
			frontends: make(map[string]*schema.Frontend, len(lb.FrontendIPConfigurations)),
			pools:     make(map[string]*schema.BackendPool, len(lb.BackendAddressPools)),
			probes:    make(map[string]*schema.Probe, len(lb.Probes)),
		}
		for _, f := range lb.FrontendIPConfigurations {
			v.frontends[f.Name] = f
		}
		for _, p := range lb.BackendAddressPools {
			v.pools[p.Name] = p
		}
		for _, p := range lb.Probes {
			v.probes[p.Name] = p
		}
		ix.lbs = append(ix.lbs, v)
	}
	return ix
}

// resolve finds the IP configuration a pool member names. ok is false for
// a dangling reference, which the loader reports (LB1001).
func (ix *index) resolve(m *schema.PoolMember) (target, bool) {
	vm := ix.vms[m.VM]
	if vm == nil {
		return target{}, false
	}
	for _, nic := range vm.NetworkInterfaces {
		if m.NetworkInterface != "" && nic.Name != m.NetworkInterface {
			continue
		}
		for _, c := range nic.IPConfigurations {
			if c.Name == m.IPConfiguration {
				return target{vm: vm, nic: nic, ipc: c}, true
			}
		}
	}
	return target{}, false
}

// poolTargets returns the resolved members of a pool, computed once.
func (ix *index) poolTargets(p *schema.BackendPool) []target {
	if p == nil {
		return nil
	}
	if ts, ok := ix.pools[p]; ok {
		return ts
	}
	ts := make([]target, 0, len(p.Members))
	for _, m := range p.Members {
		if t, ok := ix.resolve(m); ok {
			ts = append(ts, t)
		}
	}
	ix.pools[p] = ts
	return ts
}

// binding is a load-balancing rule or an inbound NAT rule: something that
// delivers traffic for a frontend to backend IP configurations.
type binding struct {
	lbv         *lbView
	node        *schema.Node
	kind        string // "rule" or "NAT rule"
	name        string
	frontend    string
	protocol    string
	backendPort int
	floating    bool
	// rule is set for load-balancing rules, nat for inbound NAT rules.
	rule *schema.Rule
	nat  *schema.NatRule
}

// String names the binding for messages: `rule "web-a"`.
func (b *binding) String() string { return fmt.Sprintf("%s %q", b.kind, b.name) }

// qualified names the binding with its load balancer, for messages that
// may mention two load balancers.
func (b *binding) qualified() string {
	return fmt.Sprintf("%s of load balancer %q", b, b.lbv.lb.Name)
}

// haPorts reports whether b is an HA-ports load-balancing rule (All, ports
// 0). A known protocol other than All or a known nonzero port settles that
// it is not; otherwise ok is false when one of the three is only known at
// deployment.
func (b *binding) haPorts(pass *lint.Pass) (is, ok bool) {
	if b.rule == nil || b.settled(bindProtocol, b.protocol != "All") ||
		b.settled(bindFrontendPort, b.rule.FrontendPort != 0) || b.settled(bindBackendPort, b.backendPort != 0) {
		return false, true
	}
	if !b.known(pass, bindProtocol, bindFrontendPort, bindBackendPort) {
		return false, false
	}
	return true, true
}

// fip is the address of the binding's frontend, invalid when it does not
// parse or the frontend does not exist (LB1001); ok is false when the
// frontend reference or its address is only known at deployment.
func (b *binding) fip(pass *lint.Pass) (a netip.Addr, ok bool) {
	if !b.known(pass, bindFrontend) {
		return netip.Addr{}, false
	}
	f := b.lbv.frontends[b.frontend]
	if f == nil {
		return netip.Addr{}, true
	}
	if !known(pass, f, frontendIPAddress) {
		return netip.Addr{}, false
	}
	return parseAddr(f.IPAddress), true
}

// knownPool reports whether the backends the binding reaches are known:
// a classic NAT rule names its target, others reference a pool, which may
// be only known at deployment.
func (b *binding) knownPool(pass *lint.Pass) bool {
	return (b.nat != nil && b.nat.Target != nil) || b.known(pass, bindPool)
}

// knownFrontendPorts reports whether the fields frontendPorts reads are
// known: the frontend port, or a NAT rule's port range when it has one.
func (b *binding) knownFrontendPorts(pass *lint.Pass) bool {
	switch {
	case b.rule != nil:
		return b.known(pass, bindFrontendPort)
	case !known(pass, b.nat, natPortRangeStart):
		return false
	case b.nat.FrontendPortRangeStart > 0:
		return known(pass, b.nat, natPortRangeEnd)
	}
	return b.known(pass, bindFrontendPort)
}

// pool is the backend pool the binding sends to, nil for a classic NAT rule.
func (b *binding) pool() *schema.BackendPool {
	if b.rule != nil {
		return b.lbv.pools[b.rule.BackendAddressPool]
	}
	if b.nat.Target == nil {
		return b.lbv.pools[b.nat.BackendAddressPool]
	}
	return nil
}

// probe is the rule's health probe, nil for NAT rules and rules without one;
// ok is false when the rule's probe reference is only known at deployment.
func (b *binding) probe(pass *lint.Pass) (p *schema.Probe, ok bool) {
	if b.rule == nil {
		return nil, true
	}
	if !known(pass, b.rule, ruleProbe) {
		return nil, false
	}
	return b.lbv.probes[b.rule.Probe], true
}

// frontendPorts is the range of frontend ports the binding listens on. Its
// fields must be known (knownFrontendPorts).
func (b *binding) frontendPorts() portRange {
	if b.rule != nil {
		if b.rule.FrontendPort == 0 {
			return portRange{0, 65535}
		}
		return portRange{b.rule.FrontendPort, b.rule.FrontendPort}
	}
	if b.nat.FrontendPortRangeStart > 0 {
		return portRange{b.nat.FrontendPortRangeStart, b.nat.FrontendPortRangeEnd}
	}
	return portRange{b.nat.FrontendPort, b.nat.FrontendPort}
}

// frontendPortField is the JSON name of the field that holds the
// binding's frontend port.
func (b *binding) frontendPortField() string {
	if b.nat != nil && b.nat.FrontendPortRangeStart > 0 {
		return "frontendPortRangeStart"
	}
	return "frontendPort"
}

// bindings lists the load-balancing rules and then the inbound NAT rules
// of one load balancer, in declaration order. needs names the fields the
// calling rule reads of every binding before anything else; a rule or NAT
// rule with one of them only known at deployment (imported ARM expressions,
// Terraform unknowns) is left out and recorded for LB0010 (see known). A
// field the caller reads only in some cases it asks for in those cases,
// with binding.known.
func (v *lbView) bindings(pass *lint.Pass, needs ...bindingField) []*binding {
	bs := make([]*binding, 0, len(v.lb.LoadBalancingRules)+len(v.lb.InboundNatRules))
	add := func(b *binding) {
		if b.known(pass, needs...) {
			bs = append(bs, b)
		}
	}
	for _, r := range v.lb.LoadBalancingRules {
		add(&binding{lbv: v, node: &r.Node, kind: "rule", name: r.Name,
			frontend: r.FrontendIPConfiguration, protocol: r.Protocol,
			backendPort: r.BackendPort, floating: r.EnableFloatingIP, rule: r})
	}
	for _, n := range v.lb.InboundNatRules {
		add(&binding{lbv: v, node: &n.Node, kind: "NAT rule", name: n.Name,
			frontend: n.FrontendIPConfiguration, protocol: n.Protocol,
			backendPort: n.BackendPort, floating: n.EnableFloatingIP, nat: n})
	}
	return bs
}

// targets resolves the IP configurations the binding reaches; ok is false
// when its pool reference is only known at deployment (see knownPool).
func (ix *index) targets(pass *lint.Pass, b *binding) (ts []target, ok bool) {
	if !b.knownPool(pass) {
		return nil, false
	}
	return ix.reached(b), true
}

// reached resolves the IP configurations a binding with a known pool
// reference reaches.
func (ix *index) reached(b *binding) []target {
	if b.nat != nil && b.nat.Target != nil {
		if t, ok := ix.resolve(b.nat.Target); ok {
			return []target{t}
		}
		return nil
	}
	return ix.poolTargets(b.pool())
}

// ipConfigSet is the set of IP configurations a binding reaches.
func (ix *index) ipConfigSet(b *binding) map[*schema.IPConfig]bool {
	ts := ix.reached(b)
	s := make(map[*schema.IPConfig]bool, len(ts))
	for _, t := range ts {
		s[t.ipc] = true
	}
	return s
}

// shareBackends reports whether two bindings reach a common IP
// configuration; ok is false when the pool reference of either is only
// known at deployment. sets caches ipConfigSet per binding.
func (ix *index) shareBackends(pass *lint.Pass, a, b *binding, sets map[*binding]map[*schema.IPConfig]bool) (share, ok bool) {
	if ka, kb := a.knownPool(pass), b.knownPool(pass); !ka || !kb {
		return false, false
	}
	if pa, pb := a.pool(), b.pool(); pa != nil && pa == pb {
		return len(ix.reached(a)) > 0, true
	}
	sa, sb := sets[a], sets[b]
	if sa == nil {
		sa = ix.ipConfigSet(a)
		sets[a] = sa
	}
	if sb == nil {
		sb = ix.ipConfigSet(b)
		sets[b] = sb
	}
	if len(sb) < len(sa) {
		sa, sb = sb, sa
	}
	for c := range sa {
		if sb[c] {
			return true, true
		}
	}
	return false, true
}

// delivery is one binding reaching one backend IP configuration whose VM
// has a guest declaration. Its addresses are read on demand, so that a
// rule needs them only for the guests it checks.
type delivery struct {
	b *binding
	t target
	g *guestView
}

// dst is the destination address the guest sees: the frontend IP with
// Floating IP on, the DIP with it off; ok is false when the setting or that
// address is only known at deployment.
func (d delivery) dst(pass *lint.Pass) (netip.Addr, bool) {
	if !d.b.known(pass, bindFloatingIP) {
		return netip.Addr{}, false
	}
	if d.b.floating {
		return d.b.fip(pass)
	}
	return d.t.dip(pass)
}

// nic is the guest interface of kind nic that holds the delivery's DIP
// (see guestView.nic); ok is false when that depends on a DIP only known
// at deployment. With at most one such interface the DIP is not needed.
func (d delivery) nic(pass *lint.Pass) (*schema.Interface, bool) {
	if d.g.nics < 2 {
		return d.g.nic(netip.Addr{}), true
	}
	dip, ok := d.t.dip(pass)
	if !ok {
		return nil, false
	}
	return d.g.nic(dip), true
}

// mode describes the binding's Floating IP setting (known by then) for
// messages.
func (d delivery) mode() string {
	if d.b.floating {
		return "Floating IP on"
	}
	return "Floating IP off"
}

// deliveries calls fn for every (binding, backend with a guest) pair in
// the deployment. Every guest rule looks at its guest first and asks for
// the binding's fields only when that guest needs them, so deliveries
// itself needs nothing but the bindings' pool references, and those only
// when some guest is declared. Bindings whose pool reference is only known
// at deployment are left out. Its cost is the sum of the bindings' pool
// sizes.
func (ix *index) deliveries(pass *lint.Pass, fn func(delivery)) {
	if len(ix.guests) == 0 {
		return
	}
	for _, v := range ix.lbs {
		for _, b := range v.bindings(pass) {
			ts, _ := ix.targets(pass, b)
			for _, t := range ts {
				if g := ix.guests[t.vm.Name]; g != nil {
					fn(delivery{b: b, t: t, g: g})
				}
			}
		}
	}
}

// once returns a function that reports whether a key is new.
func once() func(key any) bool {
	seen := map[any]bool{}
	return func(key any) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
}

// protocols expands All into the transport protocols it covers.
func protocols(p string) []string {
	if p == "All" {
		return []string{"Tcp", "Udp"}
	}
	return []string{p}
}

// sockProto is the lower-case protocol name guests use (tcp, udp).
func sockProto(p string) string { return strings.ToLower(p) }

// portRange is an inclusive range of ports.
type portRange struct{ lo, hi int }

// String renders the range for messages.
func (r portRange) String() string {
	switch {
	case r.lo == 0 && r.hi == 65535:
		return "all ports"
	case r.lo == r.hi:
		return fmt.Sprintf("port %d", r.lo)
	}
	return fmt.Sprintf("ports %d-%d", r.lo, r.hi)
}

// parseAddr parses an IP address, returning the zero Addr on failure.
func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// hostPrefix is the single-address prefix length for a's family (32 or 128).
func hostPrefix(a netip.Addr) int { return a.BitLen() }

// ifaceAddr is one address of a guest interface.
type ifaceAddr struct {
	iface  *schema.Interface
	prefix netip.Prefix
}

// guestView is a guest with its addresses parsed.
type guestView struct {
	g     *schema.Guest
	addrs []ifaceAddr
	// nics is the number of interfaces of kind nic.
	nics int
}

func newGuestView(g *schema.Guest) *guestView {
	v := &guestView{g: g}
	for _, i := range g.Interfaces {
		if i.Kind == "nic" {
			v.nics++
		}
		for _, a := range i.Addresses {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				addr := parseAddr(a)
				if !addr.IsValid() {
					continue
				}
				p = netip.PrefixFrom(addr, addr.BitLen())
			}
			v.addrs = append(v.addrs, ifaceAddr{iface: i, prefix: netip.PrefixFrom(p.Addr().Unmap(), p.Bits())})
		}
	}
	return v
}

// isWindows reports whether the guest runs Windows.
func (v *guestView) isWindows() bool { return v.g.OS == "windows" }

// holder returns the guest address that makes a local: the same address
// on any interface, or a loopback prefix that contains it (Linux makes a
// whole loopback prefix local).
func (v *guestView) holder(a netip.Addr) (ifaceAddr, bool) {
	for _, x := range v.addrs {
		if x.prefix.Addr() == a {
			return x, true
		}
	}
	if !v.isWindows() {
		for _, x := range v.addrs {
			if x.iface.Kind == "loopback" && x.prefix.Contains(a) {
				return x, true
			}
		}
	}
	return ifaceAddr{}, false
}

// nic returns the guest interface of kind nic that holds dip, or the first
// nic when none does, or nil.
func (v *guestView) nic(dip netip.Addr) *schema.Interface {
	if x, ok := v.holder(dip); ok && x.iface.Kind == "nic" {
		return x.iface
	}
	for _, i := range v.g.Interfaces {
		if i.Kind == "nic" {
			return i
		}
	}
	return nil
}

// loopbackName is the name of the guest's first loopback interface, or
// the OS's usual name when it declares none.
func (v *guestView) loopbackName() string {
	for _, i := range v.g.Interfaces {
		if i.Kind == "loopback" {
			return i.Name
		}
	}
	if v.isWindows() {
		return "Loopback"
	}
	return "lo"
}

// isWildcard reports whether a listener address accepts every local address
// of family fam. "::" is a dual-stack socket and accepts IPv4 too.
func isWildcard(addr string, dst netip.Addr) bool {
	switch addr {
	case "", "::", "*":
		return true
	case "0.0.0.0":
		return dst.Is4()
	}
	return false
}

// serves reports whether a listener accepts proto traffic to dst:port.
func serves(l *schema.Listener, proto string, dst netip.Addr, port int) bool {
	return l.Proto == proto && l.Port == port && (isWildcard(l.Address, dst) || parseAddr(l.Address) == dst)
}

// listenerFor returns whether some listener serves proto dst:port and, if
// none does, the first listener on the same protocol and port (bound to a
// different address), or nil.
func (v *guestView) listenerFor(proto string, dst netip.Addr, port int) (ok bool, other *schema.Listener) {
	for _, l := range v.g.Listeners {
		if serves(l, proto, dst, port) {
			return true, nil
		}
		if other == nil && l.Proto == proto && l.Port == port {
			other = l
		}
	}
	return false, other
}

// missingListener describes why no listener serves proto dst:port and
// returns the position to report: the wrongly bound listener's address, or
// the guest's listeners field.
func (v *guestView) missingListener(proto string, dst netip.Addr, port int) (string, schema.Pos, string) {
	_, other := v.listenerFor(proto, dst, port)
	if other != nil {
		return fmt.Sprintf("its %s listener on port %d is bound to %s", proto, port, other.Address),
			other.At("address"), other.Path()
	}
	return fmt.Sprintf("it declares no %s listener on port %d", proto, port), v.g.At("listeners"), v.g.Path()
}

// hostPort renders addr:port, bracketing IPv6.
func hostPort(a netip.Addr, port int) string {
	return netip.AddrPortFrom(a, uint16(port)).String()
}

// packet is an inbound packet a guest firewall judges. An invalid src
// stands for "any client".
type packet struct {
	proto string
	src   netip.Addr
	dst   netip.Addr
	port  int
}

// matchAddr reports whether a firewall rule's address field matches a. An
// empty field matches anything; a set field never matches an unknown a.
func matchAddr(field string, a netip.Addr) bool {
	if field == "" || field == "any" || field == "*" {
		return true
	}
	if !a.IsValid() {
		return false
	}
	if p, err := netip.ParsePrefix(field); err == nil {
		return p.Contains(a)
	}
	return parseAddr(field) == a
}

// matches reports whether a firewall rule applies to p.
func matches(r *schema.FirewallRule, p packet) bool {
	return (r.Proto == "" || r.Proto == "any" || r.Proto == p.proto) &&
		(r.LocalPort == 0 || r.LocalPort == p.port) &&
		matchAddr(r.LocalAddress, p.dst) &&
		matchAddr(r.RemoteAddress, p.src)
}

// firewallAllows judges p against the guest firewall. Windows Defender
// Firewall lets any matching block rule win over allow rules; Linux
// (nftables/iptables/ufw chains) takes the first matching rule. With no
// match the default inbound action applies; only "allow" lets p in. block
// is the matching block rule, if any.
func (v *guestView) firewallAllows(p packet) (ok bool, block *schema.FirewallRule) {
	if !v.firewallEnabled() {
		return true, nil
	}
	fw := v.g.Firewall
	allowed := false
	for _, r := range fw.Rules {
		if !matches(r, p) {
			continue
		}
		if r.Action != "allow" {
			return false, r
		}
		if !v.isWindows() {
			return true, nil
		}
		allowed = true
	}
	if allowed {
		return true, nil
	}
	return fw.DefaultInbound == "allow", nil
}

// firewallEnabled reports whether the guest's firewall filters inbound
// packets; otherwise firewallAllows lets every packet in.
func (v *guestView) firewallEnabled() bool { return v.g.Firewall != nil && v.g.Firewall.Enabled }

// firewallPos is where to report a packet the firewall drops: the block
// rule's action, or the firewall's default inbound policy.
func (v *guestView) firewallPos(block *schema.FirewallRule) (schema.Pos, string, string) {
	if block != nil {
		return block.At("action"), block.Path(), fmt.Sprintf("firewall rule %q blocks it", block.Name)
	}
	fw := v.g.Firewall
	return fw.At("defaultInbound"), fw.Path(), "no firewall rule allows it and the default inbound action is " + orBlock(fw.DefaultInbound)
}

func orBlock(s string) string {
	if s == "" {
		return "block"
	}
	return s
}

// allowFix is the command that opens proto dst:port (from src when valid)
// in the guest's firewall; name and proto are quoted (quote.go).
func (v *guestView) allowFix(name, proto string, src, dst netip.Addr, port int) string {
	if v.isWindows() {
		cmd := fmt.Sprintf(`netsh advfirewall firewall add rule name=%s dir=in action=allow protocol=%s localip=%s localport=%d`,
			netshArg(name, "rule name"), netshWord(strings.ToUpper(proto), "protocol"), dst, port)
		if src.IsValid() {
			cmd += " remoteip=" + src.String()
		}
		return cmd
	}
	family := "ip"
	if dst.Is6() {
		family = "ip6"
	}
	cmd := "nft add rule inet filter input "
	if src.IsValid() {
		cmd += fmt.Sprintf("%s saddr %s ", family, src)
	}
	return cmd + fmt.Sprintf("%s daddr %s %s dport %d accept", family, dst, shArg(proto, "protocol"), port)
}

// addressFix is the command that puts fip on the guest's loopback (its
// name quoted: quote.go).
func (v *guestView) addressFix(fip netip.Addr) string {
	lo := v.loopbackName()
	if !v.isWindows() {
		return fmt.Sprintf("ip addr add %s/%d dev %s", fip, hostPrefix(fip), shArg(lo, "loopback name"))
	}
	if fip.Is6() {
		return fmt.Sprintf(`netsh interface ipv6 add address %s %s/128`, netshArg(lo, "loopback name"), fip) + "\n" + weakHostFix(lo, fip, true, true)
	}
	return fmt.Sprintf(`netsh interface ipv4 add address %s %s 255.255.255.255`, netshArg(lo, "loopback name"), fip) + "\n" + weakHostFix(lo, fip, true, true)
}

// weakHostFix is the netsh line that enables the weak host flags on a
// Windows interface for a's address family (its name quoted: quote.go).
func weakHostFix(iface string, a netip.Addr, receive, send bool) string {
	family := "ipv4"
	if a.Is6() {
		family = "ipv6"
	}
	cmd := fmt.Sprintf(`netsh interface %s set interface %s`, family, netshArg(iface, "interface name"))
	if receive {
		cmd += " weakhostreceive=enabled"
	}
	if send {
		cmd += " weakhostsend=enabled"
	}
	return cmd
}

// quoteList renders up to max names as "a", "b" and says how many more.
func quoteList(names []string, max int) string {
	q := make([]string, 0, max)
	for i, n := range names {
		if i == max {
			return strings.Join(q, ", ") + fmt.Sprintf(" and %d more", len(names)-max)
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	return strings.Join(q, ", ")
}

// limits are the per-SKU maxima LB1009 checks.
type limits struct{ rules, frontends, members int }

// nicRuleLimit is the number of rules that may reach one NIC.
const nicRuleLimit = 300

func skuLimits(sku string) limits {
	if sku == "Basic" {
		return limits{rules: 250, frontends: 200, members: 300}
	}
	return limits{rules: 1500, frontends: 600, members: 5000}
}

// skuName names a SKU for messages; empty means the Standard default.
func skuName(sku string) string {
	if sku == "" {
		return "Standard"
	}
	return sku
}

// sqlProbePort is the probe port Microsoft's availability-group guides use.
const sqlProbePort = 59999

// looksLikeSQLListener reports whether a load-balancing rule matches the
// SQL Server availability group listener pattern: probe port 59999 and
// port 1433, or a name containing "sql" or an "ag" token (ag, ag1, ...).
// ok is false when that depends on a value only known at deployment. The
// backend port, which the finding names, is always needed.
func looksLikeSQLListener(pass *lint.Pass, b *binding) (is, ok bool) {
	p, ok := b.probe(pass)
	if !ok || p == nil {
		return false, ok
	}
	if !known(pass, p, probePort) {
		return false, false
	}
	if p.Port != sqlProbePort {
		return false, true
	}
	if !b.known(pass, bindBackendPort) {
		return false, false
	}
	if b.backendPort == 1433 || b.settled(bindFrontendPort, b.rule.FrontendPort == 1433) || b.settled(bindName, sqlName(b.name)) {
		return true, true
	}
	return false, b.known(pass, bindFrontendPort, bindName)
}

// sqlName reports whether a rule name contains "sql" or an "ag" token.
func sqlName(name string) bool {
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

// probeSource is the address Azure's IPv4 health probes come from.
var probeSource = netip.MustParseAddr("168.63.129.16")

// pair names two bindings for a message: `rules "a" and "b"`, or each
// with its kind, and its load balancer when they differ.
func pair(a, b *binding) string {
	switch {
	case a.lbv != b.lbv:
		return a.qualified() + " and " + b.qualified()
	case a.kind == b.kind:
		return fmt.Sprintf("%ss %q and %q", a.kind, a.name, b.name)
	}
	return a.String() + " and " + b.String()
}

// firstBeyond returns the node and description of the rule at index i of
// lb's load-balancing rules followed by its inbound NAT rules.
func firstBeyond(lb *schema.LoadBalancer, i int) (*schema.Node, string) {
	if i < len(lb.LoadBalancingRules) {
		r := lb.LoadBalancingRules[i]
		return &r.Node, fmt.Sprintf("rule %q", r.Name)
	}
	n := lb.InboundNatRules[i-len(lb.LoadBalancingRules)]
	return &n.Node, fmt.Sprintf("NAT rule %q", n.Name)
}
