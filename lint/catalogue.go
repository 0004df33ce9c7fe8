package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// The JSON catalogue of rules (lbcheck rules --format json).
const (
	RulesAPIVersion = "lbcheck.io/v1alpha1"
	RulesKind       = "RuleCatalogue"
)

// FirstRelease is the version a rule without Doc.Since came with.
const FirstRelease = "0.1.0"

// ruleJSON is one rule of the JSON catalogue.
type ruleJSON struct {
	ID           string `json:"id"`
	Severity     string `json:"severity"`
	Title        string `json:"title"`
	Text         string `json:"text"`
	Fix          string `json:"fix"`
	Source       string `json:"source"`
	Since        string `json:"since"`
	Unobservable string `json:"unobservable,omitempty"`
}

// since is the version that introduced r.
func since(r *Rule) string {
	if r.Doc.Since != "" {
		return r.Doc.Since
	}
	return FirstRelease
}

// WriteRulesJSON writes the catalogue as a versioned JSON document
// (apiVersion, kind, rules).
func WriteRulesJSON(w io.Writer, rules []*Rule) error {
	doc := struct {
		APIVersion string     `json:"apiVersion"`
		Kind       string     `json:"kind"`
		Rules      []ruleJSON `json:"rules"`
	}{APIVersion: RulesAPIVersion, Kind: RulesKind, Rules: []ruleJSON{}}
	for _, r := range rules {
		doc.Rules = append(doc.Rules, ruleJSON{ID: r.ID, Severity: r.Severity.String(), Title: r.Doc.Title, Text: r.Doc.Text,
			Fix: r.Doc.Fix, Source: r.Doc.Source, Since: since(r), Unobservable: r.Doc.Unobservable})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// Example is a rule's fixtures: a deployment it flags (with its # want
// marks) and the same deployment fixed.
type Example struct {
	Bad, Good string
}

// WriteRulesMarkdown writes the catalogue as Markdown: a table of every
// rule, then a section per rule (why, example before and after when
// examples has one, fix, source, since). header comes first (what
// generated the file).
func WriteRulesMarkdown(w io.Writer, rules []*Rule, examples map[string]Example, header string) error {
	var b strings.Builder
	b.WriteString("# lbcheck lint rules\n\n")
	if header != "" {
		b.WriteString(header + "\n\n")
	}
	b.WriteString("Ranges: LB0xxx lbcheck itself (parsing, schema, suppressions), LB1xxx rule sets Azure rejects, " +
		"LB2xxx rule sets that deploy but fail, LB3xxx guest OS configuration, LB9xxx dubious but legal.\n\n")
	b.WriteString("| ID | Severity | Title |\n| --- | --- | --- |\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, mdCell(r.Doc.Title))
	}
	for _, r := range rules {
		d := r.Doc
		fmt.Fprintf(&b, "\n## %s\n\n**%s** · severity %s · since %s\n\n", r.ID, d.Title, r.Severity, since(r))
		fmt.Fprintf(&b, "### Why\n\n%s\n\n", d.Text)
		if ex, ok := examples[r.ID]; ok {
			fmt.Fprintf(&b, "### Example\n\nFlagged (each `# want` mark is a finding):\n\n```yaml\n%s```\n\n", withNewline(ex.Bad))
			if ex.Good != "" {
				fmt.Fprintf(&b, "Fixed:\n\n```yaml\n%s```\n\n", withNewline(ex.Good))
			}
		}
		fmt.Fprintf(&b, "### Fix\n\n%s\n\n", d.Fix)
		if d.Unobservable != "" {
			fmt.Fprintf(&b, "Not shown by `lbcheck conform`: %s\n\n", d.Unobservable)
		}
		fmt.Fprintf(&b, "Source: <%s>\n", d.Source)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
