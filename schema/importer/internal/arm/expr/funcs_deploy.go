package expr

import (
	"fmt"
	"strings"
)

// The deployment and resource functions. What only the target subscription
// knows is a Symbolic placeholder named after the expression that yields it.

// Placeholders of the deployment's context.
const (
	SubscriptionID = "[subscription().subscriptionId]"
	ResourceGroup  = "[resourceGroup().name]"
	Location       = "[resourceGroup().location]"
	TenantID       = "[subscription().tenantId]"
)

func init() {
	register("parameters", byName("parameters", Scope.Parameter))
	register("variables", byName("variables", Scope.Variable))
	register("resourceinfo", byName("resourceInfo", Scope.ResourceInfo))
	register("copyindex", builtin{min: 0, max: 2, fn: copyIndex})
	register("deployment", builtin{min: 0, max: 0, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return ev.scope().Deployment(at)
	}})
	register("resourcegroup", builtin{min: 0, max: 0, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return object(at,
			"id", NewSymbol("/subscriptions/"+SubscriptionID+"/resourceGroups/"+ResourceGroup, at),
			"name", NewSymbol(ResourceGroup, at),
			"type", NewString("Microsoft.Resources/resourceGroups", at),
			"location", NewSymbol(Location, at),
			"tags", NewObject(nil, at),
			"properties", object(at, "provisioningState", NewString("Succeeded", at)))
	}})
	register("subscription", builtin{min: 0, max: 0, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return object(at,
			"id", NewSymbol("/subscriptions/"+SubscriptionID, at),
			"subscriptionId", NewSymbol(SubscriptionID, at),
			"tenantId", NewSymbol(TenantID, at),
			"displayName", NewSymbol("[subscription().displayName]", at))
	}})
	register("tenant", builtin{min: 0, max: 0, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return object(at,
			"tenantId", NewSymbol(TenantID, at),
			"countryCode", NewSymbol("[tenant().countryCode]", at),
			"displayName", NewSymbol("[tenant().displayName]", at))
	}})
	register("managementgroup", builtin{min: 0, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return object(at,
			"id", NewSymbol("/providers/Microsoft.Management/managementGroups/[managementGroup().name]", at),
			"name", NewSymbol("[managementGroup().name]", at))
	}})
	register("environment", builtin{min: 0, max: 0, fn: environment})
	register("resourceid", builtin{min: 2, max: -1, symbols: true, fn: resourceID})
	register("subscriptionresourceid", builtin{min: 2, max: -1, symbols: true, fn: subscriptionResourceID})
	register("tenantresourceid", builtin{min: 2, max: -1, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return scopedID(ev, "", nil, a, at)
	}})
	register("extensionresourceid", builtin{min: 3, max: -1, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		return scopedID(ev, a[0].Str, a[0], a[1:], at)
	}})
	register("managementgroupresourceid", builtin{min: 2, max: -1, symbols: true, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		mg, from := "/providers/Microsoft.Management/managementGroups/[managementGroup().name]", NewSymbol("[managementGroup().name]", at)
		if len(a) > 2 && !strings.Contains(a[0].Str, "/") {
			mg, from, a = "/providers/Microsoft.Management/managementGroups/"+a[0].Str, a[0], a[1:]
		}
		return scopedID(ev, mg, from, a, at)
	}})
}

// byName builds a function of one name that the scope resolves:
// parameters('x'), variables('x'), resourceInfo('x').
func byName(fn string, lookup func(Scope, string, Pos) *Value) builtin {
	return builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		name, ok := a[0].Text()
		if !ok {
			return wantString(fn, a[0], at)
		}
		return lookup(ev.scope(), name, at)
	}}
}

// scope returns the Scope of the expression being evaluated.
func (ev *Evaluator) scope() Scope { return ev.current.sc }

// object builds an object from key, value pairs.
func object(at Pos, kv ...any) *Value {
	members := make([]Member, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		members = append(members, Member{Key: kv[i].(string), KeyAt: at, Value: kv[i+1].(*Value)})
	}
	return NewObject(members, at)
}

// copyIndex([loopName], [offset]).
func copyIndex(ev *Evaluator, a []*Value, at Pos) *Value {
	loop, offset := "", int64(0)
	for i, x := range a {
		if n, ok := x.Integer(); ok {
			offset = n
			continue
		}
		if s, ok := x.Text(); ok && i == 0 {
			loop = s
			continue
		}
		return NewUnknown(fmt.Sprintf("copyIndex() wants a loop name and an offset, got %s", describe(x)), at)
	}
	idx := ev.scope().CopyIndex(loop, at)
	if idx.Kind != Int {
		return idx
	}
	return NewInt(idx.Int+offset, at)
}

// environment() describes the Azure public cloud; its values are Symbolic
// because a deployment to another cloud gets others.
func environment(ev *Evaluator, a []*Value, at Pos) *Value {
	s := func(v string) *Value { return NewSymbol(v, at) }
	return object(at,
		"name", s("AzureCloud"),
		"gallery", s("https://gallery.azure.com/"),
		"graph", s("https://graph.windows.net/"),
		"portal", s("https://portal.azure.com"),
		"graphAudience", s("https://graph.windows.net/"),
		"activeDirectoryDataLake", s("https://datalake.azure.net/"),
		"batch", s("https://batch.core.windows.net/"),
		"media", s("https://rest.media.azure.net"),
		"sqlManagement", s("https://management.core.windows.net:8443/"),
		"vmImageAliasDoc", s("https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json"),
		"resourceManager", s("https://management.azure.com/"),
		"authentication", object(at,
			"loginEndpoint", s("https://login.microsoftonline.com/"),
			"audiences", NewArray([]*Value{s("https://management.core.windows.net/"), s("https://management.azure.com/")}, at),
			"tenant", s("common"),
			"identityProvider", s("AAD")),
		"suffixes", object(at,
			"acrLoginServer", s(".azurecr.io"),
			"azureDatalakeAnalyticsCatalogAndJob", s("azuredatalakeanalytics.net"),
			"azureDatalakeStoreFileSystem", s("azuredatalakestore.net"),
			"azureFrontDoorEndpointSuffix", s("azurefd.net"),
			"keyvaultDns", s(".vault.azure.net"),
			"sqlServerHostname", s(".database.windows.net"),
			"storage", s("core.windows.net")))
}

// typeArg finds the resource type among resourceId()'s arguments: the
// first whose provider namespace has a dot. A trailing "/" in the type is
// ignored, as ARM does.
func typeArg(strs []string) (i int, segs []string) {
	for i, t := range strs {
		segs := strings.Split(strings.TrimSuffix(t, "/"), "/")
		if len(segs) >= 2 && strings.Contains(segs[0], ".") {
			return i, segs
		}
	}
	return -1, nil
}

// typeMismatch explains why the names after a resource type do not fit
// it, or returns "" when they do. Fewer names than types are fine: the
// type then carries the last names ('…/loadBalancers/probes/tcpProbe' with
// the load balancer's name), as templates that deploy write it.
func typeMismatch(fn string, segs, names []string) string {
	if len(names) == 0 || len(names) > len(segs)-1 {
		return fmt.Sprintf("%s() gives %d names for resource type %s, which takes %d", fn, len(names), strings.Join(segs, "/"), len(segs)-1)
	}
	return ""
}

// idArgs returns the arguments' texts (integers as ARM writes them).
func idArgs(fn string, a []*Value, at Pos) ([]string, *Value) {
	strs := make([]string, len(a))
	for i, x := range a {
		s, ok := x.Name()
		if n, isInt := x.Integer(); !ok && isInt {
			s, ok = fmt.Sprint(n), true
		}
		if !ok {
			return nil, NewUnknown(fmt.Sprintf("argument %d of %s() is %s, not a string", i+1, fn, describe(x)), at)
		}
		strs[i] = s
	}
	return strs, nil
}

// contextSymbol stands for the subscription or resource group a resource
// ID names by default.
func contextSymbol(at Pos) *Value {
	return NewSymbol(ResourceGroup, at).because("the subscription and resource group are only known at deployment")
}

// typedPath renders "/providers/ns/type/name/child/name"; the type's
// segments beyond the names given follow as they are.
func typedPath(segs, names []string) string {
	var b strings.Builder
	b.WriteString("/providers/" + segs[0])
	for j, typ := range segs[1:] {
		b.WriteString("/" + typ)
		if j < len(names) {
			b.WriteString("/" + names[j])
		}
	}
	return b.String()
}

// resourceID is resourceId([subscriptionId], [resourceGroupName], type,
// name...), with placeholders for the subscription and group not given.
func resourceID(ev *Evaluator, a []*Value, at Pos) *Value {
	strs, bad := idArgs("resourceId", a, at)
	if bad != nil {
		return bad
	}
	i, segs := typeArg(strs)
	if i < 0 || i > 2 {
		return NewUnknown("resourceId() arguments do not match a resource type and its names", at)
	}
	if why := typeMismatch("resourceId", segs, strs[i+1:]); why != "" {
		return NewUnknown(why, at)
	}
	sub, rg := SubscriptionID, ResourceGroup
	switch i {
	case 2:
		sub, rg = strs[0], strs[1]
	case 1:
		rg = strs[0]
	}
	if i < 2 {
		a = append(a, contextSymbol(at))
	}
	return ev.result("/subscriptions/"+sub+"/resourceGroups/"+rg+typedPath(segs, strs[i+1:]), at, a...)
}

// subscriptionResourceID is subscriptionResourceId([subscriptionId], type,
// name...).
func subscriptionResourceID(ev *Evaluator, a []*Value, at Pos) *Value {
	strs, bad := idArgs("subscriptionResourceId", a, at)
	if bad != nil {
		return bad
	}
	i, segs := typeArg(strs)
	if i < 0 || i > 1 {
		return NewUnknown("subscriptionResourceId() arguments do not match a resource type and its names", at)
	}
	if why := typeMismatch("subscriptionResourceId", segs, strs[i+1:]); why != "" {
		return NewUnknown(why, at)
	}
	sub := SubscriptionID
	if i == 1 {
		sub = strs[0]
	}
	if i == 0 {
		a = append(a, contextSymbol(at))
	}
	return ev.result("/subscriptions/"+sub+typedPath(segs, strs[i+1:]), at, a...)
}

// scopedID is an ID below prefix (an extension resource's parent, or ""),
// Symbolic when prefixV (the value the prefix came from, or nil) is.
func scopedID(ev *Evaluator, prefix string, prefixV *Value, a []*Value, at Pos) *Value {
	strs, bad := idArgs("resource ID", a, at)
	if bad != nil {
		return bad
	}
	i, segs := typeArg(strs)
	if i != 0 {
		return NewUnknown("the resource ID arguments do not match a resource type and its names", at)
	}
	if why := typeMismatch("resource ID", segs, strs[1:]); why != "" {
		return NewUnknown(why, at)
	}
	if prefixV != nil {
		a = append(a, prefixV)
	}
	return ev.result(strings.TrimSuffix(prefix, "/")+typedPath(segs, strs[1:]), at, a...)
}
