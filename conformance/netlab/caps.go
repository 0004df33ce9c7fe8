package netlab

import "slices"

// MissingOf returns which of the named capabilities (among CAP_SYS_ADMIN,
// CAP_NET_ADMIN and CAP_NET_RAW, the ones MissingCaps checks) this process
// lacks in its effective set. Commands that need only some of them (lbcheck
// forward: CAP_NET_RAW) name exactly those.
func MissingOf(names ...string) ([]string, error) {
	all, err := MissingCaps()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if slices.Contains(all, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
