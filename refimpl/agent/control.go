package agent

import (
	"encoding/json"
	"fmt"
)

// ControlVersion is the version of the health report format.
const ControlVersion = 1

// HealthReport is the control message a host agent sends to the mux's
// ControlPort after every probe, one UDP datagram of JSON:
//
//	{"v":1,"host":0,"probe":"lb/p/10.1.0.4","up":true}
//
// probe is ruleset.Probe.Key ("<load balancer>/<probe>/<DIP>"); up is the
// state after the probe threshold was applied. Reports repeat every probe
// interval, so a lost datagram or a restarted mux heals by itself. Host
// agents send them from their address and the config's encapPort; the mux
// takes a report only from there and only from the host of the probed VM.
type HealthReport struct {
	V     int    `json:"v"`
	Host  int    `json:"host"`
	Probe string `json:"probe"`
	Up    bool   `json:"up"`
}

// Marshal encodes r as one datagram.
func (r HealthReport) Marshal() []byte {
	b, _ := json.Marshal(r) // a struct of strings, ints and bools always encodes
	return b
}

// ParseHealthReport decodes one datagram.
func ParseHealthReport(b []byte) (HealthReport, error) {
	var r HealthReport
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("health report: %w", err)
	}
	if r.V != ControlVersion {
		return r, fmt.Errorf("health report: version %d, want %d", r.V, ControlVersion)
	}
	if r.Probe == "" {
		return r, fmt.Errorf("health report: no probe key")
	}
	return r, nil
}
