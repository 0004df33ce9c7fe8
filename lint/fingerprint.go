package lint

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
)

// Fingerprint identifies a finding by its rule, the object it is about (or,
// without one, its file) and its message with digits left out, so that it
// stays the same when lines move or numbers in the message change.
func Fingerprint(f Finding) string {
	where := f.Object
	if where == "" {
		where = filepath.ToSlash(f.Pos.File)
	}
	msg := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, f.Message)
	sum := sha256.Sum256([]byte(f.Rule + "\x00" + where + "\x00" + msg))
	return hex.EncodeToString(sum[:16])
}
