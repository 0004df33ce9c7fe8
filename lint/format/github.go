package format

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
)

// GitHub writes GitHub Actions workflow commands, one per finding, which the
// runner turns into annotations on the pull request:
//
//	::error file=lb.yaml,line=12,col=7,title=LB2001::message
//
// Info findings and shown suppressed findings become notices. What comes
// from the inputs is escaped twice: control characters as the text format
// does (safetext), then as the runner expects of a workflow command's data
// and properties, so no name can end the command or start another.
func GitHub(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Findings {
		var props []string
		if f.Pos.File != "" {
			props = append(props, "file="+escapeProperty(safetext.Line(f.Pos.File)))
		}
		if f.Pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", f.Pos.Line))
		}
		if f.Pos.Column > 0 {
			props = append(props, fmt.Sprintf("col=%d", f.Pos.Column))
		}
		props = append(props, "title="+escapeProperty(f.Rule))
		msg := safetext.Line(f.Message)
		if f.Fix != "" {
			msg += "\nfix: " + strings.Join(fixLines(f), "\n")
		}
		if f.Suppressed != nil {
			msg += "\n(suppressed: " + safetext.Line(f.Suppressed.Reason) + ")"
		}
		fmt.Fprintf(bw, "::%s %s::%s\n", githubLevel(f), strings.Join(props, ","), escapeData(msg))
	}
	return bw.Flush()
}

func githubLevel(f lint.Finding) string {
	switch {
	case f.Suppressed != nil || f.Severity == lint.Info:
		return "notice"
	case f.Severity == lint.Warning:
		return "warning"
	default:
		return "error"
	}
}

// escapeData escapes a command's message as the Actions runner expects.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a command property value, where ":" and "," are
// delimiters too.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
