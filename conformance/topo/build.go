package topo

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/schema"
)

// linkTimeout bounds the wait for links to become operationally up.
const linkTimeout = 3 * time.Second

// ConfigFile is the name of the contract.Config JSON in the run directory.
const ConfigFile = "config.json"

// Topology is a built topology. Observation points for the harness: each
// Client's Iface, the Mux's Iface and each VM's Iface.
type Topology struct {
	Lab        *netlab.Lab
	Spec       *Spec
	Config     *contract.Config
	ConfigPath string // pass to targets in contract.EnvConfig
	Fabric     *netlab.NS
	Mux        Node
	Clients    []Node
	Hosts      []Host

	closeOnce sync.Once
	closeErr  error
}

// Node is a namespace with its fabric interface.
type Node struct {
	NS    *netlab.NS
	Iface string
	Addr  netip.Addr
	MAC   net.HardwareAddr
}

// Host is a host namespace and the VM behind it.
type Host struct {
	Node
	Index      int
	VMIface    string
	VMIfaceMAC net.HardwareAddr
	VM         VM
}

// VM is a configured guest namespace.
type VM struct {
	Name    string
	NS      *netlab.NS
	Iface   string // NIC name in NS (observation point)
	MAC     net.HardwareAddr
	DIPs    []netip.Addr
	Gateway netip.Addr
	Guest   *guest.Guest
}

// VM returns the named VM, or nil.
func (t *Topology) VM(name string) *VM {
	for i := range t.Hosts {
		if t.Hosts[i].VM.Name == name {
			return &t.Hosts[i].VM
		}
	}
	return nil
}

// Host returns the host of the named VM, or nil.
func (t *Topology) Host(vm string) *Host {
	for i := range t.Hosts {
		if t.Hosts[i].VM.Name == vm {
			return &t.Hosts[i]
		}
	}
	return nil
}

// Dir returns the run directory (config, logs).
func (t *Topology) Dir() string { return t.Lab.Dir() }

// Close stops the guest responders and removes every namespace (and the
// run directory unless Options.Dir was given). It is idempotent.
func (t *Topology) Close() error {
	t.closeOnce.Do(func() {
		var errs []error
		for _, h := range t.Hosts {
			if h.VM.Guest != nil {
				if err := h.VM.Guest.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		errs = append(errs, t.Lab.Close())
		t.closeErr = errors.Join(errs...)
	})
	return t.closeErr
}

// Build plans the topology for d (see Plan), creates it and configures the
// guests. On error everything created so far is removed.
func Build(d *schema.Deployment, opts Options) (*Topology, error) {
	spec, err := Plan(d, opts)
	if err != nil {
		return nil, fmt.Errorf("conformance topology: %w", err)
	}
	lab, err := netlab.New(netlab.Options{Dir: opts.Dir})
	if err != nil {
		return nil, err
	}
	t := &Topology{Lab: lab, Spec: spec, Config: spec.Config}
	if err := t.build(); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("conformance topology: %w", err)
	}
	return t, nil
}

func (t *Topology) build() error {
	if err := t.namespaces(); err != nil {
		return err
	}
	if err := t.Fabric.AddBridge(Bridge); err != nil {
		return err
	}
	// Links first (they need two namespaces each), then each namespace is
	// configured on its own, in parallel.
	nodes := []*Node{&t.Mux}
	for i := range t.Clients {
		nodes = append(nodes, &t.Clients[i])
	}
	for i := range t.Hosts {
		nodes = append(nodes, &t.Hosts[i].Node)
	}
	for _, n := range nodes {
		if err := t.Fabric.AddVeth(n.NS.Role, portMAC(n.MAC), n.NS, n.Iface, n.MAC); err != nil {
			return err
		}
		if err := t.Fabric.SetMTU(n.NS.Role, FabricMTU); err != nil {
			return err
		}
		if err := n.NS.SetMTU(n.Iface, FabricMTU); err != nil {
			return err
		}
		if err := t.Fabric.SetMaster(n.NS.Role, Bridge); err != nil {
			return err
		}
		if err := t.Fabric.Up(n.NS.Role); err != nil {
			return err
		}
	}
	for _, h := range t.Hosts {
		if err := h.NS.AddVeth(h.VMIface, h.VMIfaceMAC, h.VM.NS, h.VM.Iface, h.VM.MAC); err != nil {
			return err
		}
	}
	if err := t.Fabric.Up(Bridge); err != nil {
		return err
	}

	jobs := []func() error{t.configureMux}
	for i := range t.Clients {
		jobs = append(jobs, func() error { return t.configureClient(&t.Clients[i]) })
	}
	for i := range t.Hosts {
		jobs = append(jobs, func() error { return t.configureHost(&t.Hosts[i]) })
		jobs = append(jobs, func() error { return t.configureVM(&t.Hosts[i]) })
	}
	if err := parallel(jobs); err != nil {
		return err
	}
	// Links must be operationally up before anyone sends: a veth drops
	// what it transmits until the kernel's link watcher has run.
	var waits []func() error
	for _, n := range nodes {
		waits = append(waits, func() error { return n.NS.WaitUp(linkTimeout, n.Iface) })
		waits = append(waits, func() error { return t.Fabric.WaitUp(linkTimeout, n.NS.Role) })
	}
	for _, h := range t.Hosts {
		waits = append(waits, func() error { return h.NS.WaitUp(linkTimeout, h.VMIface) })
	}
	if err := parallel(waits); err != nil {
		return err
	}
	// The bridge is up once a port forwards.
	if err := t.Fabric.WaitUp(linkTimeout, Bridge); err != nil {
		return err
	}
	b, err := json.MarshalIndent(t.Config, "", "  ")
	if err != nil {
		return err
	}
	t.ConfigPath = filepath.Join(t.Lab.Dir(), ConfigFile)
	return safefile.WriteBytes(t.ConfigPath, b)
}

// namespaces creates every namespace and fills in the node handles.
func (t *Topology) namespaces() error {
	c := t.Config
	var err error
	if t.Fabric, err = t.Lab.NewNS("fabric"); err != nil {
		return err
	}
	muxNS, err := t.Lab.NewNS("mux")
	if err != nil {
		return err
	}
	t.Mux = Node{NS: muxNS, Iface: c.Mux.Iface, Addr: MuxAddr, MAC: MAC(macMux, 0)}
	for k := range c.Clients {
		ns, err := t.Lab.NewNS("c" + strconv.Itoa(k))
		if err != nil {
			return err
		}
		t.Clients = append(t.Clients, Node{NS: ns, Iface: Iface, Addr: ClientAddr(k), MAC: MAC(macClient, k)})
	}
	for i, h := range c.Hosts {
		hns, err := t.Lab.NewNS("h" + strconv.Itoa(i))
		if err != nil {
			return err
		}
		vns, err := t.Lab.NewNS("vm" + strconv.Itoa(i))
		if err != nil {
			return err
		}
		gp := t.Spec.Guests[i]
		vm := VM{Name: h.VM.Name, NS: vns, Iface: h.VM.Iface, MAC: MAC(macVM, i), DIPs: t.Spec.DIPs[i], Gateway: gp.Gateway}
		t.Hosts = append(t.Hosts, Host{
			Node:  Node{NS: hns, Iface: h.Iface, Addr: HostAddr(i), MAC: MAC(macHost, i)},
			Index: i, VMIface: h.VMIface, VMIfaceMAC: MAC(macHostVM, i), VM: vm,
		})
	}
	return nil
}

func (t *Topology) configureMux() error {
	m := t.Mux
	if err := m.NS.AddAddr(m.Iface, netip.PrefixFrom(m.Addr, FabricNet.Bits())); err != nil {
		return err
	}
	if err := m.NS.Sysctls([][2]string{{"net.ipv4.ip_forward", "0"}}); err != nil {
		return err
	}
	return m.NS.Up(m.Iface)
}

func (t *Topology) configureClient(c *Node) error {
	if err := c.NS.AddAddr(c.Iface, netip.PrefixFrom(c.Addr, FabricNet.Bits())); err != nil {
		return err
	}
	if c.Addr == ClientAddr(0) {
		for i := range SteeringAddrs {
			if err := c.NS.AddAddr(c.Iface, netip.PrefixFrom(SteeringAddr(i), 32)); err != nil {
				return err
			}
		}
		for _, a := range t.Spec.Outbound {
			if err := c.NS.AddAddr(c.Iface, netip.PrefixFrom(a, 32)); err != nil {
				return err
			}
		}
	}
	if err := c.NS.Up(c.Iface); err != nil {
		return err
	}
	for _, f := range t.Spec.Frontends {
		if err := c.NS.AddRoute(netlab.Route{Dst: netip.PrefixFrom(f, 32), Via: MuxAddr, Dev: c.Iface}); err != nil {
			return err
		}
	}
	return nil
}

func (t *Topology) configureHost(h *Host) error {
	ns := h.NS
	if err := ns.AddAddr(h.Iface, netip.PrefixFrom(h.Addr, FabricNet.Bits())); err != nil {
		return err
	}
	for _, a := range []netip.Addr{h.VM.Gateway, netip.MustParseAddr(contract.ProbeSource)} {
		if err := ns.AddAddr(h.VMIface, netip.PrefixFrom(a, 32)); err != nil {
			return err
		}
	}
	if err := ns.Sysctls([][2]string{{"net.ipv4.ip_forward", "0"}}); err != nil {
		return err
	}
	if err := ns.Up(h.Iface, h.VMIface); err != nil {
		return err
	}
	for _, d := range h.VM.DIPs {
		if err := ns.AddRoute(netlab.Route{Dst: netip.PrefixFrom(d, 32), Dev: h.VMIface}); err != nil {
			return err
		}
	}
	// Internal frontends: VM packets to them (hairpin) go to the mux.
	for _, a := range t.Spec.Internal {
		if err := ns.AddRoute(netlab.Route{Dst: netip.PrefixFrom(a, 32), Via: MuxAddr, Dev: h.Iface}); err != nil {
			return err
		}
	}
	// Outbound destinations beyond the fabric's subnet: through the first
	// client, which holds them.
	for _, a := range t.Spec.Outbound {
		if FabricNet.Contains(a) {
			continue
		}
		if err := ns.AddRoute(netlab.Route{Dst: netip.PrefixFrom(a, 32), Via: ClientAddr(0), Dev: h.Iface}); err != nil {
			return err
		}
	}
	return nil
}

func (t *Topology) configureVM(h *Host) error {
	g, err := guest.Configure(h.VM.NS, t.Spec.Guests[h.Index])
	if err != nil {
		return err
	}
	h.VM.Guest = g
	return nil
}

// parallel runs the jobs concurrently and joins their errors.
func parallel(jobs []func() error) error {
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { errs[i] = j() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
