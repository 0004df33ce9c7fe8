package reports

import (
	"bufio"
	"io"
	"net/url"
	"strings"

	"github.com/lbcheck/lbcheck/internal/safetext"
)

// WriteComparisonMarkdown renders c as GitHub-flavoured Markdown to paste
// into a README: the feature table first, then the case table (each case
// linked to its source), the implementations' results, and a legend of the
// marks (✓ passed, ✗ failed, partial, n.s. not supported, ...). Text from
// the reports is escaped: it cannot end a cell, start a link or inline
// HTML, nor carry control or bidi characters (safetext).
func WriteComparisonMarkdown(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	labels := make([]string, len(c.Columns))
	for i, col := range c.Columns {
		labels[i] = mdText(col.Label)
	}

	bw.WriteString("### Features\n\n")
	if len(c.Features) == 0 {
		bw.WriteString("No case of these reports lists a feature.\n")
	} else {
		rows := make([][]string, len(c.Features))
		for i, f := range c.Features {
			rows[i] = append([]string{mdText(f.Name)}, mdMarks(f.Cells)...)
		}
		mdTable(bw, append([]string{"feature"}, labels...), 1, rows)
	}

	bw.WriteString("\n### Cases\n\n")
	rows := make([][]string, len(c.Cases))
	for i, cr := range c.Cases {
		rows[i] = append([]string{mdLink(cr.Name, cr.Source), mdText(cr.Profile)}, mdMarks(cr.Cells)...)
	}
	mdTable(bw, append([]string{"case", "profile"}, labels...), 2, rows)

	bw.WriteString("\n### Implementations\n\n")
	rows = make([][]string, len(c.Columns))
	for i, col := range c.Columns {
		var profiles []string
		for _, p := range col.Profiles {
			profiles = append(profiles, mdText(p.Name+": "+p.Result))
		}
		rows[i] = []string{labels[i], mdText(col.Result), strings.Join(profiles, ", "), mdText(col.Statistics.String()), mdText(formatDate(col.Date))}
	}
	mdTable(bw, []string{"implementation", "result", "profiles", "cases", "date"}, 5, rows)

	bw.WriteString("\nLegend:\n\n")
	for _, t := range cellTexts { // lbcheck's own words: no escaping
		name := t.Words
		if t.Mark != t.Words {
			name = t.Mark + " " + t.Words
		}
		bw.WriteString("- " + name + ": " + t.Meaning + "\n")
	}
	return bw.Flush()
}

// mdTable writes a GitHub table; the first left columns are left-aligned,
// the others centred. Cells are Markdown already.
func mdTable(w *bufio.Writer, header []string, left int, rows [][]string) {
	mdRow(w, header)
	align := make([]string, len(header))
	for i := range align {
		align[i] = ":-:"
		if i < left {
			align[i] = "---"
		}
	}
	mdRow(w, align)
	for _, r := range rows {
		mdRow(w, r)
	}
}

func mdRow(w *bufio.Writer, cells []string) {
	w.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// mdMarks are the cells' marks.
func mdMarks(cells []Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = mdText(cellLabel(c.Status).Mark)
	}
	return out
}

// mdEscaper backslash-escapes the characters that could make text
// Markdown: emphasis, code, links and images, inline HTML and entities,
// headings, strikethrough, math, and the pipe that ends a table cell.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
	"<", `\<`, ">", `\>`, "&", `\&`, "#", `\#`, "!", `\!`, "~", `\~`, "$", `\$`, "|", `\|`,
)

// mdText is s as one line of literal Markdown text.
func mdText(s string) string { return mdEscaper.Replace(safetext.Line(s)) }

// mdURLEscaper percent-encodes what would end a link's destination or a
// table cell.
var mdURLEscaper = strings.NewReplacer("(", "%28", ")", "%29", "|", "%7C", "<", "%3C", ">", "%3E", " ", "%20", `\`, "%5C")

// mdLink is text linked to an http(s) source; other sources (none, or a
// scheme a reader should not follow from a README) leave the text plain.
func mdLink(text, source string) string {
	u, err := url.Parse(source)
	if source == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return mdText(text)
	}
	return "[" + mdText(text) + "](" + mdURLEscaper.Replace(u.String()) + ")"
}
