package agent

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/host"
	"github.com/lbcheck/lbcheck/refimpl/netio"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/probe"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// HostRole is the running host agent.
type HostRole struct {
	log    *log.Logger
	junk   *junkLog
	ctr    stats.Counters
	index  int
	set    *ruleset.Set
	agent  *host.Agent
	mux    netip.AddrPort // health reports go here, encapsulated packets come from here
	vmMAC  [6]byte
	prober probe.Prober
	probes []int // indexes into set.Probes aimed at this host's VM

	encap   *net.UDPConn
	encapIn *netio.UDPReader // encapsulated packets read from encap
	vm      *netio.PacketConn
	vmIn    *netio.Batch       // packets read from vm
	vmOut   *netio.PacketBatch // packets queued for vm
	resets  *netio.PacketBatch // TCP resets for vm, queued by the replies loop
	raw     *netio.RawConn
	// peers maps the other VMs' DIPs to their hosts' encapsulation
	// address (virtual-network packets go there); peerHosts holds those
	// addresses, the senders of such packets.
	peers     map[packet.Addr]netip.AddrPort
	peerHosts map[netip.AddrPort]bool
}

// NewHost compiles the deployment and binds the host agent's sockets.
func NewHost(o Options) (*HostRole, error) {
	h := &HostRole{log: newLogger(o.Log, fmt.Sprintf("host %d", o.HostIndex)), index: o.HostIndex}
	h.junk = newJunkLog(h.log)
	set, err := compile(o, h.log)
	if err != nil {
		return nil, err
	}
	h.set = set
	c := o.Config
	if o.HostIndex < 0 || o.HostIndex >= len(c.Hosts) {
		return nil, fmt.Errorf("host index %d: the target config has %d hosts (set %s)", o.HostIndex, len(c.Hosts), contract.EnvHostIndex)
	}
	hc := c.Hosts[o.HostIndex]
	muxAddr, err := parseAddr("mux address", c.Mux.Address)
	if err != nil {
		return nil, err
	}
	// The mux sends encapsulated packets from its control port.
	h.mux = netip.AddrPortFrom(muxAddr, uint16(c.ControlPort))
	if h.vmMAC, err = parseMAC("VM MAC", hc.VM.MAC); err != nil {
		return nil, err
	}
	gw, err := parseAddr("VM gateway", hc.Gateway)
	if err != nil {
		return nil, err
	}
	dips, err := vmAddrs(hc.VM)
	if err != nil {
		return nil, err
	}
	h.peers, h.peerHosts = map[packet.Addr]netip.AddrPort{}, map[netip.AddrPort]bool{}
	var peers []packet.Addr
	for i, p := range c.Hosts {
		if i == o.HostIndex {
			continue
		}
		addr, err := parseAddr("host address", p.Address)
		if err != nil {
			return nil, err
		}
		pdips, err := vmAddrs(p.VM)
		if err != nil {
			return nil, err
		}
		at := netip.AddrPortFrom(addr, uint16(c.EncapPort))
		h.peerHosts[at] = true
		for _, d := range pdips {
			h.peers[d] = at
			peers = append(peers, d)
		}
	}
	h.agent = host.New(set, hc.VM.Name, host.Options{FlowLimit: o.FlowLimit, Local: []packet.Addr{packet.AddrFrom(gw)}, DIPs: dips, Peers: peers})
	for i, p := range set.Probes {
		if p.VM == hc.VM.Name {
			h.probes = append(h.probes, i)
		}
	}
	vmIface := o.VMIface
	if vmIface == "" {
		vmIface = hc.VMIface
	}
	h.probeSources(vmIface)
	if err := h.open(vmIface, c.EncapPort); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

// probeSources sets where the probes come from: IPv4 ones from Azure's
// platform address, IPv6 ones from a link-local address of the VM's link
// (vmIface), or, where the address is missing, from the kernel's choice,
// with a warning.
func (h *HostRole) probeSources(vmIface string) {
	var v4, v6 bool
	for _, i := range h.probes {
		v4 = v4 || h.set.Probes[i].DIP.Is4()
		v6 = v6 || h.set.Probes[i].DIP.Is6()
	}
	src := netip.MustParseAddr(contract.ProbeSource)
	if h.prober.Source = probe.LocalSource(src); !h.prober.Source.IsValid() && v4 {
		h.log.Printf("warning: %s is not a local address here; IPv4 probes use the kernel's source address", src)
	}
	if h.prober.Source6 = probe.LinkLocalSource(vmIface); !h.prober.Source6.IsValid() && v6 {
		h.log.Printf("warning: %s has no IPv6 link-local address (is IPv6 enabled on it?); IPv6 probes use the kernel's source address", vmIface)
	}
}

func (h *HostRole) open(vmIface string, port int) error {
	var err error
	// Reads wait no longer than the sweep interval, so idle flows expire
	// on time when no packet comes.
	if h.vm, err = netio.ListenPacket(vmIface, sweepEvery(h.set)); err != nil {
		return err
	}
	if h.raw, err = netio.ListenRaw(); err != nil {
		return err
	}
	if h.encap, err = net.ListenUDP("udp4", &net.UDPAddr{Port: port}); err != nil {
		return fmt.Errorf("encapsulation socket on UDP port %d: %w", port, err)
	}
	if err = netio.SetUDPBuffers(h.encap); err == nil {
		h.encapIn, err = netio.NewUDPReader(h.encap, batchSize, 65536)
	}
	if err != nil {
		return fmt.Errorf("encapsulation socket: %w", err)
	}
	h.vmIn = newBatch()
	h.vmOut = h.vm.NewPacketBatch(batchSize, 65536)
	h.resets = h.vm.NewPacketBatch(batchSize, packet.ResetLen6)
	return nil
}

func (h *HostRole) close() {
	if h.vm != nil {
		h.vm.Close()
	}
	if h.raw != nil {
		h.raw.Close()
	}
	if h.encap != nil {
		h.encap.Close()
	}
}

// Counters returns the host agent's counters.
func (h *HostRole) Counters() *stats.Counters { return &h.ctr }

// Run forwards and probes until ctx is done, then closes the sockets.
func (h *HostRole) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	start := time.Now()
	wg.Go(func() { errc <- h.inbound(ctx, start) })
	wg.Go(func() { errc <- h.replies(ctx, start) })
	wg.Go(func() { h.prober.Run(ctx, h.set.Probes, h.probes, h.report) })
	wg.Wait()
	h.close()
	h.junk.Flush()
	return errors.Join(<-errc, <-errc)
}

func (h *HostRole) inbound(ctx context.Context, start time.Time) error {
	return readUDP(ctx, h.encap, h.encapIn, "encapsulation", func(b []byte, from netip.AddrPort) {
		h.ctr.Inc(stats.EncapRx)
		switch from = unmap(from); {
		case from == h.mux:
		case h.peerHosts[from] && len(b) > 3 && encap.Kind(b[3]) == encap.VNet:
			// Another host's VM sends to this one.
		default:
			h.ctr.Inc(stats.ForeignSender)
			h.junk.Printf("from %v: not the mux of the target config (%v), nor another host with a virtual-network packet; datagram dropped", from, h.mux)
			return
		}
		inner, r := h.agent.Inbound(b, int64(time.Since(start)))
		if r != stats.Delivered {
			h.ctr.Inc(r)
			return
		}
		if h.vmOut.Full() {
			h.flush()
		}
		if err := h.vmOut.Add(inner, h.vmMAC); err != nil {
			h.ctr.Inc(stats.TxError)
		}
	}, h.flush)
}

// flush sends the packets queued for the VM and counts them delivered, or
// tx_errors for the ones the kernel refused.
func (h *HostRole) flush() {
	sent, failed, _ := h.vmOut.Flush()
	h.ctr.Add(stats.Delivered, uint64(sent))
	h.ctr.Add(stats.TxError, uint64(failed))
}

func (h *HostRole) replies(ctx context.Context, start time.Time) error {
	return packetLoop{conn: h.vm, batch: h.vmIn, ctr: &h.ctr, rx: stats.VMRx, room: replyRoom, expire: h.expire, expireEvery: sweepEvery(h.set), handle: h.reply}.run(ctx, start)
}

// expire expires idle flows and sends the TCP resets of those that end
// with one: to the VM through its interface, to the client like a reply.
func (h *HostRole) expire(now int64) {
	_, resets := h.agent.ExpireFlows(now)
	for _, r := range resets {
		if !r.ToVM {
			if err := h.raw.WriteTo(r.Packet, r.Dst); err != nil {
				h.ctr.Inc(stats.TxError)
			} else {
				h.ctr.Inc(stats.TCPReset)
			}
			continue
		}
		if h.resets.Full() {
			h.flushResets()
		}
		if err := h.resets.Add(r.Packet, h.vmMAC); err != nil {
			h.ctr.Inc(stats.TxError)
		}
	}
	h.flushResets()
}

// flushResets sends the TCP resets queued for the VM.
func (h *HostRole) flushResets() {
	sent, failed, _ := h.resets.Flush()
	h.ctr.Add(stats.TCPReset, uint64(sent))
	h.ctr.Add(stats.TxError, uint64(failed))
}

// replyRoom is the room reply finds in front of a VM's packet: an
// encapsulation header's.
const replyRoom = encap.HeaderLen

// reply sends one packet from the VM (replyRoom bytes into frame) on: the reply
// of a load-balanced flow straight to the client, a packet that stays in
// the virtual network to the mux (hairpin) or to another VM's host, or a
// connection the VM opened, source-translated.
func (h *HostRole) reply(frame []byte, now int64) {
	pkt := frame[replyRoom:]
	out, dst, r := h.agent.Reply(pkt, now)
	if r == stats.VMOther {
		if dst, r = h.agent.Within(pkt); r == stats.VMOther {
			out, dst, r = h.agent.Outbound(pkt, now)
		} else {
			out = pkt
		}
	}
	var err error
	switch peer, ok := h.peers[dst]; {
	case r != stats.Reply && r != stats.SNAT && r != stats.Hairpin && r != stats.VNet:
		h.ctr.Inc(r)
		return
	case ok && (r == stats.Reply || r == stats.VNet):
		// To a VM of another host: out starts at pkt, the header goes in front.
		encap.Put(frame, encap.Header{Kind: encap.VNet})
		_, err = h.encap.WriteToUDPAddrPort(frame[:replyRoom+len(out)], peer)
	default:
		err = h.raw.WriteTo(out, dst)
	}
	if err != nil {
		h.ctr.Inc(stats.TxError)
		return
	}
	h.ctr.Inc(r)
}

// report sends one probe result to the mux.
func (h *HostRole) report(r probe.Result) {
	if r.Up {
		h.ctr.Inc(stats.ProbeUp)
	} else {
		h.ctr.Inc(stats.ProbeDown)
	}
	if r.Changed {
		h.log.Printf("probe %s: %s (last error: %v)", r.Key, upDown(r.Up), r.Err)
	}
	msg := HealthReport{V: ControlVersion, Host: h.index, Probe: r.Key, Up: r.Up}.Marshal()
	if _, err := h.encap.WriteToUDPAddrPort(msg, h.mux); err != nil {
		h.ctr.Inc(stats.TxError)
	}
}

// vmAddrs returns a VM's DIPs from the target config.
func vmAddrs(vm contract.VM) ([]packet.Addr, error) {
	var out []packet.Addr
	for _, d := range vm.DIPs {
		a, err := parseIP("VM "+vm.Name+" DIP", d)
		if err != nil {
			return nil, err
		}
		out = append(out, packet.AddrFrom(a))
	}
	return out, nil
}
