package format

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lbcheck/lbcheck/lint"
)

// sarifSchema compiles the official SARIF 2.1.0 schema from testdata.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-2.1.0-rtm.5.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateSARIF(t *testing.T, s *jsonschema.Schema, out []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("SARIF output is not valid SARIF 2.1.0: %v\n%s", err, out)
	}
}

func TestSARIFValid(t *testing.T) {
	s := sarifSchema(t)
	validateSARIF(t, s, render(t, "sarif"))
	var empty bytes.Buffer
	if err := SARIF(&empty, &Report{}); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, s, empty.Bytes())
}

// TestSARIFSchemaRejects proves the validation can fail: a result with a
// level SARIF does not define must be rejected.
func TestSARIFSchemaRejects(t *testing.T) {
	var log map[string]any
	if err := json.Unmarshal(render(t, "sarif"), &log); err != nil {
		t.Fatal(err)
	}
	run := log["runs"].([]any)[0].(map[string]any)
	run["results"].([]any)[0].(map[string]any)["level"] = "fatal"
	bad, _ := json.Marshal(log)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if sarifSchema(t).Validate(doc) == nil {
		t.Error("schema accepted level \"fatal\"")
	}
}

func TestSARIFContent(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif"), &log); err != nil {
		t.Fatal(err)
	}
	d := log.Runs[0].Tool.Driver
	if d.Name != "lbcheck" || d.Version != "v1.2.3" || d.InformationURI == "" || len(d.Rules) != 4 {
		t.Fatalf("driver = %+v", d)
	}
	r := d.Rules[2]
	if r.ID != "LB2001" || r.ShortDescription.Text != "two rules give the same destination" ||
		r.DefaultConfiguration.Level != "error" || r.HelpURI == "" || r.Help.Text == "" {
		t.Errorf("rule descriptor = %+v", r)
	}
	res := log.Runs[0].Results
	if len(res) != 6 {
		t.Fatalf("%d results, want 6", len(res))
	}
	if res[0].Locations != nil {
		t.Errorf("a finding without position got locations %+v", res[0].Locations)
	}
	loc := res[1].Locations[0].PhysicalLocation
	if loc.ArtifactLocation.URI != "dir/a%20b,c:d.yaml" || loc.Region.StartLine != 3 || loc.Region.StartColumn != 11 {
		t.Errorf("location = %+v / %+v", loc.ArtifactLocation, loc.Region)
	}
	if res[2].RuleIndex == nil || *res[2].RuleIndex != 2 {
		t.Errorf("LB2001 ruleIndex = %v", res[2].RuleIndex)
	}
	if res[4].Suppressions == nil || res[4].Suppressions[0].Kind != "inSource" || res[4].Suppressions[0].Justification != "lab only & temporary" {
		t.Errorf("suppressed result = %+v", res[4])
	}
	if res[5].RuleIndex != nil || res[5].Level != "note" {
		t.Errorf("uncatalogued info result = %+v", res[5])
	}
}

func TestFileURI(t *testing.T) {
	tests := map[string]string{
		"lb.yaml":        "lb.yaml",
		"./dir/lb.yaml":  "dir/lb.yaml",
		"/abs/x y.yaml":  "file:///abs/x%20y.yaml",
		"dir/a#b?c.yaml": "dir/a%23b%3Fc.yaml",
		"../up/lb.yaml":  "../up/lb.yaml",
	}
	for in, want := range tests {
		if got := fileURI(in); got != want {
			t.Errorf("fileURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSARIFArtifactsRelativeToRoot(t *testing.T) {
	r := &Report{Root: "/src/repo"}
	for _, tt := range []struct {
		file string
		want sarifArtifact
	}{
		{"deploy/lb.yaml", sarifArtifact{URI: "deploy/lb.yaml", URIBaseID: srcRoot}},
		{"/src/repo/deploy/lb.yaml", sarifArtifact{URI: "deploy/lb.yaml", URIBaseID: srcRoot}},
		{"/elsewhere/lb.yaml", sarifArtifact{URI: "file:///elsewhere/lb.yaml"}},
		{"../other/lb.yaml", sarifArtifact{URI: "file:///src/other/lb.yaml"}},
	} {
		if got := r.artifact(tt.file); got != tt.want {
			t.Errorf("artifact(%s) = %+v, want %+v", tt.file, got, tt.want)
		}
	}
	if got := (&Report{}).artifact("deploy/lb.yaml"); got != (sarifArtifact{URI: "deploy/lb.yaml"}) {
		t.Errorf("without a root: %+v", got)
	}
}

// TestJSONMatchesItsSchema: what JSON writes is valid against the shipped
// JSON Schema, and the schema can fail.
func TestJSONMatchesItsSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("lint-result.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("lint-result.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	r := sampleReport()
	cov := lint.Coverage{LoadBalancers: 2, Partly: 1}
	r.Coverage = &cov
	var empty bytes.Buffer
	if err := JSON(&empty, &Report{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"sample": renderReport(t, "json", r), "empty": empty.Bytes()} {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: JSON output does not match lint-result.schema.json: %v\n%s", name, err, out)
		}
	}
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"apiVersion": "lbcheck.io/v1alpha1", "kind": "LintResult", "findings": [{"rule": "LB2001"}], "summary": {"errors": 0, "warnings": 0, "files": 0}}`)))
	if s.Validate(bad) == nil {
		t.Error("the schema accepts a finding without severity, message and position")
	}
}
