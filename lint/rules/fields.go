package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// An importer may leave any field of an imported object unknown until
// deployment (schema.Node.SetUnknown), with its zero or default value in the
// model. A rule reads such a field only after known says it may, so it never
// judges that placeholder, and lint.Pass.Known records the object it skipped
// for the run's LB0010 finding. A rule asks only for what its verdict on the
// object depends on at that point: settled lets a known value decide before
// another field is needed (a Tcp rule is no HA-ports rule whatever its
// ports), so that field is not reported.
//
// Field names are constants typed by their model type, so the compiler
// pairs each with objects of that type; TestFieldNames checks every one
// against the type's JSON tags.

// model lists the schema types whose fields the rules gate on.
type model interface {
	schema.LoadBalancer | schema.Frontend | schema.Probe | schema.Rule | schema.NatRule |
		schema.OutboundRule | schema.IPConfig
}

// field is the JSON name of a field of model type T.
type field[T model] string

// bindingField is the JSON name of a field that load-balancing rules and
// inbound NAT rules both have, read through a binding.
type bindingField string

// Fields the rules read.
const (
	lbName field[schema.LoadBalancer] = "name"
	lbSKU  field[schema.LoadBalancer] = "sku"
	lbType field[schema.LoadBalancer] = "type"

	frontendIPAddress field[schema.Frontend] = "ipAddress"

	probeName           field[schema.Probe] = "name"
	probeProtocol       field[schema.Probe] = "protocol"
	probePort           field[schema.Probe] = "port"
	probeNumberOfProbes field[schema.Probe] = "numberOfProbes"

	ruleProbe               field[schema.Rule] = "probe"
	ruleDisableOutboundSnat field[schema.Rule] = "disableOutboundSnat"

	natPortRangeStart field[schema.NatRule] = "frontendPortRangeStart"
	natPortRangeEnd   field[schema.NatRule] = "frontendPortRangeEnd"

	outboundFrontends field[schema.OutboundRule] = "frontendIPConfigurations"
	outboundProtocol  field[schema.OutboundRule] = "protocol"
	outboundPool      field[schema.OutboundRule] = "backendAddressPool"

	ipcAddress field[schema.IPConfig] = "privateIPAddress"
	ipcPrimary field[schema.IPConfig] = "primary"

	bindName         bindingField = "name"
	bindFrontend     bindingField = "frontendIPConfiguration"
	bindPool         bindingField = "backendAddressPool"
	bindProtocol     bindingField = "protocol"
	bindFrontendPort bindingField = "frontendPort"
	bindBackendPort  bindingField = "backendPort"
	bindFloatingIP   bindingField = "enableFloatingIP"
	bindTcpReset     bindingField = "enableTcpReset"
)

// known reports whether the named fields of o are known before deployment
// and otherwise records that the pass's rule skipped o (lint.Pass.Known).
func known[T model](pass *lint.Pass, o *T, fields ...field[T]) bool {
	return knownAt(pass, nodeOf(o), fields)
}

// settled reports whether f of o is known and holds is true: a known value
// that decides a verdict on its own. It records nothing.
func settled[T model](o *T, f field[T], holds bool) bool {
	return settledAt(nodeOf(o), f, holds)
}

// known is the package function known for a binding's fields.
func (b binding) known(pass *lint.Pass, fields ...bindingField) bool {
	return knownAt(pass, b.Node, fields)
}

// settled is the package function settled for a binding's field.
func (b binding) settled(f bindingField, holds bool) bool {
	return settledAt(b.Node, f, holds)
}

// knownAt asks pass.Known for fields of n.
func knownAt[F ~string](pass *lint.Pass, n *schema.Node, fields []F) bool {
	var buf [8]string
	names := buf[:0]
	for _, f := range fields {
		names = append(names, string(f))
	}
	return pass.Known(n, names...)
}

// settledAt reports whether f of n is known and holds is true.
func settledAt[F ~string](n *schema.Node, f F, holds bool) bool {
	if !holds {
		return false
	}
	_, unknown := n.Unknown(string(f))
	return !unknown
}

// nodeOf returns the schema.Node that o embeds. It lists the types of
// model: Go cannot reach a field through a type parameter.
func nodeOf[T model](o *T) *schema.Node {
	switch o := any(o).(type) {
	case *schema.LoadBalancer:
		return &o.Node
	case *schema.Frontend:
		return &o.Node
	case *schema.Probe:
		return &o.Node
	case *schema.Rule:
		return &o.Node
	case *schema.NatRule:
		return &o.Node
	case *schema.OutboundRule:
		return &o.Node
	case *schema.IPConfig:
		return &o.Node
	}
	panic(fmt.Sprintf("nodeOf: %T is in model but not here", o))
}
