package expr

import (
	"fmt"
	"math/big"
	"net/netip"
)

// parseCidr(), cidrSubnet() and cidrHost(): address arithmetic, which
// Bicep templates use to give frontends and NICs static addresses.

func init() {
	register("parsecidr", builtin{min: 1, max: 1, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		p, bad := prefixArg("parseCidr", a[0], at)
		if bad != nil {
			return bad
		}
		first, last := usable(p)
		members := []any{"network", NewString(p.Addr().String(), at)}
		if p.Addr().Is4() {
			members = append(members, "netmask", NewString(netmask(p).String(), at), "broadcast", NewString(lastAddr(p).String(), at))
		}
		members = append(members,
			"firstUsable", NewString(first.String(), at),
			"lastUsable", NewString(last.String(), at),
			"cidr", NewInt(int64(p.Bits()), at))
		return object(at, members...)
	}})
	register("cidrsubnet", builtin{min: 3, max: 3, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		p, bad := prefixArg("cidrSubnet", a[0], at)
		if bad != nil {
			return bad
		}
		bits, ok1 := a[1].Integer()
		idx, ok2 := a[2].Integer()
		if !ok1 || !ok2 || bits < int64(p.Bits()) || bits > int64(p.Addr().BitLen()) || idx < 0 || bits-int64(p.Bits()) < 63 && idx >= 1<<(bits-int64(p.Bits())) {
			return NewUnknown(fmt.Sprintf("cidrSubnet(%s, %s, %s) is out of range", p, describe(a[1]), describe(a[2])), at)
		}
		off := new(big.Int).Lsh(big.NewInt(idx), uint(p.Addr().BitLen()-int(bits)))
		return NewString(netip.PrefixFrom(add(p.Addr(), off), int(bits)).String(), at)
	}})
	register("cidrhost", builtin{min: 2, max: 2, fn: func(ev *Evaluator, a []*Value, at Pos) *Value {
		p, bad := prefixArg("cidrHost", a[0], at)
		if bad != nil {
			return bad
		}
		idx, ok := a[1].Integer()
		first, last := usable(p)
		host := add(first, big.NewInt(idx))
		if !ok || idx < 0 || !p.Contains(host) || last.Less(host) {
			return NewUnknown(fmt.Sprintf("cidrHost(%s, %s) is outside the usable addresses", p, describe(a[1])), at)
		}
		return NewString(host.String(), at)
	}})
}

func prefixArg(fn string, v *Value, at Pos) (netip.Prefix, *Value) {
	s, ok := v.Text()
	p, err := netip.ParsePrefix(s)
	if !ok || err != nil {
		return netip.Prefix{}, NewUnknown(fmt.Sprintf("%s() wants a CIDR range, got %s", fn, describe(v)), at)
	}
	return p.Masked(), nil
}

func add(a netip.Addr, n *big.Int) netip.Addr {
	x := new(big.Int).SetBytes(a.AsSlice())
	x.Add(x, n)
	b := x.FillBytes(make([]byte, a.BitLen()/8))
	out, _ := netip.AddrFromSlice(b)
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	host := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
	return add(p.Addr(), host.Sub(host, big.NewInt(1)))
}

func netmask(p netip.Prefix) netip.Addr {
	m := new(big.Int).Lsh(big.NewInt(1), 32)
	m.Sub(m, new(big.Int).Lsh(big.NewInt(1), uint(32-p.Bits())))
	out, _ := netip.AddrFromSlice(m.FillBytes(make([]byte, 4)))
	return out
}

// usable is the first and last host address: IPv4 leaves out the network
// and broadcast addresses of prefixes up to /30.
func usable(p netip.Prefix) (netip.Addr, netip.Addr) {
	first, last := p.Addr(), lastAddr(p)
	if p.Addr().Is4() && p.Bits() <= 30 {
		first, last = first.Next(), last.Prev()
	}
	return first, last
}
