package terraform

import (
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// reader reads attributes of one resource (or nested block) into one node.
type reader struct {
	f          *build.File
	after, unk *jsonpos.Value
	node       *schema.Node
}

func (im *importer) reader(r *res, n *schema.Node, path string) *reader {
	im.f.Object(n, r.v, path)
	return &reader{f: im.f, after: r.after, unk: r.unknown, node: n}
}

// block returns a reader for the i-th element of nested block name.
func (rd *reader) block(name string, i int, n *schema.Node, path string) *reader {
	v := rd.after.Get(name).Items()[i]
	var unk *jsonpos.Value
	if u := rd.unk.Get(name).Items(); i < len(u) {
		unk = u[i]
	}
	rd.f.Object(n, v, path)
	return &reader{f: rd.f, after: v, unk: unk, node: n}
}

// value returns the attribute's value, or false when it is absent, null or
// unknown (then marked unknown and reported).
func (rd *reader) value(field, attr string) (*jsonpos.Value, bool) {
	v := rd.after.Get(attr)
	if u := rd.unk.Get(attr); isTrue(u) {
		at := v
		if at == nil {
			at = u
		}
		rd.f.Unknown(rd.node, field, at, unknownWhy(u, attr))
		return nil, false
	}
	if v.IsNull() {
		return nil, false
	}
	rd.node.SetField(field, rd.f.KeyPos(v))
	return v, true
}

// unknownWhy is why u, attribute attr's after_unknown value, marks it
// unknown: the reason a configuration reader gives, else Terraform's.
func unknownWhy(u *jsonpos.Value, attr string) string {
	if u.Text != "" {
		return u.Text
	}
	return "Terraform attribute " + attr + " is known only after apply"
}

// name reads a resource's name; while it is unknown, the resource's
// address stands in (see res.name).
func (rd *reader) name(dst *string, r *res) {
	*dst = r.name()
	rd.str(dst, "name", "name")
}

func (rd *reader) typeError(field string, v *jsonpos.Value, want string) {
	rd.f.Issuef(rd.f.KeyPos(v), schema.RuleSchema, "%s.%s: want %s, got %s", rd.node.Path(), field, want, v.Kind)
}

func (rd *reader) str(dst *string, field, attr string) {
	if v, ok := rd.value(field, attr); ok {
		if s, ok := v.Str(); ok {
			*dst = s
			return
		}
		rd.typeError(field, v, "a string")
	}
}

// typedStr is str for a field of one of the schema's enumeration types.
func typedStr[T ~string](rd *reader, dst *T, field, attr string) {
	s := string(*dst)
	rd.str(&s, field, attr)
	*dst = T(s)
}

// int reads a number.
func (rd *reader) int(dst *int, field, attr string) {
	if v, ok := rd.value(field, attr); ok {
		if n, ok := intOf(v); ok {
			*dst = n
			return
		}
		rd.typeError(field, v, "an integer")
	}
}

// intOf is v's integer; a string holding one is converted, as Terraform
// converts a configuration's "80" for a number attribute.
func intOf(v *jsonpos.Value) (int, bool) {
	if n, ok := v.Int(); ok {
		return n, true
	}
	if s, ok := v.Str(); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return n, true
		}
	}
	return 0, false
}

// bool reads true or false; the strings "true" and "false" are
// converted, as Terraform converts them for a bool attribute.
func (rd *reader) bool(dst *bool, field, attr string) {
	if v, ok := rd.value(field, attr); ok {
		if v.Kind == jsonpos.Bool {
			*dst = v.Bool
			return
		}
		if s, ok := v.Str(); ok && (s == "true" || s == "false") {
			*dst = s == "true"
			return
		}
		rd.typeError(field, v, "true or false")
	}
}

// either reads a boolean the provider exposes under a current name and a
// deprecated alias (floating_ip_enabled / enable_floating_ip). Set to
// different values, they are OR-ed and reported under rule (unless rule is
// empty).
func (rd *reader) either(dst *bool, field, current, alias, rule string) {
	a, b := rd.after.Get(current), rd.after.Get(alias)
	if a != nil && b != nil && a.Kind == jsonpos.Bool && b.Kind == jsonpos.Bool && a.Bool != b.Bool {
		if rule != "" {
			rd.f.Issuef(rd.f.KeyPos(b), rule, "%s: %s = %t but %s = %t; the provider uses one of them, so set only %s",
				rd.node.Path(), current, a.Bool, alias, b.Bool, current)
		}
		*dst = a.Bool || b.Bool
		rd.node.SetField(field, rd.f.KeyPos(a))
		return
	}
	if !b.IsNull() && (a.IsNull() || !a.Bool && b.Kind == jsonpos.Bool && b.Bool) {
		rd.bool(dst, field, alias)
		return
	}
	rd.bool(dst, field, current)
}

func (im *importer) loadBalancer(r *res) {
	lb := &schema.LoadBalancer{Name: r.name(), SKU: schema.SKUBasic, Type: schema.LBInternal}
	base := "loadBalancers." + lb.Name
	rd := im.reader(r, &lb.Node, base)
	rd.str(&lb.Name, "name", "name")
	typedStr(rd, &lb.SKU, "sku", "sku")
	for i := range rd.after.Get("frontend_ip_configuration").Items() {
		fe := &schema.Frontend{}
		fr := rd.block("frontend_ip_configuration", i, &fe.Node, "")
		fr.str(&fe.Name, "name", "name")
		fe.SetPos(fe.Pos(), base+".frontendIPConfigurations."+fe.Name)
		if v := fr.after.Get("public_ip_address_id"); !v.IsNull() || isUnknown(fr.unk, "public_ip_address_id") {
			lb.Type = "public"
			lb.SetField("type", im.f.KeyPos(fr.after))
			im.publicIP(r, fe, fr)
		} else {
			fr.str(&fe.IPAddress, "ipAddress", "private_ip_address")
			if !fe.Has("ipAddress") {
				im.f.Unknown(&fe.Node, "ipAddress", fr.after, "private_ip_address is allocated by Azure (Dynamic)")
			}
		}
		lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, fe)
	}
	im.lbs[r] = lb
	im.f.Result.Deployment.LoadBalancers = append(im.f.Result.Deployment.LoadBalancers, lb)
}

func isUnknown(unk *jsonpos.Value, attr string) bool {
	return isTrue(unk.Get(attr))
}

// isTrue reports whether an after_unknown value marks its value unknown.
func isTrue(u *jsonpos.Value) bool {
	return u != nil && u.Kind == jsonpos.Bool && u.Bool
}

// publicIP takes a public frontend's address from the azurerm_public_ip
// resource it refers to, when that address is in the plan.
func (im *importer) publicIP(lbRes *res, fe *schema.Frontend, fr *reader) {
	pip := im.target(lbRes, "frontend_ip_configuration.public_ip_address_id", "azurerm_public_ip", 0)
	if pip != nil {
		pr := &reader{f: im.f, after: pip.after, unk: pip.unknown, node: &fe.Node}
		if pr.str(&fe.IPAddress, "ipAddress", "ip_address"); fe.Has("ipAddress") {
			return
		}
		if _, unknown := fe.Unknown("ipAddress"); unknown {
			return
		}
	}
	im.f.Unknown(&fe.Node, "ipAddress", fr.after.Get("public_ip_address_id"), "the public IP address is allocated by Azure")
}

func (im *importer) sub(r *res, kind string) (*schema.LoadBalancer, string) {
	lb := im.lbOf(r)
	if lb == nil {
		im.f.Issuef(im.f.Pos(r.v), schema.RuleSchema, "%s: loadbalancer_id does not refer to an azurerm_lb in this plan; the resource is not checked", r.addr)
		return nil, ""
	}
	return lb, "loadBalancers." + lb.Name + "." + kind + "." + r.name()
}

func (im *importer) pool(r *res) {
	lb, path := im.sub(r, "backendAddressPools")
	if lb == nil {
		return
	}
	p := &schema.BackendPool{}
	rd := im.reader(r, &p.Node, path)
	rd.name(&p.Name, r)
	lb.BackendAddressPools = append(lb.BackendAddressPools, p)
}

func (im *importer) probe(r *res) {
	lb, path := im.sub(r, "probes")
	if lb == nil {
		return
	}
	p := schema.Defaults(&schema.Probe{})
	rd := im.reader(r, &p.Node, path)
	rd.name(&p.Name, r)
	typedStr(rd, &p.Protocol, "protocol", "protocol")
	rd.int(&p.Port, "port", "port")
	rd.int(&p.IntervalInSeconds, "intervalInSeconds", "interval_in_seconds")
	rd.int(&p.NumberOfProbes, "numberOfProbes", "number_of_probes")
	rd.int(&p.ProbeThreshold, "probeThreshold", "probe_threshold")
	rd.str(&p.RequestPath, "requestPath", "request_path")
	lb.Probes = append(lb.Probes, p)
}

func (im *importer) rule(r *res) {
	lb, path := im.sub(r, "loadBalancingRules")
	if lb == nil {
		return
	}
	ru := schema.Defaults(&schema.Rule{})
	rd := im.reader(r, &ru.Node, path)
	rd.name(&ru.Name, r)
	rd.str(&ru.FrontendIPConfiguration, "frontendIPConfiguration", "frontend_ip_configuration_name")
	if pools := r.after.Get("backend_address_pool_ids"); len(pools.Items()) > 0 || len(r.refs["backend_address_pool_ids"]) > 0 {
		var first *jsonpos.Value
		if items := pools.Items(); len(items) > 0 {
			first = items[0]
		}
		im.rulePool(r, rd, ru, first, pools, "backend_address_pool_ids")
	} else if pool := r.after.Get("backend_address_pool_id"); !pool.IsNull() || len(r.refs["backend_address_pool_id"]) > 0 {
		im.rulePool(r, rd, ru, pool, pool, "backend_address_pool_id") // azurerm before 3.0
	}
	if probe := im.refName(r, r.after.Get("probe_id"), "probe_id", "azurerm_lb_probe", "probes", 0); probe != "" {
		ru.Probe = probe
		ru.SetField("probe", im.f.KeyPos(r.after.Get("probe_id")))
	} else if isUnknown(r.unknown, "probe_id") {
		rd.value("probe", "probe_id") // marks it unknown
	}
	typedStr(rd, &ru.Protocol, "protocol", "protocol")
	rd.int(&ru.FrontendPort, "frontendPort", "frontend_port")
	rd.int(&ru.BackendPort, "backendPort", "backend_port")
	rd.either(&ru.EnableFloatingIP, "enableFloatingIP", "floating_ip_enabled", "enable_floating_ip", schema.RuleTerraformFloatingIP)
	rd.either(&ru.EnableTcpReset, "enableTcpReset", "tcp_reset_enabled", "enable_tcp_reset", "")
	rd.bool(&ru.DisableOutboundSnat, "disableOutboundSnat", "disable_outbound_snat")
	rd.int(&ru.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idle_timeout_in_minutes")
	typedStr(rd, &ru.LoadDistribution, "loadDistribution", "load_distribution")
	lb.LoadBalancingRules = append(lb.LoadBalancingRules, ru)
}

// rulePool sets a rule's pool from the first of its pool IDs (attribute
// attr, at v), or marks it unknown.
func (im *importer) rulePool(r *res, rd *reader, ru *schema.Rule, first, at *jsonpos.Value, attr string) {
	if _, pool := im.poolRef(r, first, attr, 0); pool != "" {
		ru.BackendAddressPool = pool
		ru.SetField("backendAddressPool", im.f.KeyPos(at))
		return
	}
	rd.value("backendAddressPool", attr)
}

func (im *importer) natRule(r *res) {
	lb, path := im.sub(r, "inboundNatRules")
	if lb == nil {
		return
	}
	nr := schema.Defaults(&schema.NatRule{})
	rd := im.reader(r, &nr.Node, path)
	rd.name(&nr.Name, r)
	natFields(rd, nr, schema.RuleTerraformFloatingIP)
	rd.int(&nr.FrontendPort, "frontendPort", "frontend_port")
	rd.int(&nr.FrontendPortRangeStart, "frontendPortRangeStart", "frontend_port_start")
	rd.int(&nr.FrontendPortRangeEnd, "frontendPortRangeEnd", "frontend_port_end")
	im.backendPool(r, &nr.Node, &nr.BackendAddressPool)
	lb.InboundNatRules = append(lb.InboundNatRules, nr)
}

// natFields reads what NAT rules and NAT pools share; conflicting Floating
// IP attributes are reported under floatingRule (unless it is empty).
func natFields(rd *reader, nr *schema.NatRule, floatingRule string) {
	rd.str(&nr.FrontendIPConfiguration, "frontendIPConfiguration", "frontend_ip_configuration_name")
	typedStr(rd, &nr.Protocol, "protocol", "protocol")
	rd.int(&nr.BackendPort, "backendPort", "backend_port")
	rd.either(&nr.EnableFloatingIP, "enableFloatingIP", "floating_ip_enabled", "enable_floating_ip", floatingRule)
	rd.either(&nr.EnableTcpReset, "enableTcpReset", "tcp_reset_enabled", "enable_tcp_reset", "")
	rd.int(&nr.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idle_timeout_in_minutes")
}

func (im *importer) outboundRule(r *res) {
	lb, path := im.sub(r, "outboundRules")
	if lb == nil {
		return
	}
	or := schema.Defaults(&schema.OutboundRule{})
	rd := im.reader(r, &or.Node, path)
	rd.name(&or.Name, r)
	for _, fe := range r.after.Get("frontend_ip_configuration").Items() {
		if name, ok := fe.Get("name").Str(); ok {
			or.FrontendIPConfigurations = append(or.FrontendIPConfigurations, name)
			or.SetField("frontendIPConfigurations", im.f.KeyPos(r.after.Get("frontend_ip_configuration")))
		}
	}
	im.backendPool(r, &or.Node, &or.BackendAddressPool)
	typedStr(rd, &or.Protocol, "protocol", "protocol")
	rd.int(&or.AllocatedOutboundPorts, "allocatedOutboundPorts", "allocated_outbound_ports")
	rd.int(&or.IdleTimeoutInMinutes, "idleTimeoutInMinutes", "idle_timeout_in_minutes")
	rd.either(&or.EnableTcpReset, "enableTcpReset", "tcp_reset_enabled", "enable_tcp_reset", "")
	lb.OutboundRules = append(lb.OutboundRules, or)
}

// backendPool sets *dst, and n's backendAddressPool field position, from
// the resource's backend_address_pool_id when it resolves to a pool.
func (im *importer) backendPool(r *res, n *schema.Node, dst *string) {
	v := r.after.Get("backend_address_pool_id")
	if _, pool := im.poolRef(r, v, "backend_address_pool_id", 0); pool != "" {
		*dst = pool
		n.SetField("backendAddressPool", im.f.KeyPos(v))
	}
}

// vmName is the VM that owns a NIC: the VM resource's name, else the NIC's.
func (im *importer) vmFor(nic *res) (string, *jsonpos.Value) {
	if vm := im.nicVM[nic]; vm != nil && vm.name() != "" {
		return vm.name(), vm.v
	}
	return nic.name(), nic.v
}

// vm returns the model VM of that name, creating it at v.
func (im *importer) vm(name string, v *jsonpos.Value) *schema.VM {
	d := im.f.Result.Deployment
	for _, vm := range d.VMs {
		if strings.EqualFold(vm.Name, name) {
			return vm
		}
	}
	vm := &schema.VM{Name: name}
	im.f.Object(&vm.Node, v, "vms."+name)
	d.VMs = append(d.VMs, vm)
	return vm
}

func (im *importer) nic(r *res) {
	vmName, vmAt := im.vmFor(r)
	vm := im.vm(vmName, vmAt)
	nic := &schema.NetworkInterface{Name: r.name()}
	base := "vms." + vmName + ".networkInterfaces." + nic.Name
	rd := im.reader(r, &nic.Node, base)
	rd.name(&nic.Name, r)
	blocks := r.after.Get("ip_configuration").Items()
	for i := range blocks {
		c := &schema.IPConfig{}
		cr := rd.block("ip_configuration", i, &c.Node, "")
		cr.str(&c.Name, "name", "name")
		c.SetPos(c.Pos(), base+".ipConfigurations."+c.Name)
		cr.str(&c.PrivateIPAddress, "privateIPAddress", "private_ip_address")
		if _, unknown := c.Unknown("privateIPAddress"); !c.Has("privateIPAddress") && !unknown {
			im.f.Unknown(&c.Node, "privateIPAddress", cr.after, "private_ip_address is allocated by Azure (Dynamic)")
		}
		cr.bool(&c.Primary, "primary", "primary")
		if len(blocks) == 1 && !c.Has("primary") {
			c.Primary = true
		}
		im.ref(r, cr, subnetRef, &c.Subnet, "subnet", "subnet_id", "ip_configuration.subnet_id", i, len(blocks))
		nic.IPConfigurations = append(nic.IPConfigurations, c)
	}
	im.nics[r] = nic
	vm.NetworkInterfaces = append(vm.NetworkInterfaces, nic)
}

// association joins a NIC IP configuration to a backend pool or makes it
// a NAT rule's target.
func (im *importer) association(r *res, nat bool) {
	nicName, vmName := "", ""
	if t := im.target(r, "network_interface_id", "azurerm_network_interface", 0); t != nil {
		nicName = t.name()
		vmName, _ = im.vmFor(t)
	} else if id, ok := r.after.Get("network_interface_id").Str(); ok {
		// A known ID without a reference (each.value, a module input):
		// the VM is that of the plan's one NIC of that name.
		nicName = idSegment(id, "networkInterfaces")
		vmName = nicName
		if nics := im.nicsOf(id); len(nics) == 1 {
			vmName, _ = im.vmFor(nics[0])
		}
	}
	cfg, _ := r.after.Get("ip_configuration_name").Str()
	m := build.Membership{Member: &schema.PoolMember{VM: vmName, NetworkInterface: nicName, IPConfiguration: cfg}}
	im.f.Object(&m.Member.Node, r.v, "vms."+vmName+".networkInterfaces."+nicName+".ipConfigurations."+cfg)
	if nat {
		m.NatRule = im.refName(r, r.after.Get("nat_rule_id"), "nat_rule_id", "azurerm_lb_nat_rule", "inboundNatRules", 0)
		if t := im.target(r, "nat_rule_id", "azurerm_lb_nat_rule", 0); t != nil {
			if lb := im.lbOf(t); lb != nil {
				m.LB = lb.Name
			}
		} else if id, ok := r.after.Get("nat_rule_id").Str(); ok {
			m.LB = idSegment(id, "loadBalancers")
		}
	} else {
		m.LB, m.Pool = im.poolRef(r, r.after.Get("backend_address_pool_id"), "backend_address_pool_id", 0)
	}
	if nicName == "" || cfg == "" || m.LB == "" || (m.Pool == "" && m.NatRule == "") {
		im.f.Issuef(im.f.Pos(r.v), schema.RuleUnknown, "%s: cannot tell which NIC and pool or NAT rule this association joins; it is not checked", r.addr)
		return
	}
	im.f.Join(m)
}
