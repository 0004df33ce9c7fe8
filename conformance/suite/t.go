package suite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
)

// T is what a case runs with. It works under go test and from the CLI.
// Fatalf and Skipf stop the case (runtime.Goexit), so call them only from
// the goroutine running the case.
type T struct {
	c     *Case
	env   *Env
	ctx   context.Context
	ports *atomic.Uint32 // source-port allocator shared by the whole run
	// timeouts bound the case's waits (Options.Timeouts, defaults filled
	// by Runner.Run).
	timeouts target.Timeouts
	// declared are the extended features the implementation declares.
	declared []features.Name

	mu       sync.Mutex
	failed   bool
	skipped  bool
	reasons  []string
	logs     []string
	checks   []reports.Check
	hops     []reports.Hop
	members  []reports.MemberResult
	cleanups []func()
	// progress prints a line of a long case's progress (Progressf); nil
	// when the run prints none.
	progress func(line string)
}

func newT(ctx context.Context, c *Case, env *Env, ports *atomic.Uint32, timeouts target.Timeouts, declared []features.Name) *T {
	return &T{c: c, env: env, ctx: ctx, ports: ports, timeouts: timeouts, declared: declared}
}

// Supports reports whether the implementation has feature f: a core one,
// or an extended one it declares. A generic case uses it to leave out the
// parts of a user's deployment that need what the target lacks.
func (t *T) Supports(f features.Name) bool {
	return len(features.Missing([]features.Name{f}, t.declared)) == 0
}

// Timeouts are the run's bounds on waits: Step.Timeout defaults to
// Deliver (Expect) or Quiet (ExpectNone); cases derive their other waits
// from them and from the fixture.
func (t *T) Timeouts() target.Timeouts { return t.timeouts }

// Context is cancelled when the case times out or the run is interrupted.
func (t *T) Context() context.Context { return t.ctx }

// Name is the case's short name.
func (t *T) Name() string { return t.c.ShortName }

// Deployment is the deployment the case runs on.
func (t *T) Deployment() *schema.Deployment { return t.env.Deployment }

// Config is the topology the runner built (addresses, MACs, VM names).
func (t *T) Config() *contract.Config { return t.env.Config }

// Logf records a line in the case's log.
func (t *T) Logf(format string, args ...any) {
	t.mu.Lock()
	t.logs = append(t.logs, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

// Member records a generic case's verdict on one member of one rule
// (reports.MemberResult), for the report's per-rule table.
func (t *T) Member(rule, vm, status, note string) {
	t.mu.Lock()
	t.members = append(t.members, reports.MemberResult{Rule: rule, Member: vm, Status: status, Note: note})
	t.mu.Unlock()
}

// Progressf prints a line of progress while the case runs, for cases
// whose work grows with the deployment; call it at most every second or
// so. Without a progress output it does nothing.
func (t *T) Progressf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.progress != nil {
		t.progress(fmt.Sprintf(format, args...))
	}
}

// Errorf marks the case failed and records the reason; the case goes on.
func (t *T) Errorf(format string, args ...any) {
	t.mu.Lock()
	t.failed = true
	t.reasons = append(t.reasons, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

// Fatalf marks the case failed and stops it.
func (t *T) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}

// Skipf marks the case skipped (unless it already failed) and stops it.
func (t *T) Skipf(format string, args ...any) {
	t.mu.Lock()
	if !t.failed {
		t.skipped = true
		t.reasons = append(t.reasons, fmt.Sprintf(format, args...))
	}
	t.mu.Unlock()
	runtime.Goexit()
}

// Failed reports whether the case has failed so far.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// Cleanup registers f to run when the case ends (last registered first).
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

func (t *T) runCleanups() {
	for {
		t.mu.Lock()
		if len(t.cleanups) == 0 {
			t.mu.Unlock()
			return
		}
		f := t.cleanups[len(t.cleanups)-1]
		t.cleanups = t.cleanups[:len(t.cleanups)-1]
		t.mu.Unlock()
		f()
	}
}

// SrcPort returns a client source port no other case of the run uses, so
// flow state left by one case never meets another.
func (t *T) SrcPort() uint16 {
	return uint16(20000 + t.ports.Add(1)%40000)
}

// ClientIP is the address of the client namespace.
func (t *T) ClientIP() netip.Addr { return t.env.ClientIP }

// Point is an observation point: where a case expects (or forbids) packets.
type Point struct {
	Kind  string // client | mux | vm (the report's point names)
	Label string // "client", "mux" or the VM name
	port  *capture.Port
}

// Client is the client's interface.
func (t *T) Client() Point { return Point{"client", "client", t.env.Client} }

// Mux is the mux's fabric interface.
func (t *T) Mux() Point { return Point{"mux", "mux", t.env.Mux} }

// VM is the named VM's NIC. An unknown VM stops the case.
func (t *T) VM(name string) Point {
	p, ok := t.env.VMPorts[name]
	if !ok {
		t.Fatalf("no VM %q in deployment %s", name, t.env.Name)
	}
	return Point{"vm", name, p}
}

// VMs returns the NICs of the named VMs (all VMs when none are named).
func (t *T) VMs(names ...string) []Point {
	if len(names) == 0 {
		names = t.env.vmNames()
	}
	out := make([]Point, 0, len(names))
	for _, n := range names {
		out = append(out, t.VM(n))
	}
	return out
}

// Step describes one expectation at a point.
type Step struct {
	What    string    // e.g. "SYN delivered with dst DIP:8080"
	Reply   bool      // part of the reply (for the packet ladder)
	Match   pkt.Match // the headers expected
	Dir     capture.Direction
	Timeout time.Duration // 0: Timeouts().Deliver / Timeouts().Quiet; AfterBarrier
	Note    string        // hop note, e.g. "dropped: strong-host receive"
}

func (s Step) direction() string {
	if s.Reply {
		return "reply"
	}
	return "request"
}

// Send injects a frame from the client towards the mux. Unset fields take
// the client's defaults: MACs (client -> mux), source address (the client)
// and a fresh source port. It returns the spec as sent.
func (t *T) Send(s pkt.Spec) pkt.Spec {
	if s.SrcMAC == nil {
		s.SrcMAC = t.env.Client.MAC
	}
	if s.DstMAC == nil {
		mac, err := net.ParseMAC(t.env.Config.Mux.MAC)
		if err != nil {
			t.Fatalf("mux MAC %q: %v", t.env.Config.Mux.MAC, err)
		}
		s.DstMAC = mac
	}
	if !s.Src.IsValid() {
		s.Src = t.env.ClientIP
	}
	if s.SrcPort == 0 && s.Proto != pkt.ICMP {
		s.SrcPort = t.SrcPort()
	}
	p := t.inject(t.env.Client, s)
	t.hop(reports.Hop{Point: "client", Direction: "request", Seen: true, Headers: packetHeaders(p), Note: "sent by the harness"})
	// The ladder's next step: the frame goes to the mux's MAC, so the mux
	// sees it unless the fabric lost it. A hop, not a check.
	want := pkt.Match{Proto: s.Proto, Src: s.Src, SrcPort: s.SrcPort, Dst: s.Dst, DstPort: s.DstPort}
	if f, err := t.env.Mux.Expect(t.ctx, capture.Want{Match: want, Dir: capture.In}, t.timeouts.Deliver); err == nil {
		t.hop(reports.Hop{Point: "mux", Direction: "request", Seen: true, Headers: packetHeaders(f.Packet)})
	} else {
		t.hop(reports.Hop{Point: "mux", Direction: "request", Headers: packetHeaders(p), Note: "not seen at the mux"})
	}
	return s
}

// SendFromVM injects a frame from the named VM's NIC towards its host, as
// if the guest had sent it (its kernel never sees it), e.g. a segment of a
// connection the host should no longer forward. Unset MACs are the VM's
// and its gateway's; addresses and ports must be set. It returns the spec
// as sent.
func (t *T) SendFromVM(vm string, s pkt.Spec) pkt.Spec {
	h := t.env.Config.HostForVM(vm)
	port, ok := t.env.VMPorts[vm]
	if h == nil || !ok {
		t.Fatalf("no VM %q in deployment %s", vm, t.env.Name)
	}
	var err error
	if s.SrcMAC == nil {
		if s.SrcMAC, err = net.ParseMAC(h.VM.MAC); err != nil {
			t.Fatalf("VM %s MAC %q: %v", vm, h.VM.MAC, err)
		}
	}
	if s.DstMAC == nil {
		if s.DstMAC, err = net.ParseMAC(h.VMIfaceMAC); err != nil {
			t.Fatalf("VM %s gateway MAC %q: %v", vm, h.VMIfaceMAC, err)
		}
	}
	p := t.inject(port, s)
	t.hop(reports.Hop{Point: vm, Direction: "reply", Seen: true, Headers: packetHeaders(p), Note: "sent by the harness"})
	return s
}

// inject builds the frame of s and sends it out of port.
func (t *T) inject(port *capture.Port, s pkt.Spec) *pkt.Packet {
	frame, err := s.Frame()
	if err != nil {
		t.Fatalf("building frame: %v", err)
	}
	if err := port.Send(frame); err != nil {
		t.Fatalf("%v", err)
	}
	return pkt.Decode(frame)
}

func (t *T) hop(h reports.Hop) {
	t.mu.Lock()
	t.hops = append(t.hops, h)
	t.mu.Unlock()
}

// outcome is the check and the hop a step records at a point: observed,
// when set, is the packet that arrived (the check's observed headers and
// the hop's), err, when set, fails the check with its message.
func outcome(at Point, s Step, negative bool, observed *pkt.Packet, err error) (reports.Check, reports.Hop) {
	c := reports.Check{Point: at.Kind, What: s.What, Negative: negative, Expected: matchHeaders(s.Match), OK: err == nil}
	h := reports.Hop{Point: at.Kind, Direction: s.direction(), Seen: observed != nil, Headers: matchHeaders(s.Match), Note: s.Note}
	if observed != nil {
		oh := packetHeaders(observed)
		c.Observed, c.Fields = &oh, fieldDiffs(s.Match, observed)
		h.Headers = oh
	}
	if err != nil {
		c.Message = err.Error()
	}
	return c, h
}

// add appends a check and its hop, which records the check's number, to
// the case's record.
func (t *T) add(c reports.Check, h reports.Hop) {
	t.mu.Lock()
	t.checks = append(t.checks, c)
	h.Check = len(t.checks)
	t.hops = append(t.hops, h)
	t.mu.Unlock()
}

// record records the outcome of an expectation at a point.
func (t *T) record(at Point, s Step, observed *pkt.Packet, err error) {
	c, h := outcome(at, s, false, observed, err)
	if at.Kind == "vm" && !strings.Contains(s.What, at.Label) {
		c.What = fmt.Sprintf("%s (%s)", s.What, at.Label)
	}
	if err != nil && observed != nil {
		_, why := s.Match.Match(observed)
		h.Note = "arrived with the wrong header: " + why
	}
	if h.Note == "" && at.Kind == "vm" {
		h.Note = at.Label
	}
	t.add(c, h)
}

// Expect waits for a packet matching s at the point. It records a check and
// a hop; on failure it marks the case failed (showing EXPECTED vs RECEIVED)
// and returns nil.
func (t *T) Expect(at Point, s Step) *pkt.Packet {
	f, err := at.port.Expect(t.ctx, capture.Want{Match: s.Match, Dir: s.Dir}, t.within(s))
	if err != nil {
		// Show the nearest packet (same flow, a field off) as observed, so
		// the report's field diff points at what differs.
		var closest *pkt.Packet
		var ee *capture.ExpectError
		if errors.As(err, &ee) && ee.Closest != nil {
			closest = ee.Closest.Packet
		}
		t.record(at, s, closest, err)
		t.Errorf("%s: %v", s.What, err)
		return nil
	}
	t.record(at, s, f.Packet, nil)
	return f.Packet
}

// MustExpect is Expect that stops the case when nothing matches.
func (t *T) MustExpect(at Point, s Step) *pkt.Packet {
	p := t.Expect(at, s)
	if p == nil {
		runtime.Goexit()
	}
	return p
}

// ExpectNone checks that no packet matching s arrives at the point within
// the step's window. It records a negative check and a hop, and reports
// whether nothing arrived.
func (t *T) ExpectNone(at Point, s Step) bool {
	window := s.Timeout
	if window == 0 {
		window = t.timeouts.Quiet
	}
	err := at.port.ExpectNone(t.ctx, capture.Want{Match: s.Match, Dir: s.Dir}, window)
	var observed *pkt.Packet
	var ee *capture.ExpectError
	if errors.As(err, &ee) && ee.Got != nil {
		observed = ee.Got.Packet
	}
	c, h := outcome(at, s, true, observed, err)
	if observed != nil {
		h.Note = "seen, but must not be: " + s.What
	}
	t.add(c, h)
	if err != nil {
		t.Errorf("%s: %v", s.What, err)
	}
	return err == nil
}

// ExpectAny waits for a packet matching s at any of the points (e.g. "some
// VM of the pool"). It returns the point where it arrived, or a zero Point
// and nil after marking the case failed.
func (t *T) ExpectAny(points []Point, s Step) (Point, *pkt.Packet) {
	timeout := t.within(s)
	if at, f, ok := t.find(points, s, timeout); ok {
		t.record(at, s, f.Packet, nil)
		return at, f.Packet
	}
	labels := make([]string, len(points))
	var details []string
	for i, p := range points {
		labels[i] = p.Label
		details = append(details, p.port.Explain(capture.Want{Match: s.Match, Dir: s.Dir}, "not here").Error())
	}
	err := fmt.Errorf("no packet matching %s at any of %s within %v\n%s", s.Match, strings.Join(labels, ", "), timeout, strings.Join(details, "\n"))
	t.record(Point{Kind: "vm", Label: strings.Join(labels, "|")}, s, nil, err)
	t.Errorf("%s: %v", s.What, err)
	return Point{}, nil
}

// within is how long a positive step waits: its Timeout, or Deliver.
func (t *T) within(s Step) time.Duration {
	if s.Timeout == 0 {
		return t.timeouts.Deliver
	}
	return s.Timeout
}

// Arrives reports at which of points a packet matching s arrived within
// s.Timeout (0: Deliver; AfterBarrier: what has arrived until now),
// recording nothing: for the polls of Eventually, whose outcome a later
// recorded check states.
func (t *T) Arrives(points []Point, s Step) (Point, bool) {
	at, _, ok := t.find(points, s, t.within(s))
	return at, ok
}

// find waits up to timeout for a packet matching s at any of points; a
// negative timeout looks, in sync, at what each port has recorded.
func (t *T) find(points []Point, s Step, timeout time.Duration) (Point, capture.Frame, bool) {
	want := capture.Want{Match: s.Match, Dir: s.Dir}
	if timeout < 0 {
		for _, at := range points {
			var ee *capture.ExpectError
			if err := at.port.ExpectNone(t.ctx, want, 0); errors.As(err, &ee) && ee.Got != nil {
				return at, *ee.Got, true
			}
		}
		return Point{}, capture.Frame{}, false
	}
	ctx, cancel := context.WithCancel(t.ctx)
	defer cancel()
	type result struct {
		at Point
		f  capture.Frame
	}
	found := make(chan result, len(points))
	var wg sync.WaitGroup
	for _, at := range points {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if f, err := at.port.Expect(ctx, want, timeout); err == nil {
				found <- result{at, f}
			}
		}()
	}
	go func() { wg.Wait(); close(found) }()
	r, ok := <-found
	return r.at, r.f, ok
}

// pollInterval is the pause between the tries of Eventually.
const pollInterval = 10 * time.Millisecond

// Eventually calls try until it returns true or within passes, pausing
// pollInterval between tries, and reports whether a try succeeded: for a
// state an implementation reaches in its own time, bounded by a timeout
// (Timeouts), instead of a fixed sleep. try must be bounded itself.
func (t *T) Eventually(within time.Duration, try func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if try() {
			return true
		}
		if t.ctx.Err() != nil || time.Now().After(deadline) {
			return false
		}
		select {
		case <-time.After(pollInterval):
		case <-t.ctx.Done():
			return false
		}
	}
}

// AfterBarrier is the Step.Timeout of a negative check that a Barrier (or
// any packet that must arrive after the one that must not) closed: it
// waits for nothing new and looks at what the port has recorded once every
// frame queued on it is read (capture.Port.Sync).
const AfterBarrier time.Duration = -1

// ClosedBy is the Step.Timeout of a negative check that the arrival of p
// closes (a packet that must arrive after the one that must not, on the
// same path): AfterBarrier when p arrived, else 0 (the quiet window).
func ClosedBy(p *pkt.Packet) time.Duration {
	if p != nil {
		return AfterBarrier
	}
	return 0
}

// barrierFlows bounds the fresh flows a barrier sends to reach every point
// it closes: with two members, one gets none of them with probability
// 2^-31.
const barrierFlows = 32

// Barrier closes the negative checks at points that follow: it sends fresh
// flows like s, a packet a rule forwards to each of points (a TCP SYN
// unless s says UDP), from the client until each point has received one.
// The path from the mux to one VM keeps the order of a client's packets
// (CONTRACT.md), so whatever the client sent before has been handled, and
// what it caused at those VMs has arrived there (the mux answers the
// client directly, a shorter path still): the checks need no window of
// their own (AfterBarrier). A packet that arrived at another VM closes
// nothing there, since each VM's path has its own queues. Barrier records
// a check per point and stops the case when one gets no barrier.
func (t *T) Barrier(s pkt.Spec, points []Point) {
	last, got := t.barrier(s, points)
	missing := false
	for _, at := range points {
		if a, ok := got[at.Label]; ok {
			t.record(at, a.step, a.packet, nil)
			continue
		}
		missing = true
		t.record(at, last, nil, fmt.Errorf("none of the barrier flows (at most %d, each within %v) arrived at %s", barrierFlows, t.timeouts.Deliver, at.Label))
	}
	if missing {
		t.Errorf("%s: the negative checks there cannot be closed", last.What)
		runtime.Goexit()
	}
}

// BarrierArrives is Barrier for the polls of Eventually: it records
// nothing and reports whether every point received a barrier.
func (t *T) BarrierArrives(s pkt.Spec, points []Point) bool {
	_, got := t.barrier(s, points)
	return len(got) == len(points)
}

// arrival is a barrier flow's step and the packet that matched it.
type arrival struct {
	step   Step
	packet *pkt.Packet
}

// barrier sends the flows of Barrier and returns the step of the last one
// and what arrived at each point (by label); it stops early when a flow
// arrives at no VM.
func (t *T) barrier(s pkt.Spec, points []Point) (Step, map[string]arrival) {
	match := pkt.Match{Proto: pkt.UDP}
	if s.Proto != pkt.UDP {
		s.Proto, s.Flags = pkt.TCP, pkt.SYN
		match = pkt.Match{Proto: pkt.TCP, Flags: pkt.SYN}
	}
	want := map[string]bool{}
	for _, at := range points {
		want[at.Label] = true
	}
	got := map[string]arrival{}
	var step Step
	for i := 0; i < barrierFlows && len(got) < len(want) && t.ctx.Err() == nil; i++ {
		sent := t.Send(s)
		step = Step{What: "barrier: a later forwarded " + s.Proto + " packet reaches the VM", Match: match, Dir: capture.In, Note: "barrier"}
		step.Match.Src, step.Match.SrcPort = sent.Src, sent.SrcPort
		at, f, ok := t.find(t.VMs(), step, t.timeouts.Deliver)
		if !ok {
			break
		}
		if _, seen := got[at.Label]; want[at.Label] && !seen {
			got[at.Label] = arrival{step, f.Packet}
		}
	}
	return step, got
}

// Drain makes later expectations at every port ignore what was seen so far.
func (t *T) Drain() {
	for _, p := range t.env.Ports() {
		p.Drain()
	}
}

// InClient runs f inside the client namespace (sockets created there stay
// there).
func (t *T) InClient(f func() error) error { return t.env.ClientNS.Do(f) }

// InVM runs f inside the named VM's namespace.
func (t *T) InVM(vm string, f func() error) error { return t.env.InVM(vm, f) }

// DialTCP opens a real TCP connection from the client namespace. The
// connection is closed when the case ends.
func (t *T) DialTCP(addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	return t.dial("tcp", addr, timeout)
}

// DialUDP opens a connected UDP socket from the client namespace, closed
// when the case ends.
func (t *T) DialUDP(addr netip.AddrPort) (net.Conn, error) {
	return t.dial("udp", addr, time.Second)
}

func (t *T) dial(network string, addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := t.InClient(func() error {
		d := net.Dialer{Timeout: timeout, LocalAddr: localAddr(network, t.env.ClientIP, t.SrcPort())}
		var err error
		conn, err = d.DialContext(t.ctx, network, addr.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s dial %s from the client: %w", network, addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, nil
}

func localAddr(network string, ip netip.Addr, port uint16) net.Addr {
	ap := netip.AddrPortFrom(ip, port)
	if network == "udp" {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}
