package tfconfig

import (
	"fmt"
	"math/big"
	"net"
	"net/netip"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the Terraform functions lbcheck evaluates: those cty's
// library implements under Terraform's names, cidrhost, cidrsubnet and
// cidrnetmask, and terraformFunctions. Calls to any other function yield
// unknown values naming it (see unknownFunc).
var functions = withTerraformFunctions(map[string]function.Function{
	"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
	"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
	"compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
	"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
	"floor": stdlib.FloorFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
	"indent": stdlib.IndentFunc, "index": stdlib.IndexFunc, "join": stdlib.JoinFunc,
	"jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc, "keys": stdlib.KeysFunc,
	"length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc,
	"max": stdlib.MaxFunc, "merge": stdlib.MergeFunc, "min": stdlib.MinFunc,
	"parseint": stdlib.ParseIntFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
	"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
	"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
	"signum": stdlib.SignumFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
	"split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc,
	"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
	"trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc, "upper": stdlib.UpperFunc,
	"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	"cidrhost": cidrhost, "cidrsubnet": cidrsubnet, "cidrnetmask": cidrnetmask,
	"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
	"tobool": stdlib.MakeToFunc(cty.Bool), "toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
})

// withTerraformFunctions adds terraformFunctions to fs (replacing cty's
// replace by Terraform's).
func withTerraformFunctions(fs map[string]function.Function) map[string]function.Function {
	for name, f := range terraformFunctions {
		fs[name] = f
	}
	return fs
}

// unknownFunc stands for a function lbcheck does not evaluate: its result
// is unknown, the reason naming it.
func unknownFunc(name string) function.Function {
	return function.New(&function.Spec{
		VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowDynamicType: true},
		Type:     function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return unknown("lbcheck does not evaluate Terraform's %s function", name), nil
		},
	})
}

// cidrhost is Terraform's cidrhost(prefix, hostnum): the address hostnum
// within prefix (negative counts from the end).
var cidrhost = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "hostnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, nums, err := cidrArgs(args, "hostnum")
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		num := nums[0]
		size := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
		if num.Sign() < 0 {
			num.Add(num, size)
		}
		if num.Sign() < 0 || num.Cmp(size) >= 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("prefix %s has no host number %s", p, args[1].AsBigFloat().Text('f', -1))
		}
		return cty.StringVal(offset(p, num).String()), nil
	},
})

// cidrsubnet is Terraform's cidrsubnet(prefix, newbits, netnum): prefix
// extended by newbits bits holding netnum, IPv4 or IPv6 as prefix is.
var cidrsubnet = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "newbits", Type: cty.Number}, {Name: "netnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, nums, err := cidrArgs(args, "newbits", "netnum")
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		newbits, netnum := nums[0], nums[1]
		width := p.Addr().BitLen()
		if newbits.Sign() < 0 || newbits.Cmp(big.NewInt(int64(width-p.Bits()))) > 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("insufficient address space to extend prefix of %d by %s", p.Bits(), newbits)
		}
		bits := p.Bits() + int(newbits.Int64())
		if netnum.Sign() < 0 || netnum.BitLen() > int(newbits.Int64()) {
			return cty.UnknownVal(cty.String), fmt.Errorf("prefix extension of %s does not accommodate a subnet numbered %s", newbits, netnum)
		}
		sub := netip.PrefixFrom(offset(p, netnum.Lsh(netnum, uint(width-bits))), bits)
		return cty.StringVal(sub.String()), nil
	},
})

// cidrnetmask is Terraform's cidrnetmask(prefix): the dotted netmask of an
// IPv4 prefix.
var cidrnetmask = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, _, err := cidrArgs(args)
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		if !p.Addr().Is4() {
			return cty.UnknownVal(cty.String), fmt.Errorf("IPv6 addresses cannot have a netmask: %s", args[0].AsString())
		}
		return cty.StringVal(net.IP(net.CIDRMask(p.Bits(), 32)).String()), nil
	},
})

// cidrArgs parses the arguments of a cidr function: a CIDR prefix (its host
// bits cleared), then whole numbers, named names.
func cidrArgs(args []cty.Value, names ...string) (netip.Prefix, []*big.Int, error) {
	p, err := netip.ParsePrefix(args[0].AsString())
	if err != nil {
		return netip.Prefix{}, nil, fmt.Errorf("invalid CIDR prefix: %w", err)
	}
	nums := make([]*big.Int, len(names))
	for i, name := range names {
		n, acc := args[i+1].AsBigFloat().Int(nil)
		if acc != big.Exact {
			return netip.Prefix{}, nil, fmt.Errorf("%s must be a whole number", name)
		}
		nums[i] = n
	}
	return p.Masked(), nums, nil
}

// offset is the address n after the first address of p; n is less than
// the size of p.
func offset(p netip.Prefix, n *big.Int) netip.Addr {
	base := new(big.Int).SetBytes(p.Addr().AsSlice())
	b := base.Add(base, n).FillBytes(make([]byte, p.Addr().BitLen()/8))
	addr, _ := netip.AddrFromSlice(b)
	return addr
}
