package reports

import (
	"reflect"
	"testing"
)

func TestSummarize(t *testing.T) {
	c := func(profile, status string) CaseResult { return CaseResult{Profile: profile, Status: status} }
	tests := []struct {
		name       string
		cases      []CaseResult
		want       []ProfileResult
		wantResult string
	}{
		{"no cases", nil, nil, ResultPartial},
		{"all passed", []CaseResult{c("core", StatusPassed), c("core", StatusPassed)},
			[]ProfileResult{{Name: "core", Result: ResultSuccess, Statistics: Statistics{Passed: 2}}}, ResultSuccess},
		{"core first, then extended, then others by name",
			[]CaseResult{c("zeta", StatusPassed), c("extended", StatusSkipped), c("alpha", StatusPassed), c("core", StatusPassed)},
			[]ProfileResult{
				{Name: "core", Result: ResultSuccess, Statistics: Statistics{Passed: 1}},
				{Name: "extended", Result: ResultPartial, Statistics: Statistics{Skipped: 1}},
				{Name: "alpha", Result: ResultSuccess, Statistics: Statistics{Passed: 1}},
				{Name: "zeta", Result: ResultSuccess, Statistics: Statistics{Passed: 1}},
			}, ResultPartial},
		{"a failure wins", []CaseResult{c("core", StatusPassed), c("extended", StatusFailed), c("extended", StatusSkipped)},
			[]ProfileResult{
				{Name: "core", Result: ResultSuccess, Statistics: Statistics{Passed: 1}},
				{Name: "extended", Result: ResultFailure, Statistics: Statistics{Failed: 1, Skipped: 1}},
			}, ResultFailure},
		{"not supported makes the profile partial and names the features",
			[]CaseResult{c("core", StatusPassed),
				{Profile: "core", Status: StatusNotSupported, Unsupported: []string{"ha-ports", "health-probe"}},
				{Profile: "core", Status: StatusNotSupported, Unsupported: []string{"health-probe"}}},
			[]ProfileResult{{Name: "core", Result: ResultPartial, Statistics: Statistics{Passed: 1, NotSupported: 2}, Unsupported: []string{"ha-ports", "health-probe"}}},
			ResultPartial},
		{"unknown status counts as failed", []CaseResult{c("core", "crashed")},
			[]ProfileResult{{Name: "core", Result: ResultFailure, Statistics: Statistics{Failed: 1}}}, ResultFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, result := Summarize(tt.cases)
			if !reflect.DeepEqual(got, tt.want) || result != tt.wantResult {
				t.Errorf("Summarize = %+v, %q\nwant %+v, %q", got, result, tt.want, tt.wantResult)
			}
		})
	}
}

// TestFixtureSummary keeps the fixture honest: its stated profiles match
// what its cases say.
func TestFixtureSummary(t *testing.T) {
	r := loadFixture(t)
	got, result := Summarize(r.Cases)
	if !reflect.DeepEqual(got, r.Profiles) || result != r.Result {
		t.Errorf("fixture says %+v %q; its cases say %+v %q", r.Profiles, r.Result, got, result)
	}
}
