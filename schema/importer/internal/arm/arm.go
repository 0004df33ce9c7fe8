// Package arm imports Azure Resource Manager JSON: deployment templates
// (what Bicep compiles to) and the output of `az network lb show`,
// `az network nic show/list` and `az resource show`. Property names match
// case-insensitively; template expressions are evaluated where eval.go can,
// and other values are reported unknown.
package arm

import (
	"fmt"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Resource types the importer reads.
const (
	typeLB     = "microsoft.network/loadbalancers"
	typeNIC    = "microsoft.network/networkinterfaces"
	typePIP    = "microsoft.network/publicipaddresses"
	typeVM     = "microsoft.compute/virtualmachines"
	typeDeploy = "microsoft.resources/deployments"
)

// maxCopy is ARM's limit on a resource copy loop.
const maxCopy = 800

// Options are inputs besides the file itself.
type Options struct {
	// Parameters is the content of a deploymentParameters file whose values
	// override the template's defaultValues.
	Parameters []byte
	// ParametersFile names Parameters in error messages.
	ParametersFile string
}

// vmRef is a VM declared in the file.
type vmRef struct {
	name string
	v    *jsonpos.Value
}

// resource is one resource declaration, copy loops expanded.
type resource struct {
	v     *jsonpos.Value
	typ   string // full type, lower case
	name  string // full name, "lb" or "lb/child"
	scope *scope
}

type importer struct {
	f         *build.File
	resources []resource
	vmByNIC   map[string]vmRef // lower-case NIC name -> the VM it is attached to
	pipByName map[string]*jsonpos.Value
}

// Import reads one ARM template or az CLI JSON document.
func Import(file string, src []byte, opts Options) (*build.Result, error) {
	root, err := jsonpos.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	im := &importer{f: build.NewFile(file), vmByNIC: map[string]vmRef{}, pipByName: map[string]*jsonpos.Value{}}
	if IsTemplate(root) {
		sc, err := templateScope(root, opts)
		if err != nil {
			return nil, err
		}
		im.collect(root.Get("resources"), "", "", sc)
	} else {
		if root.Kind != jsonpos.Array { // az ... show prints one object, list an array
			root = &jsonpos.Value{Kind: jsonpos.Array, Elems: []*jsonpos.Value{root}}
		}
		im.collect(root, "", "", &scope{literal: true})
	}
	im.run()
	r := &im.f.Result
	r.Pending = build.Resolve(r.Deployment, r.Pending)
	return r, nil
}

// IsTemplate reports whether root is a deployment template (as opposed to
// az CLI output).
func IsTemplate(root *jsonpos.Value) bool {
	s, _ := root.Get("$schema").Str()
	return strings.Contains(strings.ToLower(s), "deploymenttemplate") && root.Get("resources") != nil
}

// IsParameters reports whether root is a deploymentParameters file.
func IsParameters(root *jsonpos.Value) bool {
	s, _ := root.Get("$schema").Str()
	return strings.Contains(strings.ToLower(s), "deploymentparameters")
}

// IsResource reports whether v is az CLI output for a resource of a type
// this package reads, or an array (az ... list) holding one.
func IsResource(v *jsonpos.Value) bool {
	items := v.Items()
	if v.Kind == jsonpos.Object {
		items = []*jsonpos.Value{v}
	}
	for _, it := range items {
		t, _ := it.Get("type").Str()
		switch strings.ToLower(t) {
		case typeLB, typeNIC:
			return true
		}
	}
	return false
}

func templateScope(root *jsonpos.Value, opts Options) (*scope, error) {
	sc := &scope{params: map[string]*jsonpos.Value{}, paramVals: map[string]*jsonpos.Value{}, variables: root.Get("variables")}
	for _, p := range root.Get("parameters").Fields() {
		sc.params[strings.ToLower(p.Key)] = p
	}
	if len(opts.Parameters) == 0 {
		return sc, nil
	}
	pf, err := jsonpos.Parse(opts.Parameters)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", opts.ParametersFile, err)
	}
	vals := pf.Get("parameters")
	if vals == nil {
		vals = pf
	}
	for _, p := range vals.Fields() {
		if v := p.Get("value"); v != nil {
			sc.paramVals[strings.ToLower(p.Key)] = v
		}
	}
	return sc, nil
}

// collect flattens resource declarations: nested child resources get full
// types and names, and copy loops are expanded.
func (im *importer) collect(list *jsonpos.Value, parentType, parentName string, sc *scope) {
	items := list.Items()
	if list != nil && list.Kind == jsonpos.Object { // languageVersion 2.0: symbolic names
		items = list.Members
	}
	for _, v := range items {
		if cp := v.Get("copy"); cp != nil {
			im.collectCopy(v, cp, parentType, parentName, sc)
			continue
		}
		im.collectOne(v, parentType, parentName, sc)
	}
}

func (im *importer) collectCopy(v, cp *jsonpos.Value, parentType, parentName string, sc *scope) {
	count, err := sc.fromJSON(cp.Get("count"), true)
	n, ok := count.(int)
	if err != nil || !ok || n < 0 || n > maxCopy {
		why := "count is not an integer between 0 and 800"
		if err != nil {
			why = err.Error()
		}
		im.f.Issuef(im.f.KeyPos(cp), build.RuleUnknown, "copy loop of this resource is not expanded: %s; its resources are not checked", why)
		return
	}
	for i := range n {
		inner := *sc
		inner.copyIndex = &i
		im.collectOne(v, parentType, parentName, &inner)
	}
}

func (im *importer) collectOne(v *jsonpos.Value, parentType, parentName string, sc *scope) {
	if existing := v.Get("existing"); existing != nil && existing.Kind == jsonpos.Bool && existing.Bool {
		return // a reference to a resource deployed elsewhere, without its properties
	}
	if cond := v.Get("condition"); cond != nil {
		if on, err := sc.fromJSON(cond, true); err == nil && on == false {
			return // not deployed
		}
	}
	typ, okT := im.evalStr(sc, v.Get("type"))
	name, okN := im.evalStr(sc, v.Get("name"))
	if !okT || !okN {
		return
	}
	if parentType != "" && !strings.Contains(strings.SplitN(typ, "/", 2)[0], ".") {
		typ, name = parentType+"/"+typ, parentName+"/"+name
	}
	typ = strings.ToLower(typ)
	im.resources = append(im.resources, resource{v: v, typ: typ, name: name, scope: sc})
	if typ == typeDeploy {
		im.f.Issuef(im.f.Pos(v), build.RuleUnknown, "nested deployment %s is not imported; lint its template file directly", name)
		return
	}
	im.collect(v.Get("resources"), typ, name, sc)
}

// evalStr evaluates a resource's type or name; failures are reported.
func (im *importer) evalStr(sc *scope, v *jsonpos.Value) (string, bool) {
	if v == nil || v.Kind != jsonpos.String {
		return "", false
	}
	out, err := sc.evalString(v.Text)
	s, ok := out.(string)
	if err != nil || !ok {
		im.f.Issuef(im.f.Pos(v), build.RuleUnknown, "resource %s %q cannot be evaluated (%v); the resource is not checked", v.Key, v.Text, err)
		return "", false
	}
	return s, true
}

// run imports the collected resources: first what others refer to (public
// IPs, VMs' NICs), then load balancers, their child resources, then NICs.
func (im *importer) run() {
	for _, r := range im.resources {
		switch r.typ {
		case typePIP:
			im.pipByName[strings.ToLower(r.name)] = r.v
		case typeVM:
			im.vmNICs(r)
		}
	}
	for _, r := range im.resources {
		if r.typ == typeLB {
			im.loadBalancer(r)
		}
	}
	for _, r := range im.resources {
		if parent, child, ok := strings.Cut(r.typ, typeLB+"/"); ok && parent == "" {
			im.lbChild(r, child)
		}
	}
	for _, r := range im.resources {
		if r.typ == typeNIC {
			im.nic(r)
		}
	}
}

// vmNICs records which VM each NIC belongs to, from a VM's networkProfile.
func (im *importer) vmNICs(r resource) {
	rd := &reader{f: im.f, sc: r.scope, obj: r.v, node: &schema.Node{}}
	for _, ref := range rd.prop("networkProfile").Path("networkInterfaces").Items() {
		if id, ok := rd.eval(ref.Get("id")); ok {
			if nic := segment(id, "networkInterfaces"); nic != "" {
				im.vmByNIC[strings.ToLower(nic)] = vmRef{name: lastName(r.name), v: r.v}
			}
		}
	}
}

// segment returns the name that follows /typ/ in a resource ID.
func segment(id, typ string) string {
	parts := strings.Split(id, "/")
	for i := len(parts) - 2; i >= 0; i-- {
		if strings.EqualFold(parts[i], typ) {
			return parts[i+1]
		}
	}
	return ""
}

func lastName(name string) string {
	return name[strings.LastIndex(name, "/")+1:]
}
