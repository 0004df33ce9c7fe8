// Package reports holds the versioned result documents that lbcheck writes
// (conformance and lint) and renders them for people (self-contained HTML)
// and for CI (JUnit). It depends on nothing else in lbcheck: the engines copy
// their results into these plain structs.
package reports

import (
	_ "embed"
	"time"
)

// ConformanceAPIVersion is the version of the ConformanceReport JSON
// document. Change it whenever a field changes meaning or is removed.
const ConformanceAPIVersion = "lbcheck.io/v1alpha1"

// ConformanceKind is the Kind of a ConformanceReport document.
const ConformanceKind = "ConformanceReport"

// ConformanceSchema is the JSON Schema (2020-12) of a ConformanceReport as
// WriteConformanceJSON writes it, derived from its Go types
// (internal/gojsonschema; TestConformanceSchema keeps it current).
//
//go:embed conformance-report.schema.json
var ConformanceSchema []byte

// Result values for a whole report or a profile.
const (
	ResultSuccess = "success" // every case ran and passed
	ResultPartial = "partial" // no failure, but some cases were skipped or not supported
	ResultFailure = "failure" // at least one case failed
	// ResultIncomplete: the run stopped (interrupted, or a deployment
	// could not be set up) before every selected case ran; NotRun names
	// those that did not. Whatever the others did, it is not a success.
	ResultIncomplete = "incomplete"
)

// Status values for one case.
const (
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	// StatusNotSupported: the case needs a feature the implementation does
	// not declare (CaseResult.Unsupported); it did not run.
	StatusNotSupported = "not-supported"
)

// ConformanceReport is the versioned JSON document `lbcheck conform` writes.
type ConformanceReport struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Implementation Implementation `json:"implementation"`
	Environment    Environment    `json:"environment"`
	Date           time.Time      `json:"date"`
	DurationSec    float64        `json:"durationSeconds"`
	Result         string         `json:"result"`
	// Timeouts are the bounds the run's waits had, by name (ready, stop,
	// deliver, quiet, probe), as Go durations.
	Timeouts map[string]string `json:"timeouts,omitempty"`
	Profiles []ProfileResult   `json:"profiles"`
	Cases    []CaseResult      `json:"cases"`
	// Deployments are the user's deployments the generic cases ran on
	// (conform --config), with the files each was read from; empty for the
	// built-in suite.
	Deployments []Deployment `json:"deployments,omitempty"`
	// LintFindings are the data-plane lint findings (LB2xxx, LB3xxx) on
	// the deployments tested, each with the cases that failed on what it
	// names; empty for the built-in suite.
	LintFindings []LintCrossCheck `json:"lintFindings,omitempty"`
	// NotRun names the selected cases that never ran, in plan order; set
	// only when Result is ResultIncomplete.
	NotRun []string `json:"notRun,omitempty"`
}

// Implementation names the target under test.
type Implementation struct {
	Name     string `json:"name"`               // "ref" or the manifest's name
	Version  string `json:"version,omitempty"`  // free text from the manifest
	Manifest string `json:"manifest,omitempty"` // path of the target manifest
	// Features are the extended features the implementation declares
	// (manifest features:, or every one with --all-features): the cases
	// that need an undeclared one are not supported.
	Features []string `json:"features,omitempty"`
}

// Environment describes where the suite ran.
type Environment struct {
	Kernel    string `json:"kernel"`
	GoVersion string `json:"goVersion"`
	LBCheck   string `json:"lbcheck"`
	Hostname  string `json:"hostname,omitempty"`
}

// MemberResult is one rule's verdict on one member.
type MemberResult struct {
	Rule   string `json:"rule"`   // e.g. "rule lb/web (tcp 203.0.113.10:80)"
	Member string `json:"member"` // the VM
	Status string `json:"status"` // passed, failed, unreached, excluded or untested
	Note   string `json:"note,omitempty"`
}

// MemberResult statuses besides StatusPassed and StatusFailed.
const (
	MemberUnreached = "unreached" // no flow of the rule reached it
	MemberExcluded  = "excluded"  // Azure sends it nothing, and nothing arrived
	MemberUntested  = "untested"  // the case cannot check it here; the note says why
)

// LintCrossCheck is a lint finding on a tested deployment and the cases
// that reproduced it with packets.
type LintCrossCheck struct {
	Deployment string `json:"deployment"`
	Rule       string `json:"rule"`
	Message    string `json:"message"`
	// Object is the model path the finding names (guests.sql-2.interfaces.Loopback).
	Object string `json:"object,omitempty"`
	// Source is the rule's documentation.
	Source string `json:"source,omitempty"`
	// ReproducedBy are the cases with a failure about what the finding
	// names (its guest's VM, or its rule): the packets' evidence for it,
	// though such a failure may have another cause; empty when no case
	// failed there.
	ReproducedBy []string `json:"reproducedBy,omitempty"`
	// Unobservable is the rule's reason why packets cannot show some of
	// its findings (lint.Doc.Unobservable), set when no case reproduced
	// this one.
	Unobservable string `json:"unobservable,omitempty"`
}

// Deployment is a user deployment a report tested.
type Deployment struct {
	Name  string   `json:"name"`
	Files []string `json:"files,omitempty"`
	// Assumed says what the deployment left undeclared about its guests
	// and conform assumed (Azure's documented guest configuration), one
	// line per VM and item.
	Assumed []string `json:"assumed,omitempty"`
}

// ProfileResult summarises one profile ("core" or "extended").
type ProfileResult struct {
	Name       string     `json:"name"`
	Result     string     `json:"result"`
	Statistics Statistics `json:"statistics"`
	// Unsupported are the features whose absence made cases of the
	// profile not supported, sorted.
	Unsupported []string `json:"unsupportedFeatures,omitempty"`
}

// Statistics counts case outcomes.
type Statistics struct {
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Skipped      int `json:"skipped"`
	NotSupported int `json:"notSupported,omitempty"`
}

// CaseResult is the outcome of one conformance case.
type CaseResult struct {
	Name        string   `json:"name"`        // short name, e.g. "FloatingIPOnDestination"
	Description string   `json:"description"` // one sentence
	Profile     string   `json:"profile"`     // core | extended
	Features    []string `json:"features,omitempty"`
	// Unsupported are the case's features the implementation does not
	// declare, set when Status is StatusNotSupported.
	Unsupported []string `json:"unsupportedFeatures,omitempty"`
	// Expectation is the documented behaviour the case checks, in words.
	Expectation string `json:"expectation"`
	// Source is a link to the documentation the expectation comes from.
	Source      string  `json:"source"`
	Status      string  `json:"status"`
	Reason      string  `json:"reason,omitempty"` // why it failed, was skipped or is not supported
	DurationSec float64 `json:"durationSeconds"`
	// Checks are the packet expectations the case made, in order.
	Checks []Check `json:"checks,omitempty"`
	// Members are a generic case's verdict per rule and pool member: which
	// members of each rule passed, failed, were never reached or rightly
	// got nothing.
	Members []MemberResult `json:"members,omitempty"`
	// Hops is the flow as observed at each capture point, for the packet ladder.
	Hops []Hop `json:"hops,omitempty"`
	// Pcap is the path of the case's capture, relative to the report file.
	Pcap string `json:"pcap,omitempty"`
}

// Check is one expectation about a packet at one observation point.
type Check struct {
	Point    string   `json:"point"` // client | mux | host | vm
	What     string   `json:"what"`  // e.g. "SYN delivered to the VM"
	Negative bool     `json:"negative,omitempty"`
	Expected Headers  `json:"expected"`
	Observed *Headers `json:"observed,omitempty"` // nil: nothing matching arrived
	OK       bool     `json:"ok"`
	Message  string   `json:"message,omitempty"`
	// Fields is the harness's own verdict on each header field of the
	// observed packet, as its matcher compared them (TCP flags: SYN, ACK,
	// FIN and RST only; payload when expected). Empty in reports that do
	// not record it: FieldDiffs then compares the headers here.
	Fields []FieldDiff `json:"fields,omitempty"`
}

// FieldDiffs is the check's field table: the recorded Fields, or for a
// report without them, DiffHeaders of the expected and observed headers.
func (c Check) FieldDiffs() []FieldDiff {
	if len(c.Fields) > 0 {
		return c.Fields
	}
	return DiffHeaders(c.Expected, c.Observed)
}

// Headers are the header fields a check compares. Empty fields mean "any".
type Headers struct {
	Proto    string `json:"proto,omitempty"` // tcp | udp | icmp
	SrcIP    string `json:"srcIP,omitempty"`
	SrcPort  int    `json:"srcPort,omitempty"`
	DstIP    string `json:"dstIP,omitempty"`
	DstPort  int    `json:"dstPort,omitempty"`
	TCPFlags string `json:"tcpFlags,omitempty"` // e.g. "SYN", "SYN|ACK"
}

// Hop is a packet seen (or missed) at one capture point, in flow order.
type Hop struct {
	Point     string `json:"point"`     // client | mux | host | vm
	Direction string `json:"direction"` // request | reply
	Seen      bool   `json:"seen"`
	// Check is the number (1-based) of the check in the case's Checks
	// that recorded this hop, 0 for a hop no check made (the packet the
	// harness sent, its arrival at the mux).
	Check   int     `json:"check,omitempty"`
	Headers Headers `json:"headers"`
	Note    string  `json:"note,omitempty"` // e.g. "dropped: strong-host receive"
}
