package terraform

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// poolAddress handles an azurerm_lb_backend_address_pool_address: a pool
// member given by IP address (in a virtual network, or a regional load
// balancer's frontend for a cross-region one). The model names members by
// VM NIC IP configuration, so the pool's members are marked unknown and
// reported once per pool, as the ARM importer reports
// loadBalancerBackendAddresses.
func (im *importer) poolAddress(r *res, reported map[*schema.BackendPool]bool) {
	lbName, poolName := im.poolRef(r, r.after.Get("backend_address_pool_id"), "backend_address_pool_id", 0)
	var pool *schema.BackendPool
	for _, l := range im.f.Result.Deployment.LoadBalancers {
		for _, p := range l.BackendAddressPools {
			if strings.EqualFold(l.Name, lbName) && strings.EqualFold(p.Name, poolName) {
				pool = p
			}
		}
	}
	if pool == nil {
		im.f.Issuef(im.f.Pos(r.v), schema.RuleUnknown, "%s: cannot tell which backend pool this address joins; it is not checked", r.addr)
		return
	}
	if reported[pool] {
		return
	}
	reported[pool] = true
	what := "members given by IP address"
	if !r.after.Get("backend_address_ip_configuration_id").IsNull() {
		what = "members that are frontends of regional load balancers (a cross-region load balancer)"
	}
	pool.SetUnknown("members", im.f.Pos(r.v), what+" are not imported")
	im.f.Issuef(im.f.Pos(r.v), schema.RuleUnknown, "%s: %s are not imported (%s); rules do not check them", pool.Path(), what, r.addr)
}
