// Package contract defines the target contract: what the conformance runner
// hands to an implementation's mux and host processes. The runner writes a
// Config as JSON, starts each role inside its network namespace with the
// environment variables below, waits for the line "ready" on stdout, and
// stops the process with SIGTERM (then SIGKILL after a grace period).
//
// The reference forwarder (lbcheck forward) implements the same contract, so
// the contract is exercised by every conformance run.
//
// # Containment
//
// A role runs as root, with the runner's environment plus the manifest's
// env and the variables below, in the role's network namespace, which has
// no link to the machine's own. The runner forks it into a cgroup v2 of its
// own (under the runner's cgroup), so whatever it starts stays there, also
// a daemon that double-forks, calls setsid or moves to another network
// namespace. Stop sends SIGTERM to the role's process group, waits the
// manifest's timeouts.stop, then kills everything in the cgroup (cgroup.kill)
// and waits until it is empty; a role that exits early is killed the same
// way when the target is stopped. If the runner itself dies, the kernel
// kills each role process (parent-death signal), and the next lbcheck run
// kills and removes what is left in the cgroups of the dead one. A role's
// stdout and stderr go through the runner: each log file (mux.stderr.log,
// host-N.stdout.log, ... in the run directory) holds the first 8 MiB, a
// note where it was cut and, once the stream ends, its last 16 KiB; the
// runner keeps 16 KiB of each stream in memory, and error messages quote
// the last lines of stderr from there.
//
// This bounds a role's lifetime and its output, not what it may do: the
// namespace and the cgroup are no sandbox. As root a role can still move
// itself out of its cgroup (a write to another cgroup's cgroup.procs; it
// then survives stop), hand work to something outside (systemd, cron, a
// container runtime), enter any network namespace including the machine's
// own and change its addresses, routes and firewall, see, signal and
// ptrace every process of the machine (the PID namespace is shared), read
// and write any file (the run directory, other roles' logs, captures),
// load kernel modules, set sysctls outside net.*, send from another role's
// fabric address (the reference forwarder checks sender addresses, not
// identities), and use CPU, memory and disk without limit (the cgroup sets
// no resource limits). Run only targets you would run as root on that
// machine.
package contract

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/lbcheck/lbcheck/schema"
)

// ConfigSchema is the JSON Schema (2020-12) of the Config file, derived
// from its Go types (internal/gojsonschema); CONTRACT.md beside this
// package describes every field. topo's TestConfigMatchesSchema keeps it
// current and checks the configs the runner writes against it.
//
//go:embed config.schema.json
var ConfigSchema []byte

// Environment variables set for every role process.
const (
	EnvRole      = "LBCHECK_ROLE"       // "mux" or "host"
	EnvConfig    = "LBCHECK_CONFIG"     // path of the Config JSON file
	EnvIface     = "LBCHECK_IFACE"      // the role's fabric-facing interface
	EnvVMIface   = "LBCHECK_VM_IFACE"   // host role: the interface towards its VM
	EnvHostIndex = "LBCHECK_HOST_INDEX" // host role: index into Config.Hosts
)

// Roles.
const (
	RoleMux  = "mux"
	RoleHost = "host"
)

// ReadyLine is what a role prints on stdout once it forwards packets.
const ReadyLine = "ready"

// ProbeSource is the address Azure health probes come from. Host agents
// source their probes from it; the topology routes it back to the host.
const ProbeSource = "168.63.129.16"

// Config is the resolved deployment plus the topology the runner built.
// Addresses are plain IPv4 strings; MACs are colon-separated hex.
type Config struct {
	Deployment *schema.Deployment `json:"deployment"`
	Mux        Mux                `json:"mux"`
	// Hosts run the VMs. The VMs form one virtual network: a VM sends to
	// the other VMs' DIPs and to internal load balancers' frontend IPs
	// through its host (the topology makes the host's end of the VM link
	// their neighbour, as Azure's hosts answer ARP for all of them), and
	// each host routes internal frontend IPs to the mux. How hosts carry
	// packets between VMs is the implementation's (the reference
	// encapsulates them host to host on EncapPort).
	Hosts []Host `json:"hosts"`
	// Clients are the client addresses (for reference only: the forwarder
	// must work for any source address).
	Clients []string `json:"clients,omitempty"`
	// Internet are addresses standing for the internet: the destinations
	// of the guests' declared outbound connections, held by the first
	// client; hosts route those beyond the fabric's subnet to it. A
	// connection a VM opens to one leaves through its host (outbound
	// SNAT); the answers come back to the SNAT frontend through the mux.
	Internet []string `json:"internet,omitempty"`
	// EncapPort is the UDP port host agents receive encapsulated packets on.
	EncapPort int `json:"encapPort"`
	// ControlPort is the UDP port the mux listens on for health reports from
	// host agents (implementation-defined use; the reference forwarder uses it).
	ControlPort int `json:"controlPort"`
	// MinuteMillis is how long, in milliseconds, one minute of the
	// deployment's time lasts: its idle timeouts (idleTimeoutInMinutes of
	// its rules, NAT rules and outbound rules) and its probe intervals
	// (intervalInSeconds: 5 s is 5/60 of a minute) scale by it; 0 or
	// absent means 60000. The runner shortens it for deployments whose
	// cases wait out an idle timeout or a probe interval, so Azure's
	// shortest idle timeout, 4 minutes, passes in about a second, and a
	// 5-second probe interval in half a second.
	MinuteMillis int `json:"minuteMillis,omitempty"`
	// MTU is the virtual network's MTU (1500, Azure's): the largest IPv4
	// packet a VM sends or receives. The fabric's links have room for an
	// encapsulated packet of that size (FabricMTU). A client packet for a
	// rule that is larger is not delivered; with DF set, the client gets
	// ICMP "fragmentation needed" with this MTU (RFC 1191).
	MTU int `json:"mtu"`
	// FabricMTU is the MTU of every fabric link (client, mux and host
	// interfaces): 9000, as Azure's physical network carries the
	// encapsulation's overhead without fragmenting.
	FabricMTU int `json:"fabricMtu"`
}

// Scaled returns how long d of the deployment's time lasts (MinuteMillis).
func (c *Config) Scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * float64(c.Minute()) / float64(time.Minute))
}

// Minute returns the length of one minute of the deployment's time
// (MinuteMillis).
func (c *Config) Minute() time.Duration {
	if c.MinuteMillis <= 0 {
		return time.Minute
	}
	return time.Duration(c.MinuteMillis) * time.Millisecond
}

// Mux describes the mux namespace. Clients route every frontend IP to Address.
type Mux struct {
	Address string `json:"address"` // fabric address
	MAC     string `json:"mac"`
	Iface   string `json:"iface"`
}

// Host describes one host (hypervisor) namespace and the VM behind it.
type Host struct {
	Index   int    `json:"index"`
	Address string `json:"address"` // fabric (provider) address, the encapsulation target
	MAC     string `json:"mac"`
	Iface   string `json:"iface"`   // fabric-facing interface in the host namespace
	VMIface string `json:"vmIface"` // interface towards the VM in the host namespace
	// VMIfaceMAC is the MAC of VMIface: the VM's default gateway.
	VMIfaceMAC string `json:"vmIfaceMac"`
	// Gateway is the address the VM uses as its default gateway (on VMIface).
	Gateway string `json:"gateway"`
	VM      VM     `json:"vm"`
}

// VM is the guest behind a host.
type VM struct {
	Name  string `json:"name"`  // schema VM name
	MAC   string `json:"mac"`   // MAC of the VM's NIC (eth0 in the VM namespace)
	Iface string `json:"iface"` // NIC name inside the VM namespace
	// DIPs are the VM's IP configuration addresses (primary first).
	DIPs []string `json:"dips"`
}

// Load reads the Config named by LBCHECK_CONFIG (or path when not empty).
func Load(path string) (*Config, error) {
	if path == "" {
		path = os.Getenv(EnvConfig)
	}
	if path == "" {
		return nil, fmt.Errorf("no target config: set %s to the JSON file the conformance runner wrote", EnvConfig)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading target config: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("target config %s: %w", path, err)
	}
	if c.Deployment == nil {
		return nil, fmt.Errorf("target config %s: no deployment", path)
	}
	return &c, nil
}

// HostForVM returns the host that runs the named VM, or nil.
func (c *Config) HostForVM(vm string) *Host {
	for i := range c.Hosts {
		if c.Hosts[i].VM.Name == vm {
			return &c.Hosts[i]
		}
	}
	return nil
}
