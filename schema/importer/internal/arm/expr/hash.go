package expr

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// uniqueString() and guid() hash their arguments. Azure's hashes are
// seeded with values lbcheck does not have, so the results are lbcheck's
// own, deterministic ones, Symbolic like the placeholders they are made of:
// the same arguments always give the same name, so that a resource named
// with uniqueString(resourceGroup().id) is found by a resourceId() built
// the same way.

// hashArgs hashes the arguments' texts; ok is false when one is not a
// string.
func hashArgs(a []*Value) ([32]byte, bool) {
	parts := make([]string, len(a))
	for i, v := range a {
		s, ok := text(v)
		if !ok || v.Kind != String {
			return [32]byte{}, false
		}
		parts[i] = s
	}
	return sha256.Sum256([]byte(strings.Join(parts, "\x00"))), true
}

var base32Lower = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// uniqueString returns 13 lower-case characters, as Azure's does.
func uniqueString(ev *Evaluator, a []*Value, at Pos) *Value {
	h, ok := hashArgs(a)
	if !ok {
		return NewUnknown("uniqueString() wants strings", at)
	}
	return NewSymbolWhy(base32Lower.EncodeToString(h[:])[:13], "uniqueString() is a hash Azure computes at deployment", at)
}

// guid returns a GUID-shaped hash.
func guid(ev *Evaluator, a []*Value, at Pos) *Value {
	h, ok := hashArgs(a)
	if !ok {
		return NewUnknown("guid() wants strings", at)
	}
	return NewSymbolWhy(fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]), "guid() is a hash Azure computes at deployment", at)
}
