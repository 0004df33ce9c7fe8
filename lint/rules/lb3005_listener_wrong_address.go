package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
)

// ListenerWrongAddress is LB3005: the guest's service is not bound to the
// address the rule delivers to.
var ListenerWrongAddress = &lint.Rule{
	ID:       "LB3005",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "Service not listening on the address the rule delivers to",
		Text: "With Floating IP on the backend receives FrontendIP:backendPort; with it off, DIP:backendPort. A " +
			"service bound only to the other address (or to nothing on that port) refuses the flows while the probe " +
			"may still pass. Checked only for guests that declare listeners; HA-ports rules (any port) are not checked.",
		Fix:    "Bind the service to the address the rule delivers to (FIP with Floating IP on, DIP with it off) or to the wildcard address (0.0.0.0 / ::).",
		Source: docMultiVIP,
	},
	Run: runListenerWrongAddress,
}

func runListenerWrongAddress(pass *lint.Pass) {
	isNew := once()
	deliveries(pass, hasListeners, func(d delivery) {
		if !d.b.known(pass, bindBackendPort) || d.b.BackendPort == 0 || !d.b.known(pass, bindProtocol) {
			return
		}
		dst, ok := d.dst(pass)
		if !ok || !dst.IsValid() {
			return
		}
		for _, p := range d.b.Protocols {
			proto, at := p.Sock(), hostPort(dst, d.b.BackendPort)
			if ok, _ := d.Guest.Serves(proto, dst, d.b.BackendPort); ok || !isNew([4]any{d.Guest, dst, proto, d.b.BackendPort}) {
				continue
			}
			why, pos, object := missingListener(d.Guest, proto, dst, d.b.BackendPort)
			pass.Report(pos, object, fmt.Sprintf("bind the service to %s or to the wildcard address", at),
				fmt.Sprintf("guest %q: %s (%s) delivers %s to %s, but %s: bind the service to %s or the wildcard address",
					d.Guest.VM, d.b, d.mode(), proto, at, why, at))
		}
	})
}
