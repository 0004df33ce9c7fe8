package topo

import (
	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/proc"
)

// Preflight checks everything Build needs (capabilities, namespaces,
// bridge, veth, nftables, the cgroups that contain target processes) in a
// throwaway lab and returns an error naming what is missing. lbcheck
// conform exits 2 with it.
func Preflight() error {
	if err := netlab.Preflight(); err != nil {
		return err
	}
	if err := proc.Preflight(); err != nil {
		return err
	}
	l, err := netlab.New(netlab.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	ns, err := l.NewNS("preflight-nft")
	if err != nil {
		return err
	}
	return guest.Preflight(ns)
}
