// Package textenc turns the encodings users' text files come in into the
// UTF-8 the parsers read: Windows tools (PowerShell 5's Out-File, Notepad)
// write UTF-16 with a byte order mark, or UTF-8 with one.
package textenc

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// UTF8 returns src as UTF-8 without a byte order mark, converting UTF-16
// (little or big endian, with its mark). Anything else is returned as is.
func UTF8(src []byte) []byte {
	switch {
	case bytes.HasPrefix(src, []byte{0xEF, 0xBB, 0xBF}):
		return src[3:]
	case bytes.HasPrefix(src, []byte{0xFF, 0xFE}):
		return fromUTF16(src[2:], binary.LittleEndian)
	case bytes.HasPrefix(src, []byte{0xFE, 0xFF}):
		return fromUTF16(src[2:], binary.BigEndian)
	}
	return src
}

func fromUTF16(b []byte, order binary.ByteOrder) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	return []byte(string(utf16.Decode(u)))
}
