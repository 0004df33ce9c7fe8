package netlab

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Capabilities lbcheck needs: namespaces and mounts (CAP_SYS_ADMIN), links,
// addresses and nftables (CAP_NET_ADMIN), AF_PACKET sockets (CAP_NET_RAW).
var requiredCaps = []struct {
	bit  uint
	name string
}{{21, "CAP_SYS_ADMIN"}, {12, "CAP_NET_ADMIN"}, {13, "CAP_NET_RAW"}}

// MissingCaps returns the names of the required capabilities this process
// lacks in its effective set (parsed from /proc/self/status CapEff).
func MissingCaps() ([]string, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		eff, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("parsing CapEff %q: %w", v, err)
		}
		return missing(eff), nil
	}
	return nil, errors.New("no CapEff line in /proc/self/status")
}

func missing(eff uint64) []string {
	var out []string
	for _, c := range requiredCaps {
		if eff&(1<<c.bit) == 0 {
			out = append(out, c.name)
		}
	}
	return out
}

// Preflight checks that this process can build a topology: the
// capabilities, then a throwaway lab with a bridge and a veth pair. The
// error names the missing capability or kernel feature.
func Preflight() error {
	caps, err := MissingCaps()
	if err != nil {
		return fmt.Errorf("checking capabilities: %w", err)
	}
	if len(caps) > 0 {
		return fmt.Errorf("conformance needs %s (run as root)", strings.Join(caps, ", "))
	}
	l, err := New(Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	a, err := l.NewNS("preflight-a")
	if err != nil {
		return fmt.Errorf("%w (needs network namespaces: CONFIG_NET_NS)", err)
	}
	b, err := l.NewNS("preflight-b")
	if err != nil {
		return err
	}
	if err := a.AddBridge("br0"); err != nil {
		return fmt.Errorf("%w (needs the bridge module: CONFIG_BRIDGE)", err)
	}
	if err := a.AddVeth("p", nil, b, "eth0", nil); err != nil {
		return fmt.Errorf("%w (needs the veth module: CONFIG_VETH)", err)
	}
	return nil
}
