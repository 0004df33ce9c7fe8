package build

import (
	"fmt"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// Scale sets as every importer models them: capacity VMs named
// <scale set>_<N> (as Azure names them), each with the scale set's network
// interfaces; an inbound NAT pool gives instance N the NAT rule <pool>.<N>
// on frontend port start+N, as Azure creates it.

// MaxInstances is Azure's limit on a scale set's capacity.
const MaxInstances = 1000

// AssumedCapacity is the number of instances modelled when the capacity
// is only known at deployment.
const AssumedCapacity = 2

// InstanceName is the name Azure gives instance i of scale set name.
func InstanceName(scaleSet string, i int) string {
	return fmt.Sprintf("%s_%d", scaleSet, i)
}

// UnknownCapacity reports that the capacity of scale set name, written at
// p, is only known at deployment (why), and returns the number of
// instances modelled instead.
func (f *File) UnknownCapacity(p schema.Pos, name, why string) int {
	f.Issuef(p, schema.RuleUnknown, "scale set %s: capacity is only known at deployment (%s); %d instances are checked", name, why, AssumedCapacity)
	return AssumedCapacity
}

// Capacity returns the number of instances modelled for scale set name of
// capacity c, written at p: c, or the nearest bound of Azure's range with
// an issue when c is outside it.
func (f *File) Capacity(p schema.Pos, name string, c int64) int {
	if c < 0 || c > MaxInstances {
		f.Issuef(p, schema.RuleSchema, "scale set %s: capacity %d is outside Azure's range 0-%d", name, c, MaxInstances)
	}
	return int(min(max(c, 0), MaxInstances))
}

// PoolNatRule starts the NAT rule inbound NAT pool pool of lb gives scale
// set instance i, positioned at p: named <pool>.<i>, with the schema's
// defaults. The importer reads the pool's fields into it, the pool's
// frontendPortRangeStart as its frontendPort, and then adds it with
// AddPoolNatRule.
func PoolNatRule(lb *schema.LoadBalancer, pool string, i int, p schema.Pos) *schema.NatRule {
	nr := schema.Defaults(&schema.NatRule{})
	nr.Name = fmt.Sprintf("%s.%d", pool, i)
	nr.SetPos(p, "loadBalancers."+lb.Name+".inboundNatRules."+nr.Name)
	return nr
}

// AddPoolNatRule adds nr, made by PoolNatRule for instance i, to lb with its frontend port moved from the pool's start to
// start+i and member as its target. When that port is beyond end (the
// pool's frontendPortRangeEnd, 0 when unknown) the rule is left out, and
// the first instance beyond is reported at endAt, since Azure rejects the
// scale set.
func (f *File) AddPoolNatRule(lb *schema.LoadBalancer, nr *schema.NatRule, pool string, i, end int, member *schema.PoolMember, endAt schema.Pos) {
	if nr.Has("frontendPort") {
		start := nr.FrontendPort
		nr.FrontendPort = start + i
		if nr.FrontendPort > end && end > 0 {
			if nr.FrontendPort == end+1 || i == 0 {
				f.IssueOn(nr.Path(), endAt, schema.RuleSchema, "inbound NAT pool %s of load balancer %s: its frontend ports %d-%d are too few for scale set %s: instance %d and every later one need a port beyond %d; Azure rejects the scale set: widen the range or lower the capacity",
					pool, lb.Name, start, end, strings.TrimSuffix(member.VM, InstanceName("", i)), i, end)
			}
			return
		}
	}
	nr.Target = member
	nr.SetField("target", member.Pos())
	lb.InboundNatRules = append(lb.InboundNatRules, nr)
}

// MissingNatPool reports that member uses inbound NAT pool pool of load
// balancer lb, which no input declares.
func (f *File) MissingNatPool(member *schema.PoolMember, pool, lb string) {
	f.Issuef(member.Pos(), schema.RuleUnknown, "%s: inbound NAT pool %s of load balancer %s is in none of the input files; its NAT rules are not checked",
		member.Path(), pool, lb)
}

// DefaultPrimary makes the first of a network interface's IP
// configurations primary when none is, as Azure does.
func DefaultPrimary(cs []*schema.IPConfig) {
	for _, c := range cs {
		if c.Primary {
			return
		}
	}
	if len(cs) > 0 {
		cs[0].Primary = true
	}
}
