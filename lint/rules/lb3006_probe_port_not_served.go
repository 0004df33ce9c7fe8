package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// ProbePortNotServed is LB3006: nothing in the guest answers the health
// probe on the DIP.
var ProbePortNotServed = &lint.Rule{
	ID:       "LB3006",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Probe port not served on the DIP",
		Text: "Health probes always go to the DIP of the backend, even with Floating IP on. A guest that declares " +
			"listeners but has none on DIP:probePort (or the wildcard) is marked down and receives no flows; a " +
			"listener bound only to the frontend IP does not answer probes.",
		Fix:    "Serve the probe port on the DIP or the wildcard address (0.0.0.0 / ::), reflecting the health of the service.",
		Source: docProbes,
	},
	Run: runProbePortNotServed,
}

func runProbePortNotServed(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, hasListeners, func(d delivery) {
		p, ok := d.b.probe(pass)
		if !ok || p == nil || !known(pass, p, probePort) {
			return
		}
		dip, ok := d.dip(pass)
		if !ok || !dip.IsValid() {
			return
		}
		if ok, _ := d.Guest.Serves("tcp", dip, p.Port); ok || !isNew([3]any{d.Guest, dip, p.Port}) {
			return
		}
		why, pos, object := missingListener(d.Guest, "tcp", dip, p.Port)
		pass.Report(pos, object, fmt.Sprintf("serve the probe on %s or the wildcard address", hostPort(dip, p.Port)),
			fmt.Sprintf("guest %q: probe %q of %s%s goes to %s, but %s: serve the probe on the DIP or the wildcard address",
				d.Guest.VM, p.Name, d.b, protocolNote(p), hostPort(dip, p.Port), why))
	})
}

// protocolNote is " (Tcp)" for a probe whose protocol is known, else "":
// messages name it, but no verdict depends on it (every probe connects
// over TCP).
func protocolNote(p *schema.Probe) string {
	if settled(p, probeProtocol, p.Protocol != "") {
		return " (" + string(p.Protocol) + ")"
	}
	return ""
}
