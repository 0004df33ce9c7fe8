package cases

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "ProbeDownNoNewFlows",
		Description: "When one member's health probe fails, new flows avoid it while an established TCP connection to it keeps working.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.HealthProbe},
		Expectation: "One backend probed down: new TCP flows go to the healthy instances, existing TCP flows to the probed-down instance continue.",
		Source:      docProbes,
		Catches:     []string{"probe-down-ignored", "probe-down-breaks-established"},
		Deployment:  "probe.yaml",
		Minute:      probeMinute,
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe")
			pool := t.VMs("app1", "app2")

			// An established connection, and the member that serves it.
			conn, err := t.DialTCP(ap(fe, 80), exchangeTimeout)
			if err != nil {
				t.Fatalf("connecting to the frontend: %v", err)
			}
			id, err := lineExchange(conn, "before")
			if err != nil {
				t.Fatalf("first exchange: %v", err)
			}
			down := id.VM
			t.Logf("established connection served by %s; taking its probe down", down)

			takeProbesDown(t, 8090, down)
			awaitAvoided(t, pool, pkt.Spec{Dst: fe, DstPort: 80}, 8080, down)
			for range 12 {
				if got := backendOf(t, pool, pkt.Spec{Dst: fe, DstPort: 80}, 8080, "a new flow reaches a healthy member"); got == down {
					t.Errorf("a new flow went to %s, which is probed down", down)
				}
			}
			id, err = lineExchange(conn, "after")
			switch {
			case err != nil:
				t.Errorf("the established connection to %s broke after its probe went down: %v", down, err)
			case id.VM != down:
				t.Errorf("the established connection is now answered by %s, want %s", id.VM, down)
			}
		},
	})
}

const refuseTable = "lbcheck_probe_down"

// takeProbesDown makes each VM refuse TCP probes to port from the probe
// source with a RST (until the case ends) and waits until each has refused
// as many consecutive probes as the probe's threshold, each within one
// probe interval (and the deliver timeout). The members are then down; the
// verdict reaches the mux within the probe timeout, which callers wait
// for in their own terms (awaitAvoided).
func takeProbesDown(t *suite.T, port uint16, vms ...string) {
	for _, vm := range vms {
		if err := refuseProbes(t, vm, port); err != nil {
			t.Fatalf("refusing probes in %s: %v", vm, err)
		}
		t.Cleanup(func() { _ = t.InVM(vm, func() error { return removeTable(refuseTable) }) })
	}
	awaitProbesRefused(t, port, false, vms...)
}

// refuseProbes makes vm refuse TCP probes to port from the probe source
// with a RST (in b's VM namespaces: a suite.T, or suite.Before ahead of
// the target's start).
func refuseProbes(b suite.Before, vm string, port uint16) error {
	src := netip.MustParseAddr(contract.ProbeSource)
	return b.InVM(vm, func() error { return refuse(refuseTable, refusal{proto: unix.IPPROTO_TCP, src: src, port: port}) })
}

// awaitProbesRefused waits until each VM has refused as many consecutive
// probes to port as the probe's threshold, each within one probe interval
// (and the deliver timeout), and stops the case when one does not. With
// sinceStart (the VMs refused their probes before the target started:
// suite.Case.BeforeStart) the refusals captured already count; otherwise
// only those after the call do.
func awaitProbesRefused(t *suite.T, port uint16, sinceStart bool, vms ...string) {
	src := netip.MustParseAddr(contract.ProbeSource)
	interval, threshold := probeTiming(t, port)
	for n := range threshold {
		if n > 0 || !sinceStart {
			t.Drain()
		}
		for _, vm := range vms {
			probe := pkt.Match{Proto: pkt.TCP, Src: dip(t, vm), SrcPort: port, Dst: src, Flags: pkt.RST | pkt.ACK}
			t.MustExpect(t.VM(vm), suite.Step{What: fmt.Sprintf("probe %d of %d of %s is refused", n+1, threshold, vm), Reply: true, Match: probe, Dir: capture.Out,
				Timeout: interval + t.Timeouts().Deliver, Note: "probe failed"})
		}
	}
}

// probeTiming returns the interval, as the target's clock runs it
// (contract.Config.MinuteMillis), and the threshold of the deployment's
// probe on port (the case's fixture has one).
func probeTiming(t *suite.T, port uint16) (time.Duration, int) {
	for _, lb := range t.Deployment().LoadBalancers {
		for _, p := range lb.Probes {
			if p.Port == int(port) {
				return t.Config().Scaled(time.Duration(p.IntervalInSeconds) * time.Second), max(p.ProbeThreshold, 1)
			}
		}
	}
	t.Fatalf("the fixture has no probe on port %d", port)
	return 0, 0
}

// avoidStreak is how many fresh flows in a row must avoid the members
// taken down before awaitAvoided takes the verdict as applied: with two
// members, a member still up gets none of them with probability 1/256.
const avoidStreak = 8

// awaitAvoided waits, within the probe timeout, until avoidStreak fresh
// flows like s in a row reach a member of pool other than down (their
// arrival at bport recorded nowhere): the probe verdict has reached the
// mux. It fails the case when that does not happen in time.
func awaitAvoided(t *suite.T, pool []suite.Point, s pkt.Spec, bport uint16, down ...string) {
	streak := 0
	applied := t.Eventually(t.Timeouts().Probe, func() bool {
		for streak < avoidStreak {
			if vm, ok := landsOn(t, pool, s, bport); !ok || slices.Contains(down, vm) {
				streak = 0
				return false
			}
			streak++
		}
		return true
	})
	if !applied {
		t.Fatalf("new flows still reach %v (or no member) %v after the probes failed (timeout probe): the verdict does not take effect", down, t.Timeouts().Probe)
	}
}

// refusal is one kind of packet a VM refuses: TCP answered with a RST, UDP
// dropped. A zero src or port matches any.
type refusal struct {
	proto byte // unix.IPPROTO_TCP or IPPROTO_UDP
	src   netip.Addr
	port  uint16
}

// refuse adds table to the calling thread's namespace with an input chain
// that refuses rs.
func refuse(table string, rs ...refusal) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	tbl := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: table})
	ch := c.AddChain(&nftables.Chain{Name: "input", Table: tbl, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter})
	for _, r := range rs {
		exprs := []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{r.proto}},
		}
		if r.src.IsValid() {
			src := r.src.As4()
			exprs = append(exprs,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: src[:]})
		}
		if r.port != 0 {
			exprs = append(exprs,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(r.port)})
		}
		if r.proto == unix.IPPROTO_TCP {
			exprs = append(exprs, &expr.Reject{Type: unix.NFT_REJECT_TCP_RST})
		} else {
			exprs = append(exprs, &expr.Verdict{Kind: expr.VerdictDrop})
		}
		c.AddRule(&nftables.Rule{Table: tbl, Chain: ch, Exprs: exprs})
	}
	return c.Flush()
}

// removeTable deletes a table refuse added.
func removeTable(table string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	c.DelTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: table})
	return c.Flush()
}
