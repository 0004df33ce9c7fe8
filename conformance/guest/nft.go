package guest

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TableName is the nftables table lbcheck creates in a VM namespace.
const TableName = "lbcheck"

// applyNFT installs the plan's host-model drops and firewall in the
// namespace with file descriptor nsFd. Chains (all IPv4, in table lbcheck):
//
//	hostmodel-in  (input,  priority -10): strong-host receive drops
//	hostmodel-out (output, priority -10): strong-host send drops
//	firewall      (input,  priority 0):   the guest firewall
func applyNFT(nsFd int, p *Plan) error {
	if len(p.HostModel) == 0 && p.Firewall == nil {
		return nil
	}
	c, err := nftables.New(nftables.WithNetNSFd(nsFd))
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: TableName})
	accept := nftables.ChainPolicyAccept
	chain := func(name string, hook *nftables.ChainHook, prio nftables.ChainPriority) *nftables.Chain {
		return c.AddChain(&nftables.Chain{Name: name, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: hook, Priority: nftables.ChainPriorityRef(prio), Policy: &accept})
	}
	if len(p.HostModel) > 0 {
		in := chain("hostmodel-in", nftables.ChainHookInput, -10)
		out := chain("hostmodel-out", nftables.ChainHookOutput, -10)
		for _, r := range p.HostModel {
			ch, key, off := in, expr.MetaKeyIIFNAME, uint32(16) // daddr
			if r.Dir == Out {
				ch, key, off = out, expr.MetaKeyOIFNAME, 12 // saddr
			}
			e := ifname(key, r.Iface)
			e = append(e, addrMatch(off, netip.PrefixFrom(r.Addr, 32))...)
			e = append(e, &expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop})
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: e})
		}
	}
	if fw := p.Firewall; fw != nil {
		ch := chain("firewall", nftables.ChainHookInput, 0)
		rule := func(e ...expr.Any) { c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: e}) }
		rule(append(ifname(expr.MetaKeyIIFNAME, "lo"), &expr.Verdict{Kind: expr.VerdictAccept})...)
		rule(
			&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
				Xor:  binaryutil.NativeEndian.PutUint32(0)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
			&expr.Verdict{Kind: expr.VerdictAccept},
		)
		for _, r := range fw.Rules {
			for _, e := range fwRuleExprs(r) {
				rule(e...)
			}
		}
		if fw.DefaultDrop {
			rule(&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: installing rules: %w", err)
	}
	return nil
}

// fwRuleExprs renders one firewall rule; "any" protocol with a port becomes
// one rule for TCP and one for UDP.
func fwRuleExprs(r FWRule) [][]expr.Any {
	verdict := expr.VerdictDrop
	if r.Accept {
		verdict = expr.VerdictAccept
	}
	protos := []string{r.Proto}
	if r.Proto == "" && r.LocalPort != 0 {
		protos = []string{"tcp", "udp"}
	}
	var out [][]expr.Any
	for _, proto := range protos {
		var e []expr.Any
		if proto != "" {
			num := byte(unix.IPPROTO_TCP)
			if proto == "udp" {
				num = unix.IPPROTO_UDP
			}
			e = append(e, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{num}})
		}
		if r.Local.IsValid() {
			e = append(e, addrMatch(16, r.Local)...)
		}
		if r.Remote.IsValid() {
			e = append(e, addrMatch(12, r.Remote)...)
		}
		if r.LocalPort != 0 {
			e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(r.LocalPort)})
		}
		out = append(out, append(e, &expr.Counter{}, &expr.Verdict{Kind: verdict}))
	}
	return out
}

// ifname matches the input or output interface name.
func ifname(key expr.MetaKey, name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b},
	}
}

// addrMatch matches the IPv4 header address at offset (12 source, 16
// destination) against a prefix.
func addrMatch(offset uint32, p netip.Prefix) []expr.Any {
	e := []expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4}}
	a := p.Masked().Addr().As4()
	if p.Bits() < 32 {
		mask := net.CIDRMask(p.Bits(), 32)
		e = append(e, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)})
	}
	return append(e, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a[:]})
}

// DropCounts returns the packet counts of the host-model rules in the
// namespace, keyed like the plan's DropRule ("in eth0 10.0.0.100"), so
// tests and reports can show which emulated rule dropped traffic.
func DropCounts(nsFd int) (map[string]uint64, error) {
	c, err := nftables.New(nftables.WithNetNSFd(nsFd))
	if err != nil {
		return nil, err
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: TableName}
	counts := map[string]uint64{}
	for _, dir := range []string{In, Out} {
		rules, err := c.GetRules(t, &nftables.Chain{Name: "hostmodel-" + dir, Table: t})
		if err != nil {
			continue // no such chain: Linux guest
		}
		for _, r := range rules {
			var iface string
			var addr netip.Addr
			var n uint64
			for _, e := range r.Exprs {
				switch e := e.(type) {
				case *expr.Cmp:
					if len(e.Data) == unix.IFNAMSIZ {
						iface = string(e.Data[:clen(e.Data)])
					} else if len(e.Data) == 4 {
						addr = netip.AddrFrom4([4]byte(e.Data))
					}
				case *expr.Counter:
					n = e.Packets
				}
			}
			counts[fmt.Sprintf("%s %s %s", dir, iface, addr)] = n
		}
	}
	return counts, nil
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}
