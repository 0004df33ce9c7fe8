// Package build holds what every importer shares: turning jsonpos
// positions into schema positions, recording issues, marking unknown values,
// and pool memberships that name a load balancer declared in another file.
package build

import (
	"fmt"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Membership is a NIC IP configuration that joins a backend pool (Pool set)
// or is the target of a classic inbound NAT rule (NatRule set), recorded on
// the NIC side and attached to the load balancer once it is known.
type Membership struct {
	LB      string
	Pool    string
	NatRule string
	Member  *schema.PoolMember
}

// Result is one imported file.
type Result struct {
	// File is the file imported.
	File       string
	Deployment *schema.Deployment
	Issues     []schema.Issue
	// Pending are memberships whose load balancer is not in this file.
	Pending []Membership
	// NotDeployed are the declarations of resources the importer reads
	// whose condition is false.
	NotDeployed []Declaration
	// Linked are the linked template files the import read besides the
	// file itself, each once.
	Linked []schema.Source
}

// Declaration is a resource declared in a file.
type Declaration struct {
	Pos        schema.Pos
	Type, Name string
}

// File accumulates the result of importing one file.
type File struct {
	Name   string
	Result Result
}

// NewFile starts importing the named file.
func NewFile(name string) *File {
	return &File{Name: name, Result: Result{File: name, Deployment: &schema.Deployment{}}}
}

// Pos is the position of v's value token: in the file its Pos names, else
// in the file being imported.
func (f *File) Pos(v *jsonpos.Value) schema.Pos {
	if v == nil {
		return schema.Pos{File: f.Name}
	}
	return f.at(v.Pos)
}

// KeyPos is the position of v's key when v is an object member (where the
// user wrote the field), else of v itself.
func (f *File) KeyPos(v *jsonpos.Value) schema.Pos {
	if v == nil {
		return schema.Pos{File: f.Name}
	}
	return f.at(v.KeyPos)
}

func (f *File) at(p jsonpos.Pos) schema.Pos {
	file := p.File
	if file == "" {
		file = f.Name
	}
	return schema.Pos{File: file, Line: p.Line, Column: p.Col}
}

// Issuef records an issue at p.
func (f *File) Issuef(p schema.Pos, rule, format string, args ...any) {
	f.IssueOn("", p, rule, format, args...)
}

// IssueOn records an issue at p about the object with model path object.
func (f *File) IssueOn(object string, p schema.Pos, rule, format string, args ...any) {
	f.Result.Issues = append(f.Result.Issues, schema.Issue{Pos: p, Rule: rule, Message: fmt.Sprintf(format, args...), Object: object})
}

// Unknown marks field of n unknown at v's key: why names the expression or
// attribute that could not be known. It reports nothing: lint reports the
// objects whose unknown fields a rule needed (LB0010), and only those.
func (f *File) Unknown(n *schema.Node, field string, v *jsonpos.Value, why string) {
	f.UnknownAt(n, field, f.KeyPos(v), why)
}

// UnknownAt marks field of n unknown at p, as Unknown does.
func (f *File) UnknownAt(n *schema.Node, field string, p schema.Pos, why string) {
	n.SetUnknown(field, p, why)
}

// Object positions n at v with the given path.
func (f *File) Object(n *schema.Node, v *jsonpos.Value, path string) {
	n.SetPos(f.Pos(v), path)
}

// Join records a membership to resolve once every load balancer is known.
func (f *File) Join(m Membership) {
	f.Result.Pending = append(f.Result.Pending, m)
}

// Resolve attaches memberships to the load balancers of d (names compare
// case-insensitively, as Azure's do) and returns those whose load balancer,
// pool or NAT rule d does not contain.
func Resolve(d *schema.Deployment, ms []Membership) []Membership {
	var left []Membership
	for _, m := range ms {
		if !attach(d, m) {
			left = append(left, m)
		}
	}
	return left
}

func findLB(d *schema.Deployment, name string) *schema.LoadBalancer {
	for _, lb := range d.LoadBalancers {
		if strings.EqualFold(lb.Name, name) {
			return lb
		}
	}
	return nil
}

func attach(d *schema.Deployment, m Membership) bool {
	for _, lb := range d.LoadBalancers {
		if !strings.EqualFold(lb.Name, m.LB) {
			continue
		}
		if m.NatRule != "" {
			for _, r := range lb.InboundNatRules {
				if strings.EqualFold(r.Name, m.NatRule) {
					r.Target = m.Member
					return true
				}
			}
			continue
		}
		for _, p := range lb.BackendAddressPools {
			if strings.EqualFold(p.Name, m.Pool) {
				AddMember(p, m.Member)
				return true
			}
		}
	}
	return false
}

// AddMember adds m to p. A member naming the same NIC IP configuration
// without a VM (az CLI lists members on the load balancer too, without the
// VM) is replaced, because the NIC side knows the VM.
func AddMember(p *schema.BackendPool, m *schema.PoolMember) {
	for i, old := range p.Members {
		if (old.VM == "" || strings.EqualFold(old.VM, m.VM)) &&
			strings.EqualFold(old.NetworkInterface, m.NetworkInterface) && strings.EqualFold(old.IPConfiguration, m.IPConfiguration) {
			p.Members[i] = m
			return
		}
	}
	p.Members = append(p.Members, m)
}

// Describe names what a membership refers to, for messages.
func (m Membership) Describe() string {
	if m.NatRule != "" {
		return fmt.Sprintf("inbound NAT rule %s of load balancer %s", m.NatRule, m.LB)
	}
	return fmt.Sprintf("backend pool %s of load balancer %s", m.Pool, m.LB)
}

// ReportUnresolved records an issue for each membership that could not be
// attached: a missing reference (LB1001, Azure rejects it) when its load
// balancer is in the input but lacks the pool or NAT rule, LB0010 when the
// load balancer is in none of the input files (deployed elsewhere, so not
// checked). It also reports each pool member az CLI listed on the load
// balancer side whose NIC (and so VM) is in none of them; such members
// name no VM and rules skip them.
func ReportUnresolved(d *schema.Deployment, issues []schema.Issue, ms []Membership) []schema.Issue {
	for _, m := range ms {
		is := schema.Issue{Pos: m.Member.Pos(), Rule: schema.RuleUnknown,
			Message: fmt.Sprintf("IP configuration %s of VM %s joins %s, which none of the input files declares; the membership is not checked (add the file that deploys the load balancer)",
				m.Member.IPConfiguration, m.Member.VM, m.Describe())}
		if lb := findLB(d, m.LB); lb != nil {
			is.Rule = schema.RuleReference
			is.Message = fmt.Sprintf("IP configuration %s of VM %s joins %s, which does not exist; declare it or correct the reference",
				m.Member.IPConfiguration, m.Member.VM, m.Describe())
		}
		issues = append(issues, is)
	}
	for _, lb := range d.LoadBalancers {
		for _, p := range lb.BackendAddressPools {
			for _, m := range p.Members {
				if m.VM == "" {
					issues = append(issues, schema.Issue{Pos: m.Pos(), Rule: schema.RuleUnknown,
						Message: fmt.Sprintf("%s: member %s/%s is not checked: its network interface is in none of the input files; add `az network nic show` output for it",
							p.Path(), m.NetworkInterface, m.IPConfiguration)})
				}
			}
		}
	}
	return issues
}
