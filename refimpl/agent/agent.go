// Package agent wires the pure cores to sockets: the mux role (AF_PACKET in,
// Process, UDP encapsulation out; health reports in) and the host role (UDP
// encapsulation in, rewrite, AF_PACKET to the VM; AF_PACKET from the VM,
// reverse-rewrite, raw IPv4 or IPv6 to the client; health probes out).
// Packets to and from clients and VMs are IPv4 or IPv6; the fabric between
// mux and hosts is IPv4 (the target contract's addresses). Each role
// binds its sockets in New* (in the caller's network namespace) and runs
// until its context is cancelled, then closes them.
package agent

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// expireEvery is how often read loops walk the flow tables for idle flows,
// at most: sweepEvery walks more often when idle timeouts are short.
const expireEvery = time.Second

// sweepEvery is how often to walk the flow tables of set for idle flows: a
// tenth of its shortest idle timeout (so a flow expires, and is reset,
// within about 10% of its timeout), at most expireEvery, at least 10 ms.
func sweepEvery(set *ruleset.Set) time.Duration {
	every := min(expireEvery, set.UDPIdle/10)
	for _, r := range set.Rules {
		every = min(every, r.Idle/10)
	}
	for _, sn := range set.SNATs {
		every = min(every, sn.Idle/10)
	}
	return max(every, 10*time.Millisecond)
}

// Options configure a role.
type Options struct {
	Config *contract.Config
	// Iface is the fabric-facing interface (LBCHECK_IFACE).
	Iface string
	// VMIface is the host role's interface towards its VM (LBCHECK_VM_IFACE).
	VMIface string
	// HostIndex indexes Config.Hosts for the host role (LBCHECK_HOST_INDEX).
	HostIndex int
	// Log receives one line per notable event (health changes, errors).
	Log io.Writer
	// FlowLimit caps each flow table (default 65536).
	FlowLimit int
}

// Role is a running mux or host agent.
type Role interface {
	// Run forwards until ctx is done, then closes the role's sockets.
	Run(ctx context.Context) error
	// Counters returns the role's counters.
	Counters() *stats.Counters
}

// New binds the sockets of role (contract.RoleMux or contract.RoleHost) in
// the current network namespace.
func New(role string, o Options) (Role, error) {
	switch role {
	case contract.RoleMux:
		return NewMux(o)
	case contract.RoleHost:
		return NewHost(o)
	}
	return nil, fmt.Errorf("unknown role %q (want %s or %s)", role, contract.RoleMux, contract.RoleHost)
}

func newLogger(w io.Writer, role string) *log.Logger {
	if w == nil {
		w = io.Discard
	}
	return log.New(w, "lbcheck forward "+role+": ", log.LstdFlags|log.Lmicroseconds)
}

// compile checks the parts of the target config both roles use and
// compiles the deployment, logging what it had to leave out.
func compile(o Options, logger *log.Logger) (*ruleset.Set, error) {
	if o.Config == nil || o.Config.Deployment == nil {
		return nil, fmt.Errorf("no deployment in the target config")
	}
	if err := checkPort("encapPort", o.Config.EncapPort); err != nil {
		return nil, err
	}
	if err := checkPort("controlPort", o.Config.ControlPort); err != nil {
		return nil, err
	}
	set, err := ruleset.Compile(o.Config.Deployment)
	if err != nil {
		return nil, err
	}
	set.ScaleMinute(o.Config.Minute())
	for _, w := range set.Warnings {
		logger.Print("warning: ", w)
	}
	return set, nil
}

// parseAddr parses an IPv4 address of the target config: the fabric's and
// the VMs' gateways.
func parseAddr(what, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("target config: %s %q is not an IPv4 address", what, s)
	}
	return a, nil
}

// parseIP parses an IPv4 or IPv6 address of the target config (a VM's
// DIPs).
func parseIP(what, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("target config: %s %q is not an IP address", what, s)
	}
	return a.Unmap(), nil
}

func parseMAC(what, s string) ([6]byte, error) {
	var m [6]byte
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return m, fmt.Errorf("target config: %s %q is not a MAC address", what, s)
	}
	copy(m[:], hw)
	return m, nil
}

func checkPort(what string, p int) error {
	if p <= 0 || p > 65535 {
		return fmt.Errorf("target config: %s %d is not a UDP port (set it to 1..65535)", what, p)
	}
	return nil
}

// unmap turns an IPv4-mapped IPv6 sender into the IPv4 one the config
// names.
func unmap(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

// isTimeout reports whether err is a read deadline expiring.
func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
