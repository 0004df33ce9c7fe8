package rules

import (
	"strings"
	"unicode"

	"github.com/lbcheck/lbcheck/internal/safetext"
)

// Fix commands are meant to be pasted into a shell, and the values in them
// (interface, rule and protocol names) come from the user's files, so each
// value is quoted for the shell the command targets: a name must not make
// a command of its own. Addresses, prefixes and ports are netip and integer
// values, which print as plain words.
//
// A value that cannot be written safely (it holds a control character, or,
// for netsh, a character cmd or PowerShell would act on even inside double
// quotes) is replaced by a quoted placeholder naming what to fill in, such
// as '<interface name>': the command then fails harmlessly until edited,
// and the finding's message names the object.

// shArg is s as one POSIX sh word, for ip and nft commands: bare when it is
// made of characters sh gives no meaning, else in single quotes, which sh
// takes literally (a single quote inside ends them, is written \', and
// opens them again).
func shArg(s, what string) string {
	switch {
	case strings.ContainsFunc(s, safetext.Escapes):
		return "'<" + what + ">'"
	case plainWord(s, "_@%+=:,./-"):
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// plainWord reports whether s is a non-empty word of ASCII letters, digits
// and the characters in extra.
func plainWord(s, extra string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r <= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(extra, r)))
	})
}

// netshArg is s as one double-quoted netsh argument that cmd.exe and
// PowerShell both pass through unchanged, or the placeholder "<what>" when
// s holds a character either shell acts on inside double quotes: " ends
// the quotes (PowerShell also takes “ ” „ for one), cmd expands %VAR% and,
// with delayed expansion, !VAR!, PowerShell expands $var and $(...) and
// escapes with `; a backslash before the closing quote would escape it for
// the argument parser. Other printable characters, & | ; < > ( ) ^ ' #
// included, are literal inside double quotes in both shells.
func netshArg(s, what string) string {
	if strings.ContainsFunc(s, netshUnsafe) {
		return `"<` + what + `>"`
	}
	return `"` + s + `"`
}

// netshWord is s bare when it is a plain word (ASCII letters, digits, . _
// and -), which both shells pass unchanged, else netshArg.
func netshWord(s, what string) string {
	if plainWord(s, "._-") {
		return s
	}
	return netshArg(s, what)
}

// netshUnsafe reports whether r may not appear inside netshArg's quotes.
func netshUnsafe(r rune) bool {
	return (!unicode.IsPrint(r) && r != ' ') || strings.ContainsRune("\"%!$`\\\u201c\u201d\u201e", r)
}
