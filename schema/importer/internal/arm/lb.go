package arm

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
)

// natPool is an inbound NAT pool: scale set instances that use it get one
// NAT rule each, named pool.N, with frontend port start+N.
type natPool struct {
	lb   *schema.LoadBalancer
	v    *expr.Value // the pool object
	name string
}

func (im *importer) loadBalancer(res *resource) {
	body := res.eval(im.ev)
	lb := &schema.LoadBalancer{Name: lastName(res.name), SKU: schema.SKUBasic, Type: schema.LBInternal}
	base := "loadBalancers." + lb.Name
	lb.SetPos(pos(body.At), base)
	r := &reader{im: im, obj: body, node: &lb.Node}
	r.nameField()
	im.mayNotDeploy(res, "load balancer "+lb.Name)
	if sku := body.Get("sku"); sku != nil {
		enum(&reader{im: im, obj: sku, node: &lb.Node}, &lb.SKU, "sku", "name", schema.SKUs...)
	}
	if m, ok := r.member("frontendIPConfigurations"); ok && !m.Value.Known() {
		r.unknown("type", m.KeyAt, m.Value.Reason())
	}
	for _, v := range r.list("frontendIPConfigurations", "frontend IP configuration") {
		fe, public := im.frontend(r, v, base)
		lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, fe)
		if public {
			lb.Type = "public"
			lb.SetField("type", pos(v.At))
		}
	}
	for _, v := range r.list("backendAddressPools", "backend pool") {
		lb.BackendAddressPools = append(lb.BackendAddressPools, im.pool(r, v, base))
	}
	for _, v := range r.list("probes", "probe") {
		lb.Probes = append(lb.Probes, probe(r, v, base))
	}
	for _, v := range r.list("loadBalancingRules", "load-balancing rule") {
		lb.LoadBalancingRules = append(lb.LoadBalancingRules, rule(r, v, base))
	}
	for _, v := range r.list("inboundNatRules", "inbound NAT rule") {
		lb.InboundNatRules = append(lb.InboundNatRules, im.natRule(r, v, base))
	}
	for _, v := range r.list("inboundNatPools", "inbound NAT pool") {
		np := &natPool{lb: lb, v: v}
		np.name = (&reader{im: im, obj: v}).name()
		key := strings.ToLower(lb.Name)
		im.natPools[key] = append(im.natPools[key], np)
	}
	for _, v := range r.list("outboundRules", "outbound rule") {
		lb.OutboundRules = append(lb.OutboundRules, outboundRule(r, v, base))
	}
	im.f.Result.Deployment.LoadBalancers = append(im.f.Result.Deployment.LoadBalancers, lb)
}

// frontend reads a frontend IP configuration; public reports whether it
// has a public IP address or prefix.
func (im *importer) frontend(lbr *reader, v *expr.Value, base string) (*schema.Frontend, bool) {
	fe := &schema.Frontend{}
	r := lbr.child(v, &fe.Node, &fe.Name, base+".frontendIPConfigurations.")
	prefix, hasPrefix := r.member("publicIPPrefix")
	hasPrefix = hasPrefix && !prefix.Value.IsNull()
	if m, ok := r.member("privateIPAddress"); ok && !m.Value.IsNull() {
		r.str(&fe.IPAddress, "ipAddress", "privateIPAddress")
		return fe, false
	}
	if m, ok := r.member("publicIPAddress"); ok && !m.Value.IsNull() {
		im.publicIP(r, fe, m)
		return fe, true
	}
	at := v.At
	if m, ok := r.member("privateIPAllocationMethod"); ok {
		at = m.KeyAt
	}
	r.unknown("ipAddress", at, "the private IP address is allocated by Azure (Dynamic)")
	return fe, hasPrefix
}

// publicIP resolves a frontend's public IP reference to an address when the
// public IP resource (with its address) is in the same file.
func (im *importer) publicIP(r *reader, fe *schema.Frontend, ref expr.Member) {
	id, _ := ref.Value.Get("id").Name()
	name := segment(id, "publicIPAddresses")
	if pip := im.pipByName[strings.ToLower(name)]; pip != nil {
		pr := &reader{im: im, obj: pip.eval(im.ev), node: &fe.Node}
		if m, ok := pr.member("ipAddress"); ok && !m.Value.IsNull() {
			pr.str(&fe.IPAddress, "ipAddress", "ipAddress")
			return
		}
	}
	if name == "" {
		name = "(unresolved reference)"
	}
	r.unknown("ipAddress", ref.KeyAt, "public IP address "+name+" is allocated by Azure; add `az network public-ip show` output for it")
}

func (im *importer) pool(lbr *reader, v *expr.Value, base string) *schema.BackendPool {
	p := &schema.BackendPool{}
	r := lbr.child(v, &p.Node, &p.Name, base+".backendAddressPools.")
	im.poolMembers(r, p)
	return p
}

// poolMembers adds the members a pool object lists itself: az CLI output
// names the NIC IP configurations (without the VM: the NIC's own entry
// replaces them); IP-address members are reported, not checked.
func (im *importer) poolMembers(r *reader, p *schema.BackendPool) {
	path := p.Path()
	for _, ref := range r.list("backendIPConfigurations", "backend IP configuration") {
		if m := im.poolMember(ref, path+".members"); m != nil {
			build.AddMember(p, m)
		}
	}
	if m, ok := r.member("loadBalancerBackendAddresses"); ok && len(m.Value.Items()) > 0 {
		what := "members given by IP address"
		if prop(m.Value.Items()[0], "loadBalancerFrontendIPConfiguration") != nil {
			what = "members that are frontends of regional load balancers (a cross-region load balancer)"
		}
		p.SetUnknown("members", pos(m.KeyAt), what+" are not imported")
		im.issue(path, m.KeyAt, schema.RuleUnknown, "%s: %s are not imported; rules do not check them", path, what)
	}
}

func probe(lbr *reader, v *expr.Value, base string) *schema.Probe {
	p := schema.Defaults(&schema.Probe{})
	r := lbr.child(v, &p.Node, &p.Name, base+".probes.")
	enum(r, &p.Protocol, "protocol", "protocol", schema.ProbeProtocols...)
	r.int(&p.Port, "port", "port")
	r.int(&p.IntervalInSeconds, "intervalInSeconds", "intervalInSeconds")
	r.int(&p.NumberOfProbes, "numberOfProbes", "numberOfProbes")
	r.int(&p.ProbeThreshold, "probeThreshold", "probeThreshold")
	r.str(&p.RequestPath, "requestPath", "requestPath")
	enum(r, &p.NoHealthyBackendsBehavior, "noHealthyBackendsBehavior", "noHealthyBackendsBehavior", schema.NoHealthyBehaviors...)
	return p
}

func rule(lbr *reader, v *expr.Value, base string) *schema.Rule {
	ru := schema.Defaults(&schema.Rule{})
	r := lbr.child(v, &ru.Node, &ru.Name, base+".loadBalancingRules.")
	r.ref(&ru.FrontendIPConfiguration, "frontendIPConfiguration", "frontendIPConfiguration", "frontendIPConfigurations")
	if m, ok := r.member("backendAddressPool"); ok && !m.Value.IsNull() {
		r.refValue(&ru.BackendAddressPool, "backendAddressPool", m.Value, m.KeyAt, "backendAddressPools")
	} else if m, ok := r.member("backendAddressPools"); ok && len(m.Value.Items()) > 0 {
		r.refValue(&ru.BackendAddressPool, "backendAddressPool", m.Value.Elems[0], m.KeyAt, "backendAddressPools")
	}
	r.ref(&ru.Probe, "probe", "probe", "probes")
	enum(r, &ru.Protocol, "protocol", "protocol", schema.Protocols...)
	r.int(&ru.FrontendPort, "frontendPort", "frontendPort")
	r.int(&ru.BackendPort, "backendPort", "backendPort")
	r.bool(&ru.EnableFloatingIP, "enableFloatingIP", "enableFloatingIP")
	r.bool(&ru.EnableTcpReset, "enableTcpReset", "enableTcpReset")
	r.bool(&ru.DisableOutboundSnat, "disableOutboundSnat", "disableOutboundSnat")
	r.int(&ru.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idleTimeoutInMinutes")
	enum(r, &ru.LoadDistribution, "loadDistribution", "loadDistribution", schema.Distributions...)
	return ru
}

func (im *importer) natRule(lbr *reader, v *expr.Value, base string) *schema.NatRule {
	nr := schema.Defaults(&schema.NatRule{})
	r := lbr.child(v, &nr.Node, &nr.Name, base+".inboundNatRules.")
	natFields(r, nr)
	r.ref(&nr.BackendAddressPool, "backendAddressPool", "backendAddressPool", "backendAddressPools")
	r.int(&nr.FrontendPort, "frontendPort", "frontendPort")
	r.int(&nr.FrontendPortRangeStart, "frontendPortRangeStart", "frontendPortRangeStart")
	r.int(&nr.FrontendPortRangeEnd, "frontendPortRangeEnd", "frontendPortRangeEnd")
	// az CLI output names the target IP configuration on the rule itself.
	if t, ok := r.member("backendIPConfiguration"); ok && !t.Value.IsNull() {
		if m := im.poolMember(t.Value, nr.Path()+".target"); m != nil {
			nr.Target = m
			nr.SetField("target", pos(t.KeyAt))
		}
	}
	return nr
}

// natFields reads what NAT rules and NAT pools share.
func natFields(r *reader, nr *schema.NatRule) {
	r.ref(&nr.FrontendIPConfiguration, "frontendIPConfiguration", "frontendIPConfiguration", "frontendIPConfigurations")
	enum(r, &nr.Protocol, "protocol", "protocol", schema.Protocols...)
	r.int(&nr.BackendPort, "backendPort", "backendPort")
	r.bool(&nr.EnableFloatingIP, "enableFloatingIP", "enableFloatingIP")
	r.bool(&nr.EnableTcpReset, "enableTcpReset", "enableTcpReset")
	r.int(&nr.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idleTimeoutInMinutes")
}

func outboundRule(lbr *reader, v *expr.Value, base string) *schema.OutboundRule {
	or := schema.Defaults(&schema.OutboundRule{})
	r := lbr.child(v, &or.Node, &or.Name, base+".outboundRules.")
	if m, ok := r.member("frontendIPConfigurations"); ok {
		if !m.Value.Known() {
			r.unknown("frontendIPConfigurations", m.KeyAt, m.Value.Reason())
		}
		for _, fe := range m.Value.Items() {
			var name string
			r.refValue(&name, "frontendIPConfigurations", fe, m.KeyAt, "frontendIPConfigurations")
			if name != "" {
				or.FrontendIPConfigurations = append(or.FrontendIPConfigurations, name)
			}
		}
	}
	r.ref(&or.BackendAddressPool, "backendAddressPool", "backendAddressPool", "backendAddressPools")
	enum(r, &or.Protocol, "protocol", "protocol", schema.Protocols...)
	r.int(&or.AllocatedOutboundPorts, "allocatedOutboundPorts", "allocatedOutboundPorts")
	r.int(&or.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idleTimeoutInMinutes")
	r.bool(&or.EnableTcpReset, "enableTcpReset", "enableTcpReset")
	return or
}

// lbChild imports a child resource declared on its own, e.g.
// Microsoft.Network/loadBalancers/inboundNatRules named "lb/rdp". A child
// that repeats an object the load balancer declares inline (a template
// that fills an inline pool in a second step) is merged into it.
func (im *importer) lbChild(res *resource, child string) {
	lbName, _, _ := strings.Cut(res.name, "/")
	var lb *schema.LoadBalancer
	for _, l := range im.f.Result.Deployment.LoadBalancers {
		if strings.EqualFold(l.Name, lbName) {
			lb = l
		}
	}
	if lb == nil {
		im.issue("", expr.At(res.file, res.decl), schema.RuleUnknown, "%s %s belongs to load balancer %s, which none of the input files declares; it is not checked (lint the file that deploys %s too)",
			typeNoun(res.typ), res.name, lbName, lbName)
		return
	}
	body := res.eval(im.ev)
	lbr := &reader{im: im, obj: body, node: &lb.Node}
	base := "loadBalancers." + lb.Name
	im.mayNotDeploy(res, typeNoun(res.typ)+" "+res.name)
	switch child {
	case "inboundnatrules":
		nr := im.natRule(lbr, body, base)
		if i := indexByName(lb.InboundNatRules, nr.Name, func(n *schema.NatRule) string { return n.Name }); i >= 0 {
			lb.InboundNatRules[i] = nr
			return
		}
		lb.InboundNatRules = append(lb.InboundNatRules, nr)
	case "backendaddresspools":
		if i := indexByName(lb.BackendAddressPools, lastName(res.name), func(p *schema.BackendPool) string { return p.Name }); i >= 0 {
			p := lb.BackendAddressPools[i]
			im.poolMembers(&reader{im: im, obj: body, node: &p.Node}, p)
			return
		}
		lb.BackendAddressPools = append(lb.BackendAddressPools, im.pool(lbr, body, base))
	}
}

// indexByName returns the index of the object named name (ignoring case).
func indexByName[T any](objs []T, name string, nameOf func(T) string) int {
	for i, o := range objs {
		if strings.EqualFold(nameOf(o), name) {
			return i
		}
	}
	return -1
}
