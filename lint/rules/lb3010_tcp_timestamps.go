package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/view"
)

// TCPTimestamps is LB3010: a Linux backend explicitly enables TCP timestamps.
var TCPTimestamps = &lint.Rule{
	ID:       "LB3010",
	Severity: lint.Warning,
	Doc: lint.Doc{
		Title: "Linux backend enables TCP timestamps",
		Text: "Microsoft's probe documentation and SAP guides say: \"You should assume health probes fail when TCP " +
			"timestamps are enabled\" and prescribe net.ipv4.tcp_timestamps=0 for VMs behind Azure Load Balancer. " +
			"Reported when a guest behind a rule sets it to 1 explicitly.",
		Fix:    "sysctl -w net.ipv4.tcp_timestamps=0 and persist it in /etc/sysctl.d/",
		Source: docProbes,
		Unobservable: "Microsoft documents the outcome (probes fail), not the mechanism: which property of Azure's probes " +
			"(168.63.129.16 sending from several hosts) trips over timestamps is not written down, so the reference prober " +
			"cannot reproduce it faithfully and conform's probes succeed with timestamps on.",
	},
	Run: runTCPTimestamps,
}

func runTCPTimestamps(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, func(g *view.Guest) bool { return !g.IsWindows() && g.Sysctls["net.ipv4.tcp_timestamps"] == "1" }, func(d delivery) {
		g := d.Guest
		if !isNew(g) {
			return
		}
		pass.Report(g.At("sysctls"), g.Path(), "sysctl -w net.ipv4.tcp_timestamps=0",
			fmt.Sprintf("guest %q behind %s sets net.ipv4.tcp_timestamps=1; Azure documents that health probes fail with TCP timestamps: set it to 0", g.VM, d.b))
	})
}
