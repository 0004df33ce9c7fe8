package topo

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gotest.tools/v3/golden"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/internal/gojsonschema"
	"github.com/lbcheck/lbcheck/schema"
)

// TestConfigMatchesSchema keeps conformance/contract/config.schema.json
// what contract.Config's Go types make of it (`go test
// ./conformance/topo -run TestConfigMatchesSchema -update` rewrites it)
// and checks that the config the runner writes for a deployment matches it.
func TestConfigMatchesSchema(t *testing.T) {
	gen, err := gojsonschema.For(reflect.TypeOf(contract.Config{}),
		"https://github.com/lbcheck/lbcheck/conformance/contract/config.schema.json",
		"lbcheck target contract: the config a role reads from $LBCHECK_CONFIG", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gen, contract.ConfigSchema) {
		golden.Assert(t, string(gen), "../../contract/config.schema.json")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(contract.ConfigSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	d, issues, err := schema.Load("../../fixtures/examples")
	if err != nil || len(issues) > 0 {
		t.Fatalf("examples: %v %v", err, issues)
	}
	spec, err := Plan(d, Options{Minute: 250e6})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(spec.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("the config the runner writes does not match config.schema.json: %v", err)
	}
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"mux": {"address": 1}}`)))
	if s.Validate(bad) == nil {
		t.Error("the schema accepts a config without deployment and hosts")
	}
}
