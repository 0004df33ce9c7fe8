package guest

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/netlab"
)

// Preflight installs a host-model drop and a firewall in ns (a throwaway
// namespace) to check that the kernel has the nftables features guests
// need; the error names them.
func Preflight(ns *netlab.NS) error {
	p := &Plan{
		HostModel: []DropRule{{In, "eth0", netip.MustParseAddr("203.0.113.1")}, {Out, "eth0", netip.MustParseAddr("203.0.113.1")}},
		Firewall:  &FirewallPlan{DefaultDrop: true, Rules: []FWRule{{Accept: true, Proto: "tcp", Local: netip.MustParsePrefix("10.0.0.0/8"), LocalPort: 80}}},
	}
	if err := applyNFT(ns.Fd(), p); err != nil {
		return fmt.Errorf("%w (needs nf_tables with IPv4 filter chains, meta, payload, bitwise, ct and counter: CONFIG_NF_TABLES, CONFIG_NF_TABLES_IPV4, CONFIG_NFT_CT)", err)
	}
	return nil
}
