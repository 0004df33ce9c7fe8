// Package safetext escapes text that comes from lbcheck's inputs (file
// names, object paths and names, messages quoting them, a target's stderr)
// before it is printed, so that it cannot act on the terminal or CI log
// showing it: a newline in a name cannot start a line of its own (a GitHub
// workflow command such as ::add-mask::, a fake finding), and no escape
// sequence reaches a terminal.
//
// Escaped are the control characters (C0 but tab, DEL, C1), the Unicode
// line and paragraph separators, the bidirectional formatting characters
// (which reorder what a terminal or browser shows) and bytes that are not
// UTF-8, each written as a Go escape: \n, \r, \x1b, \u202e, \xff. So is
// the first colon of a line that starts, after blanks, with "::" (\x3a:),
// which GitHub Actions would read as a workflow command. Other text,
// backslashes included, is unchanged, so a Windows path reads as it is and
// an escape is told from a literal backslash only by context.
package safetext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s with every character Escapes reports written as its Go
// escape, so the result is one line of printable text, and a leading "::"
// escaped.
func Line(s string) string {
	return noCommand(escape(s))
}

// noCommand escapes the first colon of a line that GitHub Actions would
// take for a workflow command (it trims white space first).
func noCommand(line string) string {
	rest := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(rest, "::") {
		return line
	}
	return line[:len(line)-len(rest)] + `\x3a` + rest[1:]
}

func escape(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || Escapes(r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case Escapes(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// Lines escapes each line of s as Line does and keeps the line breaks
// (\n) between them: for text that has several lines, such as a target's
// stderr quoted in a failure.
func Lines(s string) string {
	if !strings.Contains(s, "\n") {
		return Line(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Line(l)
	}
	return strings.Join(lines, "\n")
}

// Escapes reports whether Line escapes r: a control character other than
// tab, a line or paragraph separator, or a bidirectional formatting
// character.
func Escapes(r rune) bool {
	switch {
	case r == '\t':
		return false
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	}
	return unicode.Is(unicode.Bidi_Control, r)
}
