package reports

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gotest.tools/v3/golden"

	"github.com/lbcheck/lbcheck/internal/gojsonschema"
)

// TestConformanceSchema keeps conformance-report.schema.json what the Go
// types of the report make of it (`go test ./reports -run
// TestConformanceSchema -update` rewrites it), and checks that a report
// written by the code matches it and that it can fail.
func TestConformanceSchema(t *testing.T) {
	gen, err := gojsonschema.For(reflect.TypeOf(ConformanceReport{}),
		"https://github.com/lbcheck/lbcheck/reports/conformance-report.schema.json",
		"lbcheck conformance report (lbcheck conform --json, report.json)",
		map[string]string{"apiVersion": ConformanceAPIVersion, "kind": ConformanceKind})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gen, ConformanceSchema) {
		golden.Assert(t, string(gen), "../conformance-report.schema.json")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ConformanceSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile("testdata/conformance-report.json")
	if err != nil {
		t.Fatal(err)
	}
	var written bytes.Buffer
	r, err := ReadConformance("testdata/conformance-report.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteConformanceJSON(&written, r); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"testdata": sample, "as written": written.Bytes()} {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: the report does not match conformance-report.schema.json: %v", name, err)
		}
	}
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"apiVersion": "lbcheck.io/v1alpha1", "kind": "ConformanceReport", "cases": [{"name": 1}]}`)))
	if s.Validate(bad) == nil {
		t.Error("the schema accepts a report without implementation, result and case fields")
	}
}
