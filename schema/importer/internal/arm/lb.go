package arm

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

func (im *importer) loadBalancer(res resource) {
	lb := &schema.LoadBalancer{Name: lastName(res.name), SKU: "Basic", Type: "internal"}
	base := "loadBalancers." + lb.Name
	r := (&reader{f: im.f, sc: res.scope}).sub(res.v, &lb.Node, base)
	r.node.SetField("name", im.f.KeyPos(res.v.Get("name")))
	if sku := res.v.Get("sku"); sku != nil {
		(&reader{f: im.f, sc: res.scope, obj: sku, node: &lb.Node}).str(&lb.SKU, "sku", "name")
	}
	for _, v := range r.prop("frontendIPConfigurations").Items() {
		fe := im.frontend(r, v, base)
		lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, fe)
		if isPublic(r, v) {
			lb.Type = "public"
			lb.SetField("type", im.f.KeyPos(v))
		}
	}
	for _, v := range r.prop("backendAddressPools").Items() {
		lb.BackendAddressPools = append(lb.BackendAddressPools, im.pool(r, v, base))
	}
	for _, v := range r.prop("probes").Items() {
		lb.Probes = append(lb.Probes, probe(r, v, base))
	}
	for _, v := range r.prop("loadBalancingRules").Items() {
		lb.LoadBalancingRules = append(lb.LoadBalancingRules, rule(r, v, base))
	}
	for _, v := range r.prop("inboundNatRules").Items() {
		lb.InboundNatRules = append(lb.InboundNatRules, im.natRule(r, v, base))
	}
	for _, v := range r.prop("outboundRules").Items() {
		lb.OutboundRules = append(lb.OutboundRules, outboundRule(r, v, base))
	}
	if cp := r.obj.Path("properties", "copy"); cp != nil {
		im.f.Issuef(im.f.KeyPos(cp), build.RuleUnknown, "%s: property copy loops are not expanded; the objects they declare are not checked", base)
	}
	im.f.Result.Deployment.LoadBalancers = append(im.f.Result.Deployment.LoadBalancers, lb)
}

func isPublic(r *reader, fe *jsonpos.Value) bool {
	sub := &reader{f: r.f, sc: r.sc, obj: fe}
	return !sub.prop("publicIPAddress").IsNull() || !sub.prop("publicIPPrefix").IsNull()
}

func (im *importer) frontend(lbr *reader, v *jsonpos.Value, base string) *schema.Frontend {
	fe := &schema.Frontend{}
	r := lbr.child(v, &fe.Node, &fe.Name, base+".frontendIPConfigurations.")
	if ip := r.prop("privateIPAddress"); !ip.IsNull() {
		r.str(&fe.IPAddress, "ipAddress", "privateIPAddress")
		return fe
	}
	if pip := r.prop("publicIPAddress"); !pip.IsNull() {
		im.publicIP(r, fe, pip)
		return fe
	}
	method := r.prop("privateIPAllocationMethod")
	if method == nil {
		method = v
	}
	im.f.Unknown(&fe.Node, "ipAddress", method, "the private IP address is allocated by Azure (Dynamic)")
	return fe
}

// publicIP resolves a frontend's public IP reference to an address when the
// public IP resource (with its address) is in the same file.
func (im *importer) publicIP(r *reader, fe *schema.Frontend, ref *jsonpos.Value) {
	id, _ := r.eval(ref.Get("id"))
	name := segment(id, "publicIPAddresses")
	if pip := im.pipByName[strings.ToLower(name)]; pip != nil {
		pr := &reader{f: im.f, sc: r.sc, obj: pip, node: &fe.Node}
		if addr := pr.prop("ipAddress"); !addr.IsNull() {
			pr.str(&fe.IPAddress, "ipAddress", "ipAddress")
			return
		}
	}
	if name == "" {
		name = "(unresolved reference)"
	}
	im.f.Unknown(&fe.Node, "ipAddress", ref, "public IP address "+name+" is allocated by Azure; add `az network public-ip show` output for it")
}

func (im *importer) pool(lbr *reader, v *jsonpos.Value, base string) *schema.BackendPool {
	p := &schema.BackendPool{}
	r := lbr.child(v, &p.Node, &p.Name, base+".backendAddressPools.")
	path := p.Path()
	// az CLI output lists members on the load balancer side too, without
	// the VM: the NIC's own entry (az network nic show) replaces them.
	for _, ref := range r.prop("backendIPConfigurations").Items() {
		if m := r.member(ref, im.vmByNIC, path+".members"); m != nil {
			p.Members = append(p.Members, m.Member)
		}
	}
	return p
}

func probe(lbr *reader, v *jsonpos.Value, base string) *schema.Probe {
	p := &schema.Probe{IntervalInSeconds: build.DefaultInterval, ProbeThreshold: build.DefaultThreshold, NoHealthyBackendsBehavior: "AllProbedDown"}
	r := lbr.child(v, &p.Node, &p.Name, base+".probes.")
	r.str(&p.Protocol, "protocol", "protocol")
	r.int(&p.Port, "port", "port")
	r.int(&p.IntervalInSeconds, "intervalInSeconds", "intervalInSeconds")
	r.int(&p.NumberOfProbes, "numberOfProbes", "numberOfProbes")
	r.int(&p.ProbeThreshold, "probeThreshold", "probeThreshold")
	r.str(&p.RequestPath, "requestPath", "requestPath")
	r.str(&p.NoHealthyBackendsBehavior, "noHealthyBackendsBehavior", "noHealthyBackendsBehavior")
	return p
}

func rule(lbr *reader, v *jsonpos.Value, base string) *schema.Rule {
	ru := &schema.Rule{IdleTimeoutInMinutes: build.DefaultIdleTimeout, LoadDistribution: "Default"}
	r := lbr.child(v, &ru.Node, &ru.Name, base+".loadBalancingRules.")
	r.ref(&ru.FrontendIPConfiguration, "frontendIPConfiguration", r.prop("frontendIPConfiguration"), "frontendIPConfigurations")
	pool := r.prop("backendAddressPool")
	if pool.IsNull() {
		if pools := r.prop("backendAddressPools").Items(); len(pools) > 0 {
			pool = pools[0]
		}
	}
	r.ref(&ru.BackendAddressPool, "backendAddressPool", pool, "backendAddressPools")
	r.ref(&ru.Probe, "probe", r.prop("probe"), "probes")
	r.str(&ru.Protocol, "protocol", "protocol")
	r.int(&ru.FrontendPort, "frontendPort", "frontendPort")
	r.int(&ru.BackendPort, "backendPort", "backendPort")
	r.bool(&ru.EnableFloatingIP, "enableFloatingIP", "enableFloatingIP")
	r.bool(&ru.EnableTcpReset, "enableTcpReset", "enableTcpReset")
	r.bool(&ru.DisableOutboundSnat, "disableOutboundSnat", "disableOutboundSnat")
	r.int(&ru.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idleTimeoutInMinutes")
	r.str(&ru.LoadDistribution, "loadDistribution", "loadDistribution")
	return ru
}

func (im *importer) natRule(lbr *reader, v *jsonpos.Value, base string) *schema.NatRule {
	nr := &schema.NatRule{IdleTimeoutInMinutes: build.DefaultIdleTimeout}
	r := lbr.child(v, &nr.Node, &nr.Name, base+".inboundNatRules.")
	path := nr.Path()
	r.ref(&nr.FrontendIPConfiguration, "frontendIPConfiguration", r.prop("frontendIPConfiguration"), "frontendIPConfigurations")
	r.ref(&nr.BackendAddressPool, "backendAddressPool", r.prop("backendAddressPool"), "backendAddressPools")
	r.str(&nr.Protocol, "protocol", "protocol")
	r.int(&nr.FrontendPort, "frontendPort", "frontendPort")
	r.int(&nr.BackendPort, "backendPort", "backendPort")
	r.int(&nr.FrontendPortRangeStart, "frontendPortRangeStart", "frontendPortRangeStart")
	r.int(&nr.FrontendPortRangeEnd, "frontendPortRangeEnd", "frontendPortRangeEnd")
	r.bool(&nr.EnableFloatingIP, "enableFloatingIP", "enableFloatingIP")
	r.bool(&nr.EnableTcpReset, "enableTcpReset", "enableTcpReset")
	r.int(&nr.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idleTimeoutInMinutes")
	// az CLI output names the target IP configuration on the rule itself.
	if t := r.prop("backendIPConfiguration"); !t.IsNull() {
		if m := r.member(t, im.vmByNIC, path+".target"); m != nil {
			nr.Target = m.Member
			nr.SetField("target", im.f.KeyPos(t))
		}
	}
	return nr
}

func outboundRule(lbr *reader, v *jsonpos.Value, base string) *schema.OutboundRule {
	or := &schema.OutboundRule{IdleTimeoutInMinutes: build.DefaultIdleTimeout}
	r := lbr.child(v, &or.Node, &or.Name, base+".outboundRules.")
	for _, fe := range r.prop("frontendIPConfigurations").Items() {
		var name string
		r.ref(&name, "frontendIPConfigurations", fe, "frontendIPConfigurations")
		if name != "" {
			or.FrontendIPConfigurations = append(or.FrontendIPConfigurations, name)
		}
	}
	r.ref(&or.BackendAddressPool, "backendAddressPool", r.prop("backendAddressPool"), "backendAddressPools")
	r.str(&or.Protocol, "protocol", "protocol")
	r.int(&or.AllocatedOutboundPorts, "allocatedOutboundPorts", "allocatedOutboundPorts")
	r.int(&or.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idleTimeoutInMinutes")
	r.bool(&or.EnableTcpReset, "enableTcpReset", "enableTcpReset")
	return or
}

// lbChild imports a child resource declared on its own, e.g.
// Microsoft.Network/loadBalancers/inboundNatRules named "lb/rdp".
func (im *importer) lbChild(res resource, child string) {
	lbName, _, _ := strings.Cut(res.name, "/")
	var lb *schema.LoadBalancer
	for _, l := range im.f.Result.Deployment.LoadBalancers {
		if strings.EqualFold(l.Name, lbName) {
			lb = l
		}
	}
	if lb == nil {
		im.f.Issuef(im.f.Pos(res.v), build.RuleSchema, "%s %s belongs to load balancer %s, which is not in this file; put them in one template", res.typ, res.name, lbName)
		return
	}
	lbr := &reader{f: im.f, sc: res.scope, obj: res.v, node: &lb.Node}
	base := "loadBalancers." + lb.Name
	switch child {
	case "inboundnatrules":
		lb.InboundNatRules = append(lb.InboundNatRules, im.natRule(lbr, res.v, base))
	case "backendaddresspools":
		lb.BackendAddressPools = append(lb.BackendAddressPools, im.pool(lbr, res.v, base))
	default:
		im.f.Issuef(im.f.Pos(res.v), build.RuleUnknown, "resource type %s is not imported", res.typ)
	}
}
