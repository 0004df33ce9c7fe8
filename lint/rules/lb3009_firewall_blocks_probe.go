package rules

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/lint"
)

// FirewallBlocksProbe is LB3009: the guest firewall drops health probes.
var FirewallBlocksProbe = &lint.Rule{
	ID:       "LB3009",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Guest firewall blocks the health probe",
		Text: "IPv4 health probes come from 168.63.129.16 (service tag AzureLoadBalancer) to DIP:probePort over TCP " +
			"(Tcp, Http and Https probes). If the guest firewall drops them the backend is marked down and receives no flows. " +
			"IPv6 DIPs are not judged: Azure says only that IPv6 probes come from a link-local address, not which one.",
		Fix: "Windows: netsh advfirewall firewall add rule name=\"Azure LB probe\" dir=in action=allow protocol=TCP localport=<port> remoteip=168.63.129.16. " +
			"Linux: nft add rule inet filter input ip saddr 168.63.129.16 tcp dport <port> accept.",
		Source: docProbes,
	},
	Run: runFirewallBlocksProbe,
}

func runFirewallBlocksProbe(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, firewallEnabled, func(d delivery) {
		pr, ok := d.b.probe(pass)
		if !ok || pr == nil || !known(pass, pr, probePort) {
			return
		}
		dip, ok := d.dip(pass)
		if !ok || !dip.IsValid() || !dip.Is4() {
			return
		}
		p := packet{proto: "tcp", src: probeSource, dst: dip, port: pr.Port}
		ok, block := firewallAllows(d.Guest, p)
		if ok || !isNew([2]any{d.Guest, p}) {
			return
		}
		pos, object, why := firewallPos(d.Guest, block)
		pass.Report(pos, object, allowFix(d.Guest, "Azure LB probe", p.proto, p.src, p.dst, p.port),
			fmt.Sprintf("guest %q: the firewall drops probe %q from %s to %s: %s; allow it or the backend is marked down",
				d.Guest.VM, pr.Name, probeSource, hostPort(dip, pr.Port), why))
	})
}

// probeSource is the address Azure's IPv4 health probes come from.
var probeSource = netip.MustParseAddr("168.63.129.16")
