package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// This file holds what several rules share: the deployment's semantic view
// (schema/view), built once per lint run (viewOf), and the gating wrappers
// that make a rule ask lint.Pass.Known before it reads a field of it. A
// View holds placeholders for the values an importer left unknown, so no
// rule reads a View field without the question fields.go's known asks.

// viewKey is the lint.Pass.Shared key of the run's view.
type viewKey struct{}

// viewOf returns the view of the pass's deployment, built once per lint
// run and shared by every rule: lookups by name, a binding's deliveries and
// a guest's addresses and listeners are map reads or precomputed.
func viewOf(pass *lint.Pass) *view.View {
	return pass.Shared(viewKey{}, func() any { return view.Resolve(pass.Deployment) }).(*view.View)
}

// binding is a view binding read through the unknown-field gates. It is
// compared by the view binding it wraps.
type binding struct{ *view.Binding }

// bindings lists the load-balancing rules and then the inbound NAT rules
// of one load balancer, in declaration order. needs names the fields the
// calling rule reads of every binding before anything else; a rule or NAT
// rule with one of them only known at deployment (imported ARM expressions,
// Terraform unknowns) is left out and recorded for LB0010 (see known). A
// field the caller reads only in some cases it asks for in those cases,
// with binding.known.
func bindings(pass *lint.Pass, l *view.LB, needs ...bindingField) []binding {
	bs := make([]binding, 0, len(l.Bindings))
	for _, vb := range l.Bindings {
		if b := (binding{vb}); b.known(pass, needs...) {
			bs = append(bs, b)
		}
	}
	return bs
}

// qualified names the binding with its load balancer, for messages that
// may mention two load balancers.
func (b binding) qualified() string {
	return fmt.Sprintf("%s of load balancer %q", b, b.LB.Name)
}

// frontendName is the name of the frontend the binding references, as
// written; its field must be known (bindFrontend).
func (b binding) frontendName() string {
	if b.Rule != nil {
		return b.Rule.FrontendIPConfiguration
	}
	return b.NAT.FrontendIPConfiguration
}

// haPorts reports whether b is an HA-ports load-balancing rule (All, ports
// 0). A known protocol other than All or a known nonzero port settles that
// it is not; otherwise ok is false when one of the three is only known at
// deployment.
func (b binding) haPorts(pass *lint.Pass) (is, ok bool) {
	if b.Rule == nil || b.settled(bindProtocol, b.Protocol != schema.ProtocolAll) ||
		b.settled(bindFrontendPort, b.Rule.FrontendPort != 0) || b.settled(bindBackendPort, b.BackendPort != 0) {
		return false, true
	}
	if !b.known(pass, bindProtocol, bindFrontendPort, bindBackendPort) {
		return false, false
	}
	return b.HAPorts, true
}

// fip is the address of the binding's frontend, invalid when it does not
// parse or the frontend does not exist (LB1001); ok is false when the
// frontend reference or its address is only known at deployment.
func (b binding) fip(pass *lint.Pass) (a netip.Addr, ok bool) {
	if !b.known(pass, bindFrontend) {
		return netip.Addr{}, false
	}
	if b.Frontend == nil {
		return netip.Addr{}, true
	}
	if !known(pass, b.Frontend.Frontend, frontendIPAddress) {
		return netip.Addr{}, false
	}
	return b.Frontend.Addr, true
}

// knownPool reports whether the backends the binding reaches (Pool,
// Deliveries) are known: a classic NAT rule names its target, others
// reference a pool, which may be only known at deployment.
func (b binding) knownPool(pass *lint.Pass) bool {
	return (b.NAT != nil && b.NAT.Target != nil) || b.known(pass, bindPool)
}

// probe is the rule's health probe, nil for NAT rules and rules without one;
// ok is false when the rule's probe reference is only known at deployment.
func (b binding) probe(pass *lint.Pass) (p *schema.Probe, ok bool) {
	if b.Rule == nil {
		return nil, true
	}
	if !known(pass, b.Rule, ruleProbe) {
		return nil, false
	}
	return b.Probe, true
}

// ipConfigSet is the set of IP configurations a binding with a known pool
// reference reaches.
func ipConfigSet(b binding) map[*schema.IPConfig]bool {
	s := make(map[*schema.IPConfig]bool, len(b.Deliveries))
	for _, d := range b.Deliveries {
		s[d.IPConfig] = true
	}
	return s
}

// shareBackends reports whether two bindings reach a common IP
// configuration; ok is false when the pool reference of either is only
// known at deployment. sets caches ipConfigSet per binding.
func shareBackends(pass *lint.Pass, a, b binding, sets map[binding]map[*schema.IPConfig]bool) (share, ok bool) {
	if ka, kb := a.knownPool(pass), b.knownPool(pass); !ka || !kb {
		return false, false
	}
	if a.Pool != nil && a.Pool == b.Pool {
		return len(a.Deliveries) > 0, true
	}
	sa, sb := sets[a], sets[b]
	if sa == nil {
		sa = ipConfigSet(a)
		sets[a] = sa
	}
	if sb == nil {
		sb = ipConfigSet(b)
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

// pair names two bindings for a message: `rules "a" and "b"`, or each
// with its kind, and its load balancer when they differ.
func pair(a, b binding) string {
	switch {
	case a.LB != b.LB:
		return a.qualified() + " and " + b.qualified()
	case a.Kind == b.Kind:
		return fmt.Sprintf("%ss %q and %q", a.Kind, a.Name, b.Name)
	}
	return a.String() + " and " + b.String()
}

// delivery is a view delivery to a VM with a guest declaration, read
// through the unknown-field gates; b is its binding.
type delivery struct {
	*view.Delivery
	b binding
}

// deliveries calls fn for every delivery to a VM with a guest declaration:
// guest by guest (in the order of their first delivery), and for each
// guest in binding and member order, so that a guest's indexes stay in
// cache while its deliveries are judged. Every key a guest rule
// deduplicates findings by belongs to one guest, so the order picks the
// same first delivery per key as binding order would. Every guest rule
// looks at its guest first and asks for the binding's fields only when
// that guest needs them, so deliveries itself needs nothing but the
// bindings' pool references, and those only when some guest is declared.
// Bindings whose pool reference is only known at deployment are left out.
// Members Azure sends no flow (view.Delivery.Excluded) are included: the
// guest rules judge the guests of every member. Its cost is the sum of the
// bindings' pool sizes.
//
// A rule that judges only some guests (Windows ones, those with a firewall)
// says which with of, and the deliveries of other guests are not walked; a
// nil of walks every guest.
func deliveries(pass *lint.Pass, of func(*view.Guest) bool, fn func(delivery)) {
	v := viewOf(pass)
	if len(v.Guests) == 0 {
		return
	}
	knownPool := make([]bool, len(v.Bindings))
	for i, vb := range v.Bindings {
		knownPool[i] = binding{vb}.knownPool(pass)
	}
	for _, ds := range byGuestOf(pass) {
		if of != nil && len(ds) > 0 && !of(ds[0].d.Guest) {
			continue
		}
		for _, x := range ds {
			if knownPool[x.binding] {
				fn(delivery{x.d, binding{v.Bindings[x.binding]}})
			}
		}
	}
}

// hasListeners reports whether g declares listeners (the rules about them
// judge only such guests).
func hasListeners(g *view.Guest) bool { return len(g.Guest.Listeners) > 0 }

// guestDelivery is a delivery to a VM with a guest declaration and the
// index of its binding in view.View.Bindings.
type guestDelivery struct {
	d       *view.Delivery
	binding int
}

// byGuestKey is the lint.Pass.Shared key of the run's deliveries by guest.
type byGuestKey struct{}

// byGuestOf returns the view's deliveries to VMs with a guest declaration,
// one list per guest in the order of its first delivery, each in binding
// and member order; built once per lint run.
func byGuestOf(pass *lint.Pass) [][]guestDelivery {
	return pass.Shared(byGuestKey{}, func() any {
		slot := map[*view.Guest]int{}
		var out [][]guestDelivery
		for i, vb := range viewOf(pass).Bindings {
			for _, d := range vb.Deliveries {
				if d.Guest == nil {
					continue
				}
				k, ok := slot[d.Guest]
				if !ok {
					k = len(out)
					slot[d.Guest] = k
					out = append(out, nil)
				}
				out[k] = append(out[k], guestDelivery{d, i})
			}
		}
		return out
	}).([][]guestDelivery)
}

// dip is the delivery's DIP, invalid when it does not parse; ok is false
// when it is only known at deployment.
func (d delivery) dip(pass *lint.Pass) (a netip.Addr, ok bool) {
	if !known(pass, d.IPConfig, ipcAddress) {
		return netip.Addr{}, false
	}
	return d.DIP, true
}

// dst is the destination address the guest sees (view.Delivery.Dst): the
// frontend IP with Floating IP on, the DIP with it off; ok is false when
// the setting or that address is only known at deployment.
func (d delivery) dst(pass *lint.Pass) (netip.Addr, bool) {
	if !d.b.known(pass, bindFloatingIP) {
		return netip.Addr{}, false
	}
	var ok bool
	if d.b.Floating {
		_, ok = d.b.fip(pass)
	} else {
		_, ok = d.dip(pass)
	}
	if !ok {
		return netip.Addr{}, false
	}
	return d.Dst, true
}

// nic is the guest interface of kind nic that holds the delivery's DIP
// (see view.Guest.NIC); ok is false when that depends on a DIP only known
// at deployment. With at most one such interface the DIP is not needed.
func (d delivery) nic(pass *lint.Pass) (*schema.Interface, bool) {
	if d.Guest.NICs < 2 {
		return d.Guest.NIC(netip.Addr{}), true
	}
	dip, ok := d.dip(pass)
	if !ok {
		return nil, false
	}
	return d.Guest.NIC(dip), true
}

// mode describes the binding's Floating IP setting (known by then) for
// messages.
func (d delivery) mode() string {
	if d.b.Floating {
		return "Floating IP on"
	}
	return "Floating IP off"
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

// hostPrefix is the single-address prefix length for a's family (32 or 128).
func hostPrefix(a netip.Addr) int { return a.BitLen() }

// ipCommand is the iproute2 command for a's family: "ip" for IPv4, "ip -6"
// for IPv6.
func ipCommand(a netip.Addr) string {
	if a.Is6() {
		return "ip -6"
	}
	return "ip"
}

// hostPort renders addr:port, bracketing IPv6.
func hostPort(a netip.Addr, port int) string {
	return netip.AddrPortFrom(a, uint16(port)).String()
}

// missingListener describes why no listener of g serves proto dst:port and
// returns the position to report: the wrongly bound listener's address, or
// the guest's listeners field.
func missingListener(g *view.Guest, proto schema.SockProto, dst netip.Addr, port int) (string, schema.Pos, string) {
	if _, other := g.Serves(proto, dst, port); other != nil {
		return fmt.Sprintf("its %s listener on port %d is bound to %s", proto, port, other.Address),
			other.At("address"), other.Path()
	}
	return fmt.Sprintf("it declares no %s listener on port %d", proto, port), g.At("listeners"), g.Path()
}

// packet is an inbound packet a guest firewall judges. An invalid src
// stands for "any client".
type packet struct {
	proto schema.SockProto
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
	return view.ParseAddr(field) == a
}

// matches reports whether a firewall rule applies to p.
func matches(r *schema.FirewallRule, p packet) bool {
	return (r.Proto == "" || r.Proto == schema.SockAny || r.Proto == p.proto) &&
		(r.LocalPort == 0 || r.LocalPort == p.port) &&
		matchAddr(r.LocalAddress, p.dst) &&
		matchAddr(r.RemoteAddress, p.src)
}

// firewallAllows judges p against g's firewall. Windows Defender Firewall
// lets any matching block rule win over allow rules; Linux
// (nftables/iptables/ufw chains) takes the first matching rule. With no
// match the default inbound action applies; only "allow" lets p in. block
// is the matching block rule, if any.
func firewallAllows(g *view.Guest, p packet) (ok bool, block *schema.FirewallRule) {
	if !firewallEnabled(g) {
		return true, nil
	}
	fw := g.Firewall
	allowed := false
	for _, r := range fw.Rules {
		if !matches(r, p) {
			continue
		}
		if r.Action != schema.Allow {
			return false, r
		}
		if !g.IsWindows() {
			return true, nil
		}
		allowed = true
	}
	if allowed {
		return true, nil
	}
	return fw.DefaultInbound == schema.Allow, nil
}

// firewallEnabled reports whether g's firewall filters inbound packets;
// otherwise firewallAllows lets every packet in.
func firewallEnabled(g *view.Guest) bool { return g.Firewall != nil && g.Firewall.Enabled }

// firewallPos is where to report a packet g's firewall drops: the block
// rule's action, or the firewall's default inbound policy.
func firewallPos(g *view.Guest, block *schema.FirewallRule) (schema.Pos, string, string) {
	if block != nil {
		return block.At("action"), block.Path(), fmt.Sprintf("firewall rule %q blocks it", block.Name)
	}
	fw := g.Firewall
	return fw.At("defaultInbound"), fw.Path(), "no firewall rule allows it and the default inbound action is " + orBlock(fw.DefaultInbound)
}

func orBlock(s schema.FirewallAction) string {
	if s == "" {
		return string(schema.Block)
	}
	return string(s)
}

// allowFix is the command that opens proto dst:port (from src when valid)
// in g's firewall; name and proto are quoted (quote.go).
func allowFix(g *view.Guest, name string, proto schema.SockProto, src, dst netip.Addr, port int) string {
	if g.IsWindows() {
		cmd := fmt.Sprintf(`netsh advfirewall firewall add rule name=%s dir=in action=allow protocol=%s localip=%s localport=%d`,
			netshArg(name, "rule name"), netshWord(strings.ToUpper(string(proto)), "protocol"), dst, port)
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
	return cmd + fmt.Sprintf("%s daddr %s %s dport %d accept", family, dst, shArg(string(proto), "protocol"), port)
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
