package snapshot

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lbcheck/lbcheck/schema"
)

// WriteYAML renders g as a native lbcheck guest declaration (a Deployment
// document with one guest). Strings are double-quoted, which is valid YAML
// for every value; the header says when and where the snapshot was taken.
func WriteYAML(w io.Writer, g *schema.Guest, taken time.Time) error {
	var b strings.Builder
	q := strconv.Quote
	fmt.Fprintf(&b, "# lbcheck guest snapshot of %s, taken %s.\n", g.VM, taken.UTC().Format(time.RFC3339))
	b.WriteString("# Fill in firewall and outbound flows by hand if lint should check them.\n")
	b.WriteString("guests:\n")
	fmt.Fprintf(&b, "  - vm: %s\n    os: %s\n", q(g.VM), q(string(g.OS)))
	if len(g.Interfaces) > 0 {
		b.WriteString("    interfaces:\n")
	}
	for _, i := range g.Interfaces {
		fmt.Fprintf(&b, "      - name: %s\n        kind: %s\n", q(i.Name), q(string(i.Kind)))
		if len(i.Addresses) > 0 {
			b.WriteString("        addresses:\n")
			for _, a := range i.Addresses {
				fmt.Fprintf(&b, "          - %s\n", q(a))
			}
		}
	}
	if len(g.Sysctls) > 0 {
		b.WriteString("    sysctls:\n")
		keys := make([]string, 0, len(g.Sysctls))
		for k := range g.Sysctls {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "      %s: %s\n", q(k), q(g.Sysctls[k]))
		}
	}
	if len(g.Listeners) > 0 {
		b.WriteString("    listeners:\n")
	}
	for _, l := range g.Listeners {
		fmt.Fprintf(&b, "      - proto: %s\n        address: %s\n        port: %d\n", q(string(l.Proto)), q(l.Address), l.Port)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
