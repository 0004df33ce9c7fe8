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

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/mux"
	"github.com/lbcheck/lbcheck/refimpl/netio"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// MuxRole is the running mux: it reads client packets on the fabric
// interface, decides, and encapsulates them to host agents; it takes health
// reports on ControlPort.
type MuxRole struct {
	log    *log.Logger
	junk   *junkLog
	ctr    stats.Counters
	mux    *mux.Mux
	sweep  time.Duration  // how often to expire idle flows (sweepEvery)
	probes map[string]int // probe key -> index into the ruleset's probes
	// probeVM is the VM each probe aims at, by probe index; peers maps the
	// address each host sends health reports from to its VM. A report is
	// taken only from the host of the probed VM.
	probeVM []string
	peers   map[netip.AddrPort]string
	in      *netio.PacketConn
	batch   *netio.Batch     // packets read from in
	ctl     *netio.UDPReader // health reports read from udp
	udp     *net.UDPConn     // ControlPort: health reports in, encapsulated packets out
	out     *netio.UDPBatch  // encapsulated packets queued on udp
	raw     *netio.RawConn   // ICMP and ICMPv6 errors to clients
	icmp    []byte           // the ICMP error being built
}

// NewMux compiles the deployment and binds the mux's sockets.
func NewMux(o Options) (*MuxRole, error) {
	m := &MuxRole{log: newLogger(o.Log, "mux")}
	m.junk = newJunkLog(m.log)
	set, err := compile(o, m.log)
	if err != nil {
		return nil, err
	}
	c := o.Config
	hosts := map[string]netip.AddrPort{}
	m.peers = map[netip.AddrPort]string{}
	for _, h := range c.Hosts {
		a, err := parseAddr("host address", h.Address)
		if err != nil {
			return nil, err
		}
		// Host agents send health reports from their encapsulation port.
		hosts[h.VM.Name] = netip.AddrPortFrom(a, uint16(c.EncapPort))
		m.peers[hosts[h.VM.Name]] = h.VM.Name
	}
	m.sweep = sweepEvery(set)
	m.mux = mux.New(set, func(vm string) (netip.AddrPort, bool) {
		a, ok := hosts[vm]
		if !ok {
			m.log.Printf("warning: VM %s is in a backend pool but runs on no host; it never gets flows", vm)
		}
		return a, ok
	}, mux.Options{FlowLimit: o.FlowLimit, MTU: c.MTU})
	m.probes = map[string]int{}
	for i, p := range set.Probes {
		m.probes[p.Key] = i
		m.probeVM = append(m.probeVM, p.VM)
	}
	iface := o.Iface
	if iface == "" {
		iface = c.Mux.Iface
	}
	// The interface's reads wait no longer than the sweep interval, so
	// idle flows expire on time when no packet comes.
	if m.in, err = netio.ListenPacket(iface, m.sweep); err != nil {
		return nil, err
	}
	m.udp, err = net.ListenUDP("udp4", &net.UDPAddr{Port: c.ControlPort})
	if err != nil {
		m.in.Close()
		return nil, fmt.Errorf("control socket on UDP port %d: %w", c.ControlPort, err)
	}
	if err = netio.SetUDPBuffers(m.udp); err == nil {
		m.out, err = netio.NewUDPBatch(m.udp, batchSize, encap.HeaderLen+65536)
	}
	if err == nil {
		m.ctl, err = netio.NewUDPReader(m.udp, 1, 2048)
	}
	if err != nil {
		m.in.Close()
		m.udp.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if m.raw, err = netio.ListenRaw(); err != nil {
		m.in.Close()
		m.udp.Close()
		return nil, err
	}
	m.icmp = make([]byte, packet.PacketTooBigLen)
	m.batch = newBatch()
	return m, nil
}

// Counters returns the mux's counters.
func (m *MuxRole) Counters() *stats.Counters { return &m.ctr }

// Run forwards until ctx is done, then closes the sockets.
func (m *MuxRole) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() { errc <- m.forward(ctx) })
	wg.Go(func() { errc <- m.control(ctx) })
	wg.Wait()
	m.in.Close()
	m.udp.Close()
	m.raw.Close()
	m.junk.Flush()
	return errors.Join(<-errc, <-errc)
}

func (m *MuxRole) forward(ctx context.Context) error {
	var evicted uint64
	expire := func(now int64) {
		m.mux.ExpireFlows(now)
		_, ev := m.mux.Flows()
		m.ctr.Add(stats.FlowsEvicted, ev-evicted)
		evicted = ev
	}
	return packetLoop{conn: m.in, batch: m.batch, ctr: &m.ctr, rx: stats.Rx, room: encap.HeaderLen, expire: expire, expireEvery: m.sweep, handle: m.send, flush: m.flush}.run(ctx, time.Now())
}

// send decides on the packet in frame[encap.HeaderLen:] and queues it
// encapsulated, the header written into the room in front of it.
func (m *MuxRole) send(frame []byte, now int64) {
	pkt := frame[encap.HeaderLen:]
	d := m.mux.Process(pkt, now)
	if d.Reason == stats.FragNeeded {
		m.fragNeeded(pkt)
	}
	if d.Reason != stats.Forwarded {
		m.ctr.Inc(d.Reason)
		return
	}
	if m.out.Full() {
		m.flush()
	}
	encap.Put(frame, encap.Header{Kind: d.Kind, Rule: d.Rule, Backend: d.Backend})
	if err := m.out.Add(frame[:encap.HeaderLen+d.Len], d.Host); err != nil {
		m.ctr.Inc(stats.TxError)
	}
}

// fragNeeded tells the sender of pkt, too large for the virtual network,
// its MTU (ICMP fragmentation needed, ICMPv6 packet too big).
func (m *MuxRole) fragNeeded(pkt []byte) {
	icmp := m.mux.FragNeeded(pkt, m.icmp)
	if icmp == nil {
		return
	}
	in, err := packet.Parse(icmp)
	if err == nil {
		err = m.raw.WriteTo(icmp, in.Dst)
	}
	if err != nil {
		m.ctr.Inc(stats.TxError)
	}
}

// flush sends the queued encapsulated packets and counts them forwarded,
// or tx_errors for the ones the kernel refused.
func (m *MuxRole) flush() {
	sent, failed, _ := m.out.Flush()
	m.ctr.Add(stats.Forwarded, uint64(sent))
	m.ctr.Add(stats.TxError, uint64(failed))
}

// control takes health reports, only from the host of the probed VM;
// anything else is counted and logged (rate-limited) and has no effect.
func (m *MuxRole) control(ctx context.Context) error {
	return readUDP(ctx, m.udp, m.ctl, "control", func(b []byte, from netip.AddrPort) {
		from = unmap(from)
		vm, ok := m.peers[from]
		if !ok {
			m.reject(stats.ForeignSender, "from %v: not a host agent of the target config (hosts send from their address and encapPort); datagram dropped", from)
			return
		}
		r, err := ParseHealthReport(b)
		if err != nil {
			m.reject(stats.ControlError, "from %v: %v", from, err)
			return
		}
		i, ok := m.probes[r.Probe]
		if !ok {
			m.reject(stats.ControlError, "from %v: unknown probe %q", from, r.Probe)
			return
		}
		if m.probeVM[i] != vm {
			m.reject(stats.ForeignSender, "from %v (the host of VM %s): report on probe %s of VM %s dropped; only that VM's host reports on it", from, vm, r.Probe, m.probeVM[i])
			return
		}
		m.ctr.Inc(stats.HealthReport)
		if m.mux.SetHealth(i, r.Up) {
			m.ctr.Inc(stats.HealthChange)
			m.log.Printf("probe %s: %s (reported by host %d)", r.Probe, upDown(r.Up), r.Host)
		}
	}, nil)
}

// reject counts a control datagram under reason and logs why (rate-limited).
func (m *MuxRole) reject(reason stats.Reason, format string, args ...any) {
	m.ctr.Inc(reason)
	m.junk.Printf(format, args...)
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}
