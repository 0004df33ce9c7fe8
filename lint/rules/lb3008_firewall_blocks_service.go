package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
)

// FirewallBlocksService is LB3008: the guest firewall drops the rule's
// traffic at the address the rule delivers to.
var FirewallBlocksService = &lint.Rule{
	ID:       "LB3008",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Guest firewall does not allow the rule's destination",
		Text: "The guest firewall must allow the destination the load balancer delivers: FrontendIP:backendPort with " +
			"Floating IP on (a rule limited to the DIP does not match), DIP:backendPort with it off. Windows " +
			"Defender Firewall lets a matching block rule win; Linux takes the first matching rule. Rules limited " +
			"to some remote addresses do not count as allowing every client. HA-ports rules (any port) are not checked.",
		Fix: "Windows: netsh advfirewall firewall add rule name=... dir=in action=allow protocol=TCP localip=<FIP> localport=<port>. " +
			"Linux: nft add rule inet filter input ip daddr <FIP> tcp dport <port> accept (ip6 daddr for an IPv6 address; or " +
			"ufw allow to <FIP> port <port> proto tcp).",
		Source: docFloatingIP,
	},
	Run: runFirewallBlocksService,
}

func runFirewallBlocksService(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, firewallEnabled, func(d delivery) {
		if !d.b.known(pass, bindBackendPort) || d.b.BackendPort == 0 || !d.b.known(pass, bindProtocol) {
			return
		}
		dst, ok := d.dst(pass)
		if !ok || !dst.IsValid() {
			return
		}
		for _, proto := range d.b.Protocols {
			p := packet{proto: proto.Sock(), dst: dst, port: d.b.BackendPort}
			ok, block := firewallAllows(d.Guest, p)
			if ok || !isNew([2]any{d.Guest, p}) {
				continue
			}
			pos, object, why := firewallPos(d.Guest, block)
			pass.Report(pos, object, allowFix(d.Guest, "lbcheck "+d.b.Name, p.proto, p.src, dst, p.port),
				fmt.Sprintf("guest %q: the firewall drops %s to %s, where %s (%s) delivers: %s; allow it",
					d.Guest.VM, p.proto, hostPort(dst, p.port), d.b, d.mode(), why))
		}
	})
}
