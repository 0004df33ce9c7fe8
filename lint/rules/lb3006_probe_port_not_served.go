package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
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
	ix := indexOf(pass)
	isNew := once()
	ix.deliveries([]string{"probe"}, func(d delivery) {
		p := d.b.probe()
		if p == nil || len(d.g.g.Listeners) == 0 || !d.dip.IsValid() {
			return
		}
		if ok, _ := d.g.listenerFor("tcp", d.dip, p.Port); ok || !isNew([3]any{d.g, d.dip, p.Port}) {
			return
		}
		why, pos, object := d.g.missingListener("tcp", d.dip, p.Port)
		pass.Report(pos, object, fmt.Sprintf("serve the probe on %s or the wildcard address", hostPort(d.dip, p.Port)),
			fmt.Sprintf("guest %q: probe %q of %s (%s) goes to %s, but %s: serve the probe on the DIP or the wildcard address",
				d.g.g.VM, p.Name, d.b, p.Protocol, hostPort(d.dip, p.Port), why))
	})
}
