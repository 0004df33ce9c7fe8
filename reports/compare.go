package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Cell statuses of a comparison besides the case statuses (StatusPassed,
// StatusFailed, StatusSkipped, StatusNotSupported).
const (
	// FeaturePartial: some cases needing the feature passed, the others
	// did not run (skipped, not supported for another feature, or absent
	// from the report), and none failed.
	FeaturePartial = "partial"
	// FeatureUntested: no case needing the feature ran, and the
	// implementation does not lack it.
	FeatureUntested = "untested"
	// CaseAbsent: the report has no case of that name.
	CaseAbsent = "absent"
)

// Comparison is several conformance reports side by side, as Gateway API's
// implementation tables compare implementations: one column per report,
// a row per feature and a row per case. Cells are in column order.
type Comparison struct {
	Columns  []Column
	Features []FeatureRow
	Cases    []CaseRow
}

// Column is one report of a comparison: the implementation and how its
// run went as a whole.
type Column struct {
	Implementation Implementation
	// Label names the column: the implementation's name and version, and
	// the report's date when another column has the same name and version.
	Label       string
	Date        time.Time
	LBCheck     string // the lbcheck version that ran the suite
	Result      string
	Profiles    []ProfileResult
	Statistics  Statistics // counted from the report's cases
	DurationSec float64
}

// Cell is one implementation's status in a row, with a note saying why
// when the status alone does not (a case's reason; the feature's cases
// that passed).
type Cell struct {
	Status string
	Note   string
}

// FeatureRow is one feature: the cases needing it and each
// implementation's status for it.
type FeatureRow struct {
	Name  string
	Cases []string // the comparison's cases listing the feature, in case order
	Cells []Cell
}

// CaseRow is one case by name: what it checks, taken from the first report
// that has it (its features from all of them), and its status in each.
type CaseRow struct {
	Name        string
	Profile     string
	Description string
	Source      string
	Features    []string
	Cells       []Cell
}

// SameRunError is Compare's error for two reports (Compare's indexes
// First < Second) of the same implementation name and version with the
// same date (to the second, as the labels show it): most likely one run
// given twice.
type SameRunError struct {
	First, Second int
	Label         string // the implementation's name and version
	Date          time.Time
}

func (e *SameRunError) Error() string {
	return fmt.Sprintf("reports %d and %d are both %s of %s: give each run once, or compare runs of different dates", e.First+1, e.Second+1, e.Label, formatDate(e.Date))
}

// Compare lines up two or more reports. Cases are matched by name; the case
// rows come in profile order (core, extended, then others), within a
// profile in the order of the first report that has them, and the features
// in the order the case rows first list them. Two reports of the same
// implementation name and version are told apart by their dates (the
// columns' labels add them); with the same date too they are a
// *SameRunError. A report with two cases of one name is an error.
//
// A case cell is the case's status in that report, CaseAbsent when the
// report has no such case; a status the reports package does not know
// counts as failed, as Summarize counts it.
//
// A feature cell is, for the comparison's cases listing the feature:
//   - StatusFailed when one of them failed in that report;
//   - else StatusNotSupported when the implementation lacks the feature:
//     one of its cases names it unsupported, or the feature is extended
//     (some report declares it in Implementation.Features or lacks it) and
//     this report does not declare it;
//   - else StatusPassed when every one of them is in the report and passed;
//   - else FeaturePartial when some passed (the others skipped, not
//     supported for another feature, or absent);
//   - else FeatureUntested: none of them ran.
func Compare(reps []*ConformanceReport) (*Comparison, error) {
	if len(reps) < 2 {
		return nil, fmt.Errorf("a comparison needs two or more reports, got %d", len(reps))
	}
	cmp := &Comparison{}
	for _, r := range reps {
		cmp.Columns = append(cmp.Columns, newColumn(r))
	}
	if err := labelColumns(cmp.Columns); err != nil {
		return nil, err
	}
	byName, err := indexCases(reps, cmp.Columns)
	if err != nil {
		return nil, err
	}
	cmp.Cases = caseRows(reps, byName)
	cmp.Features = featureRows(reps, byName, cmp.Cases)
	return cmp, nil
}

// indexCases maps each report's cases by name; a name used twice in a
// report is an error.
func indexCases(reps []*ConformanceReport, cols []Column) ([]map[string]CaseResult, error) {
	byName := make([]map[string]CaseResult, len(reps))
	for i, r := range reps {
		byName[i] = map[string]CaseResult{}
		for _, c := range r.Cases {
			if _, dup := byName[i][c.Name]; dup {
				return nil, fmt.Errorf("report %d (%s) has two cases named %q: cases are compared by name; compare reports of one run each", i+1, cols[i].Label, c.Name)
			}
			byName[i][c.Name] = c
		}
	}
	return byName, nil
}

// caseRows are the case rows in Compare's order, with their cells.
func caseRows(reps []*ConformanceReport, byName []map[string]CaseResult) []CaseRow {
	var rows []CaseRow
	index := map[string]int{}
	for _, r := range reps {
		for _, c := range r.Cases {
			j, ok := index[c.Name]
			if !ok {
				j = len(rows)
				index[c.Name] = j
				rows = append(rows, CaseRow{Name: c.Name, Profile: c.Profile, Description: c.Description, Source: c.Source})
			}
			for _, f := range c.Features {
				if !slices.Contains(rows[j].Features, f) {
					rows[j].Features = append(rows[j].Features, f)
				}
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b CaseRow) int { return profileRank(a.Profile) - profileRank(b.Profile) })
	for j := range rows {
		for i := range reps {
			rows[j].Cells = append(rows[j].Cells, caseCell(byName[i], rows[j].Name))
		}
	}
	return rows
}

// featureRows are the features the case rows list, in their order, with
// their cells by Compare's rule.
func featureRows(reps []*ConformanceReport, byName []map[string]CaseResult, cases []CaseRow) []FeatureRow {
	var out []FeatureRow
	for _, row := range cases {
		for _, f := range row.Features {
			if !slices.ContainsFunc(out, func(fr FeatureRow) bool { return fr.Name == f }) {
				out = append(out, FeatureRow{Name: f})
			}
		}
	}
	extended := extendedFeatures(reps)
	for k := range out {
		fr := &out[k]
		var rows []CaseRow
		for _, row := range cases {
			if slices.Contains(row.Features, fr.Name) {
				rows = append(rows, row)
				fr.Cases = append(fr.Cases, row.Name)
			}
		}
		for i, r := range reps {
			lacks := extended[fr.Name] && !slices.Contains(r.Implementation.Features, fr.Name)
			fr.Cells = append(fr.Cells, featureCell(fr.Name, rows, i, byName[i], lacks))
		}
	}
	return out
}

// newColumn is r's column before labelColumns names it.
func newColumn(r *ConformanceReport) Column {
	profiles, result := r.summary()
	counted, _ := Summarize(r.Cases)
	return Column{Implementation: r.Implementation, Date: r.Date, LBCheck: r.Environment.LBCheck,
		Result: result, Profiles: profiles, Statistics: Sum(counted), DurationSec: r.DurationSec}
}

// summary is the report's profiles and result as it states them, or
// where it does not, as Summarize derives them from its cases.
func (r *ConformanceReport) summary() ([]ProfileResult, string) {
	profiles, result := Summarize(r.Cases)
	if len(r.Profiles) > 0 {
		profiles = r.Profiles
	}
	if r.Result != "" {
		result = r.Result
	}
	return profiles, result
}

// labelColumns names each column by implementation name and version,
// adding the date where two columns share both.
func labelColumns(cols []Column) error {
	base := make([]string, len(cols))
	for i, c := range cols {
		base[i] = c.Implementation.Name
		if c.Implementation.Version != "" {
			base[i] += " " + c.Implementation.Version
		}
	}
	for i := range cols {
		cols[i].Label = base[i]
		for j := range cols {
			if i == j || base[i] != base[j] {
				continue
			}
			if formatDate(cols[i].Date) == formatDate(cols[j].Date) { // what the labels would show
				return &SameRunError{First: min(i, j), Second: max(i, j), Label: base[i], Date: cols[i].Date}
			}
			cols[i].Label = base[i] + " (" + formatDate(cols[i].Date) + ")"
		}
	}
	return nil
}

// extendedFeatures are the features some report declares or lacks: only
// extended features are declared, and only they can be missing.
func extendedFeatures(reps []*ConformanceReport) map[string]bool {
	out := map[string]bool{}
	for _, r := range reps {
		for _, f := range r.Implementation.Features {
			out[f] = true
		}
		for _, c := range r.Cases {
			for _, f := range c.Unsupported {
				out[f] = true
			}
		}
	}
	return out
}

// caseCell is the case's cell in one report's cases.
func caseCell(cases map[string]CaseResult, name string) Cell {
	c, ok := cases[name]
	switch {
	case !ok:
		return Cell{Status: CaseAbsent, Note: "no such case in this report"}
	case c.Status == StatusPassed || c.Status == StatusFailed || c.Status == StatusSkipped || c.Status == StatusNotSupported:
		return Cell{Status: c.Status, Note: c.Reason}
	}
	return Cell{Status: StatusFailed, Note: fmt.Sprintf("unknown status %q, counted as failed", c.Status)}
}

// featureCell applies Compare's rule to the feature's case rows in column
// i; lacks says the report does not declare an extended feature.
func featureCell(feature string, rows []CaseRow, i int, cases map[string]CaseResult, lacks bool) Cell {
	var passed, failed []string
	for _, row := range rows {
		switch row.Cells[i].Status {
		case StatusPassed:
			passed = append(passed, row.Name)
		case StatusFailed:
			failed = append(failed, row.Name)
		}
		if slices.Contains(cases[row.Name].Unsupported, feature) {
			lacks = true
		}
	}
	switch {
	case len(failed) > 0:
		return Cell{Status: StatusFailed, Note: "failed: " + strings.Join(failed, ", ")}
	case lacks:
		return Cell{Status: StatusNotSupported, Note: "not declared by the implementation"}
	case len(passed) == len(rows):
		return Cell{Status: StatusPassed, Note: fmt.Sprintf("all %d cases passed", len(rows))}
	case len(passed) > 0:
		return Cell{Status: FeaturePartial, Note: fmt.Sprintf("%d of %d cases passed: %s", len(passed), len(rows), strings.Join(passed, ", "))}
	}
	return Cell{Status: FeatureUntested, Note: "no case needing it ran"}
}
