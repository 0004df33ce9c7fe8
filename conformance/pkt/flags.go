package pkt

import (
	"fmt"
	"strings"
)

// Flags is a set of TCP flags.
type Flags uint8

// TCP flags. Matchers compare only SYN, ACK, FIN and RST (CoreFlags), so
// "ACK" matches a data segment that also carries PSH.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// CoreFlags are the flags a Match compares.
const CoreFlags = SYN | ACK | FIN | RST

var flagNames = []struct {
	f    Flags
	name string
}{{SYN, "SYN"}, {FIN, "FIN"}, {RST, "RST"}, {PSH, "PSH"}, {ACK, "ACK"}, {URG, "URG"}, {ECE, "ECE"}, {CWR, "CWR"}}

// String renders the set as "SYN|ACK"; the empty set is "".
func (f Flags) String() string {
	var parts []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}

// ParseFlags reads the form String writes ("SYN|ACK", case-insensitive,
// "," also accepted as separator). The empty string is the empty set.
func ParseFlags(s string) (Flags, error) {
	var f Flags
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' || r == ' ' }) {
		found := false
		for _, n := range flagNames {
			if strings.EqualFold(part, n.name) {
				f |= n.f
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown TCP flag %q (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)", part)
		}
	}
	return f, nil
}
