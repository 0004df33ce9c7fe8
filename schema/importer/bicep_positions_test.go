package importer

import (
	"strings"
	"testing"

	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// lbBicep declares two load balancers, a var loop, a module and a child
// resource; lbJSON is what it compiles to, abridged.
const lbBicep = `param lbName string = 'web-lb'
param ports array = [80, 443]

// A comment with a brace { and a quote ' does not count.
var probeName = 'http-probe'
var extra = {
  rules: [for p in ports: {
    port: p
  }]
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' existing = {
  name: 'vnet'
}

resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: lbName
  location: resourceGroup().location
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: { privateIPAddress: '10.0.0.4', privateIPAllocationMethod: 'Static' }
      }
    ]
    probes: [
      {
        name: probeName
        properties: {
          protocol: 'Tcp'
          port: 80
        }
      }
    ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          'frontendPort': 80
          backendPort: 80
        }
      }
      {
        name: '${lbName}-{https}'
        properties: {
          frontendPort: 443
          backendPort: 443
        }
      }
    ]
    inboundNatRules: [for (p, i) in ports: {
      name: 'nat${i}'
      properties: {
        frontendPort: 50000 + i
      }
    }]
  }

  resource pool 'backendAddressPools' = {
    name: 'pool'
  }
}

resource other 'Microsoft.Network/loadBalancers@2023-09-01' = if (true) {
  name: 'other-lb'
  properties: {}
}

module mod './mod.bicep' = {
  name: 'mod'
  params: {
    lbName: lbName
  }
}
`

const lbJSON = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "metadata": {"_generator": {"name": "bicep"}},
  "parameters": {
    "lbName": {"type": "string", "defaultValue": "web-lb"},
    "ports": {"type": "array", "defaultValue": [80, 443]}
  },
  "variables": {
    "copy": [
      {"name": "x", "count": 1, "input": {}}
    ],
    "probeName": "http-probe",
    "extra": {
      "copy": [
        {"name": "rules", "count": "[length(parameters('ports'))]", "input": {"port": "[parameters('ports')[copyIndex('rules')]]"}}
      ]
    }
  },
  "resources": [
    {
      "type": "Microsoft.Network/loadBalancers/backendAddressPools",
      "apiVersion": "2023-09-01",
      "name": "[format('{0}/{1}', parameters('lbName'), 'pool')]",
      "dependsOn": ["[resourceId('Microsoft.Network/loadBalancers', parameters('lbName'))]"]
    },
    {
      "type": "Microsoft.Network/loadBalancers",
      "apiVersion": "2023-09-01",
      "name": "[parameters('lbName')]",
      "location": "[resourceGroup().location]",
      "properties": {
        "frontendIPConfigurations": [
          {"name": "fe", "properties": {"privateIPAddress": "10.0.0.4", "privateIPAllocationMethod": "Static"}}
        ],
        "probes": [
          {"name": "[variables('probeName')]", "properties": {"protocol": "Tcp", "port": 80}}
        ],
        "loadBalancingRules": [
          {"name": "http", "properties": {"frontendPort": 80, "backendPort": 80}},
          {"name": "[format('{0}-{{https}}', parameters('lbName'))]", "properties": {"frontendPort": 443, "backendPort": 443}}
        ],
        "copy": [
          {"name": "inboundNatRules", "count": "[length(parameters('ports'))]",
           "input": {"name": "[format('nat{0}', copyIndex('inboundNatRules'))]", "properties": {"frontendPort": "[add(50000, copyIndex('inboundNatRules'))]"}}}
        ]
      }
    },
    {
      "condition": true,
      "type": "Microsoft.Network/loadBalancers",
      "apiVersion": "2023-09-01",
      "name": "other-lb",
      "properties": {}
    },
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "mod",
      "properties": {
        "mode": "Incremental",
        "parameters": {"lbName": {"value": "[parameters('lbName')]"}},
        "template": {"resources": [{"type": "Microsoft.Network/loadBalancers", "name": "inner", "properties": {"probes": []}}]}
      }
    }
  ]
}
`

// symbolicBicep and symbolicJSON are languageVersion 2.0 output, whose
// resources are keyed by symbolic name; the two resources of one type and
// no literal name are told apart by their symbols.
const symbolicBicep = `param a string
param b string

resource lbA 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: a
  sku: { name: 'Standard' }
}

resource lbB 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: b
  sku: { name: 'Basic' }
}
`

const symbolicJSON = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "languageVersion": "2.0",
  "resources": {
    "lbB": {"type": "Microsoft.Network/loadBalancers", "name": "[parameters('b')]", "sku": {"name": "Basic"}},
    "lbA": {"type": "Microsoft.Network/loadBalancers", "name": "[parameters('a')]", "sku": {"name": "Standard"}}
  }
}
`

// ordinalBicep has two load balancers whose names are expressions of no
// single parameter: the i-th compiled one is the i-th declared.
const ordinalBicep = `param p string

resource first 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: '${p}-1'
  sku: { name: 'Standard' }
}

resource second 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: '${p}-2'
  sku: { name: 'Basic' }
}
`

const ordinalJSON = `{
  "resources": [
    {"type": "Microsoft.Network/loadBalancers", "name": "[format('{0}-1', parameters('p'))]", "sku": {"name": "Standard"}},
    {"type": "Microsoft.Network/loadBalancers", "name": "[format('{0}-2', parameters('p'))]", "sku": {"name": "Basic"}}
  ]
}
`

func TestBicepMap(t *testing.T) {
	tests := []struct {
		name        string
		bicep, json string
		at          string // text in json whose position is mapped
		atNth       int
		want        string // text in bicep the position maps to; "" is line 1, column 1
		wantNth     int
	}{
		{"resource", lbBicep, lbJSON, `{
      "type": "Microsoft.Network/loadBalancers",`, 1, "resource lb ", 1},
		{"resource key", lbBicep, lbJSON, `"location"`, 1, "location:", 1},
		{"generated key is the declaration", lbBicep, lbJSON, `"apiVersion": "2023-09-01",
      "name": "[parameters('lbName')]"`, 1, "resource lb ", 1},
		{"array item", lbBicep, lbJSON, `{"name": "http"`, 1, "{\n        name: 'http'", 1},
		{"field of the second item", lbBicep, lbJSON, `"frontendPort"`, 2, "frontendPort:", 1},
		{"quoted key", lbBicep, lbJSON, `"frontendPort"`, 1, "'frontendPort':", 1},
		{"value token", lbBicep, lbJSON, `443, "backendPort"`, 1, "frontendPort: 443", 1},
		{"one-line object", lbBicep, lbJSON, `"privateIPAllocationMethod"`, 1, "privateIPAllocationMethod:", 1},
		{"name of an object", lbBicep, lbJSON, `"name": "[variables('probeName')]"`, 1, "name: probeName", 1},
		{"property copy loop input", lbBicep, lbJSON, `"input": {"name": "[format('nat{0}'`, 1, "{\n      name: 'nat${i}'", 1},
		{"field in a property copy loop", lbBicep, lbJSON, `"frontendPort": "[add(`, 1, "frontendPort: 50000", 1},
		{"property copy loop count", lbBicep, lbJSON, `"count": "[length(parameters('ports'))]",
           "input"`, 1, "inboundNatRules:", 1},
		{"child declared in its parent", lbBicep, lbJSON, `"dependsOn"`, 1, "resource pool ", 1},
		{"child's name", lbBicep, lbJSON, `"name": "[format('{0}/{1}'`, 1, "name: 'pool'", 1},
		{"conditional resource by literal name", lbBicep, lbJSON, `"name": "other-lb"`, 1, "name: 'other-lb'", 1},
		{"condition", lbBicep, lbJSON, `"condition"`, 1, "resource other ", 1},
		{"module", lbBicep, lbJSON, `"name": "mod"`, 1, "name: 'mod'", 1},
		{"inside a module's template", lbBicep, lbJSON, `"probes": []`, 1, "module mod ", 1},
		{"parameter default", lbBicep, lbJSON, `"defaultValue": [80, 443]`, 1, "param ports ", 1},
		{"variable", lbBicep, lbJSON, `"probeName": "http-probe"`, 1, "var probeName ", 1},
		{"variable loop in an object", lbBicep, lbJSON, `"port": "[parameters`, 1, "port: p", 1},
		{"variable loop without a var", lbBicep, lbJSON, `"name": "x"`, 1, "", 0},
		{"metadata", lbBicep, lbJSON, `"_generator"`, 1, "", 0},
		{"symbolic name", symbolicBicep, symbolicJSON, `"sku": {"name": "Standard"}`, 1, "sku: { name: 'Standard' }", 1},
		{"symbolic resource", symbolicBicep, symbolicJSON, `"lbB"`, 1, "resource lbB ", 1},
		{"by declaration order", ordinalBicep, ordinalJSON, `"sku": {"name": "Basic"}`, 1, "sku: { name: 'Basic' }", 1},
		{"unknown type", ordinalBicep, `{"resources": [{"type": "Microsoft.Network/publicIPAddresses", "name": "ip"}]}`, `"name"`, 1, "", 0},
		{"name chosen by declaration order", ordinalBicep, ordinalJSON, `"name": "[format('{0}-2'`, 1, "name: '${p}-2'", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := newBicepMap([]byte(tt.bicep), []byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			at := tu.PosOf(t, "json", []byte(tt.json), tt.at, tt.atNth)
			got := m.pos(jsonpos.Pos{Line: at.Line, Col: at.Column})
			want := jsonpos.Pos{Line: 1, Col: 1}
			if tt.want != "" {
				w := tu.PosOf(t, "bicep", []byte(tt.bicep), tt.want, tt.wantNth)
				want = jsonpos.Pos{Line: w.Line, Col: w.Column}
			}
			if got != want {
				t.Errorf("%d:%d maps to %d:%d, want %d:%d (%q)", at.Line, at.Column, got.Line, got.Col, want.Line, want.Col, tt.want)
			}
		})
	}
}

// TestBicepScanner checks the lexical part on its own: strings with
// interpolations and braces, comments, multi-line strings.
func TestBicepScanner(t *testing.T) {
	src := []byte("var a = '${x ? '}' : 'y'}{' // }\n/* { */ var b = '''\n{\n''' \nvar c = { k: 'v', 'q-k': [1, {}] }\n")
	s := scanBicep(src)
	var names []string
	for _, d := range s.decls {
		names = append(names, d.kind+" "+d.name)
	}
	// b follows a block comment on its line, so it is not seen: a
	// declaration starts a line.
	if strings.Join(names, ",") != "var a,var c" {
		t.Fatalf("declarations %q, want var a and var c", names)
	}
	c := s.decl("var", "c")
	if c == nil || !s.isCode(c.value, '{') {
		t.Fatalf("var c's value not found: %+v", c)
	}
	items := s.itemsOf(c.value)
	if len(items) != 2 {
		t.Fatalf("var c has %d items, want 2", len(items))
	}
	if _, v, ok := s.member(c.value, "Q-K"); !ok || len(s.itemsOf(v)) != 2 {
		t.Errorf("member 'q-k' not found (case-insensitively) or not a two-item array")
	}
	if s.closing(c.value) != len(src)-2 {
		t.Errorf("var c's object closes at %d, want %d", s.closing(c.value), len(src)-2)
	}
}

// FuzzBicepMap maps every position of a compiled template against any
// source: no panic, and every result is a line and column of the source.
func FuzzBicepMap(f *testing.F) {
	for _, seed := range []string{lbBicep, symbolicBicep, ordinalBicep, "resource x 'a@b' = [for", "var v = '${'", "{[(", "resource lb 'Microsoft.Network/loadBalancers@1' = if ({"} {
		f.Add(seed, lbJSON)
		f.Add(seed, symbolicJSON)
	}
	f.Fuzz(func(t *testing.T, source, compiled string) {
		m, err := newBicepMap([]byte(source), []byte(compiled))
		if err != nil {
			return
		}
		lines := strings.Split(source, "\n")
		var visit func(v *jsonpos.Value)
		visit = func(v *jsonpos.Value) {
			for _, p := range []jsonpos.Pos{v.Pos, v.KeyPos} {
				got := m.pos(p)
				if got.Line < 1 || got.Line > len(lines) || got.Col < 1 || got.Col > len(lines[got.Line-1])+1 {
					t.Fatalf("%d:%d maps to %d:%d, outside the source", p.Line, p.Col, got.Line, got.Col)
				}
			}
			for _, c := range v.Members {
				visit(c)
			}
			for _, c := range v.Elems {
				visit(c)
			}
		}
		visit(m.root)
	})
}
