package reports

import (
	"io"
	"slices"
	"strings"
)

// cellText is how the renderers show a comparison cell's status: Mark in
// Markdown's narrow tables, Words on the page, Meaning in both legends.
type cellText struct {
	Status, Mark, Words, Meaning string
}

// cellTexts are the statuses in the order the legends explain them.
var cellTexts = []cellText{
	{StatusPassed, "✓", "passed", "the case passed; for a feature, every case needing it passed"},
	{StatusFailed, "✗", "failed", "the case failed; for a feature, a case needing it failed"},
	{FeaturePartial, "partial", "partial", "some cases needing the feature passed, the others did not run (skipped, absent, or not supported for another feature)"},
	{StatusNotSupported, "n.s.", "not supported", "the implementation does not declare the feature (for a case: one it needs)"},
	{StatusSkipped, "skipped", "skipped", "the case did not run here; its reason says why"},
	{FeatureUntested, "untested", "untested", "no case needing the feature ran"},
	{CaseAbsent, "–", "absent", "the report has no such case"},
}

// cellLabel is the text of a status; Compare gives no other, and one from
// elsewhere is shown as itself.
func cellLabel(status string) cellText {
	for _, t := range cellTexts {
		if t.Status == status {
			return t
		}
	}
	return cellText{Status: status, Mark: status, Words: status}
}

// comparisonPage is what the comparison template renders.
type comparisonPage struct {
	Head     header
	C        *Comparison
	Features []featureView
	Cases    []caseRowView
	Legend   []cellText
	LBCheck  string // the lbcheck versions that ran the reports
}

// featureView is a feature row with its anchor and its cases as links to
// their rows.
type featureView struct {
	FeatureRow
	ID    string
	Links []caseLink
}

// caseRowView is a case row with its anchor.
type caseRowView struct {
	CaseRow
	ID string
}

type caseLink struct{ ID, Name string }

// WriteComparisonHTML renders c as one self-contained HTML page, in the
// layout and under the Content-Security-Policy of the report pages: a card
// per implementation (result, profiles, counts), the feature table, the
// case table (each case linked to the documentation it checks) and a
// legend. Cells carry their status in words as well as colour.
func WriteComparisonHTML(w io.Writer, c *Comparison) error {
	labels := make([]string, len(c.Columns))
	var versions []string
	for i, col := range c.Columns {
		labels[i] = col.Label
		if v := col.LBCheck; v != "" && !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
	}
	p := comparisonPage{
		Head:    newHeader("lbcheck comparison: " + strings.Join(labels, ", ")),
		C:       c,
		Legend:  cellTexts,
		LBCheck: strings.Join(versions, ", "),
	}
	ids := map[string]int{}
	caseIDs := map[string]string{}
	for _, row := range c.Cases {
		id := uniqueID(ids, "case-"+row.Name)
		caseIDs[row.Name] = id
		p.Cases = append(p.Cases, caseRowView{CaseRow: row, ID: id})
	}
	for _, row := range c.Features {
		fv := featureView{FeatureRow: row, ID: uniqueID(ids, "feature-"+row.Name)}
		for _, name := range row.Cases {
			fv.Links = append(fv.Links, caseLink{ID: caseIDs[name], Name: name})
		}
		p.Features = append(p.Features, fv)
	}
	return pages().ExecuteTemplate(w, "compare.html.tmpl", p)
}
