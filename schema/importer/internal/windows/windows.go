// Package windows imports a Windows guest from the JSON that
// `Get-NetIPInterface | ConvertTo-Json` and `Get-NetIPAddress |
// ConvertTo-Json` print: interfaces with their weak-host flags, and
// addresses. Both lists may come in one file (as one array, or an array of
// the two arrays) or in two files merged later.
package windows

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// AddressFamily values: the AF_INET/AF_INET6 numbers ConvertTo-Json prints
// by default, or the enum names with -EnumsAsStrings.
const (
	afIPv4 = 2
	afIPv6 = 23
)

// rows flattens the document into its objects: a single object, an array,
// or an array of arrays.
func rows(v *jsonpos.Value) []*jsonpos.Value {
	switch v.Kind {
	case jsonpos.Object:
		return []*jsonpos.Value{v}
	case jsonpos.Array:
		var out []*jsonpos.Value
		for _, e := range v.Elems {
			out = append(out, rows(e)...)
		}
		return out
	}
	return nil
}

// IsNetIP reports whether root looks like Get-NetIPInterface or
// Get-NetIPAddress output.
func IsNetIP(root *jsonpos.Value) bool {
	for _, r := range rows(root) {
		if r.Get("InterfaceAlias") != nil && (r.Get("WeakHostSend") != nil || r.Get("WeakHostReceive") != nil ||
			r.Get("IPAddress") != nil || r.Get("PrefixLength") != nil) {
			return true
		}
	}
	return false
}

// fileSuffix matches the part of a file name that names the command rather
// than the VM, e.g. "sql1-netipinterface.json".
var fileSuffix = regexp.MustCompile(`(?i)[-_.](get-)?(net)?ip(interfaces?|address(es)?)$|[-_.](interfaces?|address(es)?)$`)

// VMName derives the VM name from a file name: the base name without
// extension and without a suffix naming the cmdlet, so that
// sql1-netipinterface.json and sql1-netipaddress.json both name sql1.
func VMName(filename string) string {
	base := filepath.Base(filename)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if vm := fileSuffix.ReplaceAllString(base, ""); vm != "" {
		return vm
	}
	return base
}

type importer struct {
	f     *build.File
	guest *schema.Guest
	// family is the address family whose interface rows set the flags:
	// IPv4 when the file has any IPv4 rows.
	family int
}

// Import reads one file of Get-NetIPInterface and/or Get-NetIPAddress JSON
// into a Windows guest for the named VM.
func Import(file string, src []byte, vm string) (*build.Result, error) {
	root, err := jsonpos.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	im := &importer{f: build.NewFile(file), guest: &schema.Guest{VM: vm, OS: schema.OSWindows}, family: afIPv6}
	im.f.Object(&im.guest.Node, root, "guests."+vm)
	all := rows(root)
	for _, r := range all {
		if fam, ok := im.family2(r); ok && fam == afIPv4 {
			im.family = afIPv4
		}
	}
	for _, r := range all {
		switch {
		case r.Get("IPAddress") != nil:
			im.address(r)
		case r.Get("InterfaceAlias") != nil:
			im.iface(r)
		}
	}
	im.f.Result.Deployment.Guests = append(im.f.Result.Deployment.Guests, im.guest)
	return &im.f.Result, nil
}

// family2 reads a row's AddressFamily as 2 or 23.
func (im *importer) family2(r *jsonpos.Value) (int, bool) {
	v := r.Get("AddressFamily")
	if n, ok := v.Int(); ok {
		return n, n == afIPv4 || n == afIPv6
	}
	switch s, _ := v.Str(); strings.ToLower(s) {
	case "ipv4":
		return afIPv4, true
	case "ipv6":
		return afIPv6, true
	}
	return 0, false
}

// interfaceFor returns the guest interface for the row's alias, creating
// it at the row.
func (im *importer) interfaceFor(r *jsonpos.Value) *schema.Interface {
	alias, _ := r.Get("InterfaceAlias").Str()
	if i := im.guest.Interface(alias); i != nil {
		if loopback(r) {
			i.Kind = "loopback"
		}
		return i
	}
	i := &schema.Interface{Name: alias, Kind: schema.KindNIC}
	if loopback(r) {
		i.Kind = "loopback"
	}
	im.f.Object(&i.Node, r, im.guest.Path()+".interfaces."+alias)
	i.SetField("name", im.f.KeyPos(r.Get("InterfaceAlias")))
	im.guest.Interfaces = append(im.guest.Interfaces, i)
	return i
}

// loopback recognises the Loopback Pseudo-Interface (ifIndex 1) and the
// Microsoft KM-TEST Loopback Adapter, or an alias the user named loopback.
func loopback(r *jsonpos.Value) bool {
	alias, _ := r.Get("InterfaceAlias").Str()
	desc, _ := r.Get("InterfaceDescription").Str()
	idx, ok := r.Get("InterfaceIndex").Int()
	if !ok {
		idx, ok = r.Get("ifIndex").Int()
	}
	return strings.Contains(strings.ToLower(alias), "loopback") ||
		strings.Contains(strings.ToLower(desc), "loopback adapter") ||
		ok && idx == 1
}

func (im *importer) iface(r *jsonpos.Value) {
	fam, ok := im.family2(r)
	if ok && fam != im.family {
		return // the flags of the other address family do not apply
	}
	i := im.interfaceFor(r)
	im.flag(i, &i.WeakHostReceive, "weakHostReceive", r.Get("WeakHostReceive"))
	im.flag(i, &i.WeakHostSend, "weakHostSend", r.Get("WeakHostSend"))
}

// flag reads a NetIPInterface flag: 0/1, "Disabled"/"Enabled" or a boolean.
func (im *importer) flag(i *schema.Interface, dst *bool, field string, v *jsonpos.Value) {
	if v == nil {
		return
	}
	var on, ok bool
	switch v.Kind {
	case jsonpos.Number:
		n, isInt := v.Int()
		on, ok = n == 1, isInt && (n == 0 || n == 1)
	case jsonpos.String:
		switch strings.ToLower(v.Text) {
		case "enabled", "1", "true":
			on, ok = true, true
		case "disabled", "0", "false":
			ok = true
		}
	case jsonpos.Bool:
		on, ok = v.Bool, true
	}
	if !ok {
		im.f.Issuef(im.f.KeyPos(v), schema.RuleSchema, "%s.%s: want Enabled, Disabled, 1 or 0", i.Path(), field)
		return
	}
	*dst = on
	i.SetField(field, im.f.KeyPos(v))
}

func (im *importer) address(r *jsonpos.Value) {
	ipv, plv := r.Get("IPAddress"), r.Get("PrefixLength")
	ipText, _ := ipv.Str()
	ipText, _, _ = strings.Cut(ipText, "%") // fe80::1%12
	addr, err := netip.ParseAddr(ipText)
	plen, ok := plv.Int()
	if s, isStr := plv.Str(); isStr {
		n, err2 := strconv.Atoi(s)
		plen, ok = n, err2 == nil
	}
	if err != nil || !ok || plen < 0 || plen > addr.BitLen() {
		im.f.Issuef(im.f.KeyPos(ipv), schema.RuleSchema, "%s: IPAddress %q with its PrefixLength is not an address and prefix length", im.guest.Path(), ipText)
		return
	}
	if addr.Is6() && addr.IsLinkLocalUnicast() {
		return // fe80:: addresses exist on every interface and never carry a frontend
	}
	i := im.interfaceFor(r)
	i.Addresses = append(i.Addresses, netip.PrefixFrom(addr, plen).String())
	if !i.Has("addresses") {
		i.SetField("addresses", im.f.KeyPos(ipv))
	}
}
