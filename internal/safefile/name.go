package safefile

import "regexp"

var unsafeNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Name turns s (a case or target name) into a file name: each run of
// characters other than ASCII letters, digits, dot, dash and underscore
// becomes one underscore, so no separator or control character gets into
// a path lbcheck builds.
func Name(s string) string { return unsafeNameChars.ReplaceAllString(s, "_") }
