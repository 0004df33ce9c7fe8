package host_test

import (
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/host"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// TestWithin: a VM's packets that stay in the virtual network. The
// fixture's load balancer is internal, so its frontend is reachable from
// the VMs (hairpin); the other VM's address is a peer.
func TestWithin(t *testing.T) { fixture.Each(t, testWithin) }

func testWithin(t *testing.T, f fixture.Family) {
	_, set := newAgent(t, f, "vm1")
	peer := pkttest.Addr(f.DIP(0))
	a := host.New(set, "vm1", host.Options{DIPs: []packet.Addr{pkttest.Addr(f.DIP(1))}, Peers: []packet.Addr{peer}})
	dip := f.DIP(1)
	for _, tt := range []struct {
		name string
		pkt  []byte
		want stats.Reason
		dst  string
	}{
		{"to the internal frontend, a rule's port: hairpin", pkttest.TCP(t, dip, 40000, f.FIP, 80, syn, nil), stats.Hairpin, f.FIP},
		{"to the internal frontend, HA ports: hairpin", pkttest.UDP(t, dip, 40000, f.FIP2, 4789, nil), stats.Hairpin, f.FIP2},
		{"to the frontend on a port without a rule", pkttest.TCP(t, dip, 40000, f.FIP, 81, syn, nil), stats.VMOther, f.FIP},
		{"to the other VM", pkttest.TCP(t, dip, 40000, f.DIP(0), 22, syn, nil), stats.VNet, f.DIP(0)},
		{"to the internet", pkttest.TCP(t, dip, 40000, f.Host(1), 443, syn, nil), stats.VMOther, f.Host(1)},
		{"malformed", []byte{0x45, 0}, stats.Malformed, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst, r := a.Within(tt.pkt)
			if r != tt.want || dst.String() != tt.dst && tt.want != stats.Malformed {
				t.Errorf("Within = %v, %v; want %v, %s", dst, r, tt.want, tt.dst)
			}
		})
	}
}

// TestVNetInbound: another host's VM sends to this VM: delivered unchanged
// when it is addressed to one of the VM's DIPs.
func TestVNetInbound(t *testing.T) { fixture.Each(t, testVNetInbound) }

func testVNetInbound(t *testing.T, f fixture.Family) {
	_, set := newAgent(t, f, "vm1")
	a := host.New(set, "vm1", host.Options{DIPs: []packet.Addr{pkttest.Addr(f.DIP(1))}})
	in := pkttest.TCP(t, f.FIP, 80, f.DIP(1), 40000, synack, nil)
	out, r := a.Inbound(encapsulate(encap.Header{Kind: encap.VNet}, in), 0)
	if r != stats.Delivered || string(out) != string(in) {
		t.Errorf("VNet packet to the VM's DIP: %v, changed %v; want delivered unchanged", r, string(out) != string(in))
	}
	other := pkttest.TCP(t, f.FIP, 80, f.DIP(2), 40000, synack, nil)
	if _, r := a.Inbound(encapsulate(encap.Header{Kind: encap.VNet}, other), 0); r != stats.WrongHost {
		t.Errorf("VNet packet to another VM's DIP: %v, want wrong_host", r)
	}
}
