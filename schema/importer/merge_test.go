package importer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

// subnet is a subnet declared at line of file; group is its network
// security group: "" for none, "?" for unknown.
func subnet(file string, line int, name, group string) *schema.Subnet {
	s := &schema.Subnet{Name: name}
	at := schema.Pos{File: file, Line: line, Column: 1}
	s.SetPos(at, "subnets."+name)
	switch group {
	case "":
	case "?":
		s.SetUnknown("networkSecurityGroup", at, "known only after apply")
	default:
		s.NetworkSecurityGroup = group
		s.SetField("networkSecurityGroup", at)
	}
	return s
}

// TestMergeSubnets merges the subnets of two inputs: one declared in both
// is one subnet, which keeps the declaration that names its network
// security group (or marks it unknown), unless both name different groups:
// then both stay, and the loader's check reports the name declared twice.
// Network security groups are appended.
func TestMergeSubnets(t *testing.T) {
	tests := []struct {
		dst, src string // groups of vnet/web: "-" when not declared
		want     string // the subnets after the merge: file:group, "?" unknown
		dup      bool
	}{
		{dst: "-", src: "nsg", want: "b:nsg"},
		{dst: "", src: "", want: "a:"},
		{dst: "", src: "nsg", want: "b:nsg"},
		{dst: "nsg", src: "", want: "a:nsg"},
		{dst: "nsg", src: "NSG", want: "a:nsg"},
		{dst: "?", src: "nsg", want: "b:nsg"},
		{dst: "nsg", src: "?", want: "a:nsg"},
		{dst: "", src: "?", want: "b:?"},
		{dst: "?", src: "?", want: "a:?"},
		{dst: "nsg", src: "other", want: "a:nsg b:other", dup: true},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s+%s", tt.dst, tt.src)
		dst := &schema.Deployment{NetworkSecurityGroups: []*schema.NetworkSecurityGroup{{Name: "nsg"}}}
		if tt.dst != "-" {
			dst.Subnets = []*schema.Subnet{subnet("a", 1, "vnet/web", tt.dst)}
		}
		srcName := "VNet/web" // names compare case-insensitively
		if tt.dup {
			srcName = "vnet/web" // as the loader's check compares them
		}
		src := &schema.Deployment{NetworkSecurityGroups: []*schema.NetworkSecurityGroup{{Name: "other"}},
			Subnets: []*schema.Subnet{subnet("b", 2, srcName, tt.src)}}
		Merge(dst, src)
		var got []string
		for _, s := range dst.Subnets {
			group := s.NetworkSecurityGroup
			if _, unknown := s.Unknown("networkSecurityGroup"); unknown {
				group = "?"
			}
			got = append(got, s.Pos().File+":"+group)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: subnets %s, want %s", name, strings.Join(got, " "), tt.want)
		}
		if len(dst.NetworkSecurityGroups) != 2 {
			t.Errorf("%s: network security groups %v, want both", name, dst.NetworkSecurityGroups)
		}
		dups := 0
		for _, i := range schema.Resolve(dst) {
			if i.Rule == schema.RuleDuplicate && strings.Contains(i.Message, "subnet") {
				dups++
			}
		}
		if (dups > 0) != tt.dup {
			t.Errorf("%s: %d duplicates reported, want duplicate %v", name, dups, tt.dup)
		}
	}
}
