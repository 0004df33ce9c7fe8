package arm

import (
	"testing"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

func testScope(t *testing.T) *scope {
	t.Helper()
	tmpl, err := jsonpos.Parse([]byte(`{
	  "parameters": {
	    "lbName": {"type": "string", "defaultValue": "ilb"},
	    "port": {"type": "int", "defaultValue": 1433},
	    "noDefault": {"type": "string"},
	    "settings": {"type": "object", "defaultValue": {"fe": "front", "ports": [80, 443]}}
	  },
	  "variables": {
	    "lbID": "[resourceId('Microsoft.Network/loadBalancers', parameters('lbName'))]",
	    "self": "[variables('self')]",
	    "nested": {"name": "[concat(parameters('lbName'), '-x')]"}
	  }
	}`))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := templateScope(tmpl, Options{Parameters: []byte(`{"parameters": {"port": {"value": 5022}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestEval(t *testing.T) {
	sc := testScope(t)
	idx := 2
	sc.copyIndex = &idx
	tests := []struct {
		expr string
		want any
	}{
		{"plain", "plain"},
		{"[[not an expression]", "[not an expression]"},
		{"[parameters('lbName')]", "ilb"},
		{"[parameters('port')]", 5022}, // the parameters file wins
		{"[add(parameters('port'), 1)]", 5023},
		{"[concat('a', 'b''c', 1)]", "ab'c1"},
		{"[format('{0}-{1}{{x}}', 'lb', 7)]", "lb-7{x}"},
		{"[variables('lbID')]", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/loadBalancers/ilb"},
		{"[resourceId('rg2', 'Microsoft.Network/loadBalancers/probes', 'lb', 'p')]", "/subscriptions/{subscriptionId}/resourceGroups/rg2/providers/Microsoft.Network/loadBalancers/lb/probes/p"},
		{"[concat(variables('lbID'), '/frontendIPConfigurations/fe')]", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/loadBalancers/ilb/frontendIPConfigurations/fe"},
		{"[parameters('settings').fe]", "front"},
		{"[parameters('settings').ports[1]]", 443},
		{"[variables('nested').name]", "ilb-x"},
		{"[copyIndex(10)]", 12},
		{"[toUpper(parameters('lbName'))]", "ILB"},
	}
	for _, tt := range tests {
		got, err := sc.evalString(tt.expr)
		if err != nil || got != tt.want {
			t.Errorf("eval(%s) = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
}

func TestEvalUnknown(t *testing.T) {
	sc := testScope(t)
	tests := []struct{ expr, why string }{
		{"[parameters('noDefault')]", "parameter 'noDefault' has no defaultValue; pass a parameters file"},
		{"[parameters('missing')]", "parameter 'missing' is not declared"},
		{"[reference('pip').ipAddress]", "function reference() is only known at deployment"},
		{"[concat('a', reference('x'), 'b')]", "function reference() is only known at deployment"},
		{"[variables('self')]", "expressions nest too deep (a variable refers to itself?)"},
		{"[copyIndex()]", "copyIndex() outside a resource copy loop"},
		{"[add(1)]", "add() wants two integers"},
		{"[concat('a']", "want ',' or ')' in call of concat() in \"concat('a'\""},
		{"[format('{5}', 'a')]", "format item \"{5}\" is not evaluated"},
	}
	for _, tt := range tests {
		got, err := sc.evalString(tt.expr)
		if err == nil || err.Error() != tt.why {
			t.Errorf("eval(%s) = %v, %v; want unknown %q", tt.expr, got, err, tt.why)
		}
	}
}

// FuzzImport checks that no template or az output makes the importer panic
// or loop.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
	  "parameters": {"n": {"type": "int", "defaultValue": 2}},
	  "variables": {"a": "[concat(variables('a'), variables('a'))]"},
	  "resources": [{"type": "Microsoft.Network/loadBalancers", "name": "[variables('a')]", "copy": {"name": "c", "count": "[parameters('n')]"},
	    "properties": {"loadBalancingRules": [{"name": "r", "properties": {"frontendPort": "[add(1, copyIndex())]", "enableFloatingIP": "[format('{0}', true)]"}}]},
	    "resources": [{"type": "inboundNatRules", "name": "x", "properties": {"frontendPort": 1}}]}]}`))
	f.Add([]byte(`[{"type": "Microsoft.Network/networkInterfaces", "name": "n", "ipConfigurations": [{"name": "c", "loadBalancerBackendAddressPools": [{"id": "/x/loadBalancers/l/backendAddressPools/p"}]}]},
	  {"type": "Microsoft.Network/loadBalancers", "name": "l", "backendAddressPools": [{"name": "p", "backendIPConfigurations": [{"id": "/networkInterfaces/n/ipConfigurations/c"}]}]}]`))
	f.Add([]byte(`{"type": "Microsoft.Network/loadBalancers", "name": "x", "properties": {"frontendIPConfigurations": [{"name": "f", "properties": {"publicIPAddress": {"id": 5}}}]}}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := Import("f.json", src, Options{Parameters: src})
		if err == nil && r.Deployment == nil {
			t.Fatal("nil deployment without error")
		}
	})
}
