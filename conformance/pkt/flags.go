package pkt

import "strings"

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
