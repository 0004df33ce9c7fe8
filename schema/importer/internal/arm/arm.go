// Package arm imports Azure Resource Manager JSON: deployment templates
// (what Bicep compiles to) with their parameters, nested and linked
// deployments, and the output of `az network lb show`, `az network nic
// show/list` and `az resource show`. Property names, resource names and
// enum values match case-insensitively, as ARM's do; expressions are
// evaluated by package expr, and what only Azure knows at deployment is
// marked unknown (or stands in as a readable placeholder).
package arm

import (
	"fmt"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Resource types the importer reads.
const (
	typeLB     = "microsoft.network/loadbalancers"
	typeNIC    = "microsoft.network/networkinterfaces"
	typePIP    = "microsoft.network/publicipaddresses"
	typeVM     = "microsoft.compute/virtualmachines"
	typeVMSS   = "microsoft.compute/virtualmachinescalesets"
	typeDeploy = "microsoft.resources/deployments"
)

// typeNoun names a resource type for messages.
func typeNoun(typ string) string {
	switch typ {
	case typeLB:
		return "load balancer"
	case typeLB + "/backendaddresspools":
		return "backend pool"
	case typeLB + "/inboundnatrules":
		return "inbound NAT rule"
	case typeNIC:
		return "network interface"
	case typePIP:
		return "public IP address"
	case typeVM:
		return "virtual machine"
	case typeVMSS:
		return "scale set"
	case typeDeploy:
		return "nested deployment"
	}
	return "resource"
}

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
	at   expr.Pos
}

type importer struct {
	f         *build.File
	ev        *expr.Evaluator
	resources []*resource
	vmByNIC   map[string]vmRef     // lower-case NIC name -> the VM it is attached to
	pipByName map[string]*resource // lower-case public IP name
	// natPools are the inbound NAT pools of each load balancer (lower-case
	// name), expanded into NAT rules for the scale sets that use them.
	natPools map[string][]*natPool
	opening  []string // linked template files being read, for cycles
	// parsed are the linked template files read so far.
	parsed map[string]*jsonpos.Value
}

// Import reads one ARM template or az CLI JSON document.
func Import(file string, src []byte, opts Options) (*build.Result, error) {
	root, err := jsonpos.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	im := &importer{f: build.NewFile(file), ev: expr.New(), vmByNIC: map[string]vmRef{},
		pipByName: map[string]*resource{}, natPools: map[string][]*natPool{}, parsed: map[string]*jsonpos.Value{}}
	switch {
	case IsTemplate(root):
		res := root.Get("resources")
		if res.Kind != jsonpos.Array && res.Kind != jsonpos.Object {
			return nil, fmt.Errorf("%s:%d:%d: this ARM template's resources is a %s; ARM wants an array (or, in languageVersion 2.0, an object of symbolic names)",
				file, res.Pos.Line, res.Pos.Col, res.Kind)
		}
		given, err := im.parameters(opts)
		if err != nil {
			return nil, err
		}
		t := im.newTemplate(file, root, given, nil, 0)
		im.collect(t, res, "", "", t, "")
	case IsResource(root):
		if root.Kind != jsonpos.Array { // az ... show prints one object, list an array
			root = &jsonpos.Value{Kind: jsonpos.Array, Elems: []*jsonpos.Value{root}}
		}
		for _, v := range root.Items() {
			im.collectLiteral(v)
		}
	default:
		return nil, fmt.Errorf("%s is not an ARM template (its $schema names no deploymentTemplate, or it has no resources) "+
			"nor az CLI output of a load balancer or network interface", file)
	}
	im.run()
	if err := im.ev.Budget.Err(); err != nil {
		return nil, fmt.Errorf("%s: the template exceeds lbcheck's evaluation limits (a template Azure deploys stays far below them)", err)
	}
	r := &im.f.Result
	r.Pending = build.Resolve(r.Deployment, r.Pending)
	canonicalize(r.Deployment)
	return r, nil
}

// collectLiteral records one resource of az CLI output.
func (im *importer) collectLiteral(v *jsonpos.Value) {
	typ, _ := v.Get("type").Str()
	name, _ := v.Get("name").Str()
	typ = strings.ToLower(typ)
	if readTypes[typ] {
		im.resources = append(im.resources, &resource{decl: v, file: im.f.Name, typ: typ, name: name})
	}
}

// parameters reads the values of a deploymentParameters file.
func (im *importer) parameters(opts Options) (map[string]*expr.Value, error) {
	given := map[string]*expr.Value{}
	if len(opts.Parameters) == 0 {
		return given, nil
	}
	pf, err := jsonpos.Parse(opts.Parameters)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", opts.ParametersFile, err)
	}
	vals := pf.Get("parameters")
	if vals == nil {
		vals = pf
	}
	if vals.Kind != jsonpos.Object {
		return nil, fmt.Errorf("%s: want a deploymentParameters file: an object whose \"parameters\" map names to {\"value\": ...}", opts.ParametersFile)
	}
	for _, p := range vals.Members {
		given[strings.ToLower(p.Key)] = im.passed(p, opts.ParametersFile, nil)
	}
	return given, nil
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

// run imports the collected resources: first what others refer to (public
// IPs, VMs' NICs), then load balancers, their child resources, NICs and
// scale sets.
func (im *importer) run() {
	for _, r := range im.resources {
		switch r.typ {
		case typePIP:
			im.pipByName[strings.ToLower(lastName(r.name))] = r
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
		switch r.typ {
		case typeNIC:
			im.nic(r)
		case typeVMSS:
			im.scaleSet(r)
		}
	}
}

// mayNotDeploy reports, once per resource, that a resource lbcheck reads
// has a condition only known at deployment. The issue names no model
// object: the resource is checked in full, only whether it is deployed is
// uncertain (lint.CoverageOf does not count it as partly checked).
func (im *importer) mayNotDeploy(r *resource, what string) {
	if r.maybe != "" {
		im.issue("", expr.At(r.file, r.decl), schema.RuleUnknown, "%s may not be deployed: %s; it is checked as if it were", what, r.maybe)
	}
}

// vmNICs records which VM each NIC belongs to, from a VM's networkProfile.
func (im *importer) vmNICs(r *resource) {
	body := r.eval(im.ev)
	for _, ref := range prop(body, "networkProfile").Path("networkInterfaces").Items() {
		if id, ok := ref.Get("id").Name(); ok {
			if nic := segment(id, "networkInterfaces"); nic != "" {
				im.vmByNIC[strings.ToLower(nic)] = vmRef{name: lastName(r.name), at: body.At}
			}
		}
	}
}

// prop finds a property in the REST shape (properties.name) or the
// flattened shape az CLI prints (name).
func prop(obj *expr.Value, name string) *expr.Value {
	if v := obj.Path("properties", name); v != nil {
		return v
	}
	return obj.Get(name)
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

// pos converts an expression position.
func pos(p expr.Pos) schema.Pos {
	return schema.Pos{File: p.File, Line: p.Line, Column: p.Col}
}

// issue records an issue at p about the object with model path obj ("":
// none the model has).
func (im *importer) issue(obj string, p expr.Pos, rule, format string, args ...any) {
	im.f.IssueOn(obj, pos(p), rule, format, args...)
}
