// Package target describes an implementation under test (a target manifest)
// and starts its mux and host roles inside the topology's namespaces under
// the target contract (conformance/contract): environment variables, the
// "ready" line on stdout, SIGTERM, then SIGKILL of everything the role
// started (each role runs in a cgroup of its own; the contract package doc
// says what that contains and what it does not).
package target

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/lbbin"
	"github.com/lbcheck/lbcheck/internal/safefile"
	lbschema "github.com/lbcheck/lbcheck/schema"
)

// Schema is the CUE schema of a target manifest (YAML, JSON or CUE):
//
//	name: "mylb"
//	version: "1.2"
//	mux:  command: ["/usr/bin/mylb", "--mux"]
//	host: command: ["/usr/bin/mylb", "--host"]
//	timeouts: {ready: "10s", deliver: "2s"}   // see Timeouts; unset ones keep DefaultTimeouts
//	env: {MYLB_LOG: "debug"}
//	features: ["health-probe", "ha-ports"]   // extended features it has (features.Declarable)
//
// A command path with a slash that is not absolute is relative to the
// manifest's directory; a bare name is looked up in PATH.
var Schema = `
#Duration: =~"^[0-9]+(\\.[0-9]+)?(ms|s|m)$"
#Role: close({command: [string & !="", ...string]})
#Feature: ` + featureEnum() + `
#Target: close({
	name:          string & !=""
	version?:      string | number
	mux:           #Role
	host:          #Role
	timeouts?: close({
		ready?:   #Duration
		stop?:    #Duration
		deliver?: #Duration
		quiet?:   #Duration
		probe?:   #Duration
	})
	env?: [=~"^[A-Za-z_][A-Za-z0-9_]*$"]: string
	features?: [...#Feature]
})
`

// Manifest is a loaded target manifest.
type Manifest struct {
	Name      string
	Version   string
	Mux, Host Role
	// Timeouts bound the runner's waits (DefaultTimeouts, then the
	// manifest's timeouts:).
	Timeouts Timeouts
	// Env is added to every role's environment (NAME=value).
	Env []string
	// Features are the extended features the implementation declares
	// (features.Declarable): the cases needing any other are not
	// supported.
	Features []features.Name
}

// featureEnum is the schema's #Feature: every feature's name, core ones
// included so that Parse can say why they are not declared.
func featureEnum() string {
	var names []string
	for _, f := range features.All() {
		names = append(names, strconv.Quote(string(f.Name)))
	}
	return strings.Join(names, " | ")
}

// Role is the command of one role.
type Role struct {
	Command []string
}

// MaxManifestSize is the largest manifest file Load reads.
const MaxManifestSize = 1 << 20

// Load reads a manifest file (.yaml, .yml, .json or .cue): a regular file
// of at most MaxManifestSize bytes.
func Load(path string) (*Manifest, error) {
	b, err := safefile.ReadFile(path, MaxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("target manifest: %w", err)
	}
	m, err := Parse(path, b)
	if err != nil {
		return nil, err
	}
	dir, _ := filepath.Abs(filepath.Dir(path))
	for _, r := range []*Role{&m.Mux, &m.Host} {
		if c := r.Command[0]; strings.Contains(c, "/") && !filepath.IsAbs(c) {
			r.Command[0] = filepath.Join(dir, c)
		}
	}
	return m, nil
}

// Parse decodes and validates a manifest; filename picks the syntax (.cue
// is CUE, anything else YAML, which includes JSON) and appears in errors.
func Parse(filename string, data []byte) (*Manifest, error) {
	ctx := cuecontext.New()
	schema := ctx.CompileString(Schema).LookupPath(cue.ParsePath("#Target"))
	var v cue.Value
	if strings.HasSuffix(filename, ".cue") {
		if err := lbschema.PreflightCUE(filename, data); err != nil {
			return nil, fmt.Errorf("target manifest %v", err)
		}
		v = ctx.CompileBytes(data, cue.Filename(filename))
	} else {
		data, err := lbschema.PrepareYAML(filename, data)
		if err != nil {
			return nil, fmt.Errorf("target manifest %v", err)
		}
		f, err := cueyaml.Extract(filename, data)
		if err != nil {
			return nil, fmt.Errorf("target manifest %s: %v", filename, cueerrors.Details(err, nil))
		}
		v = ctx.BuildFile(f)
	}
	if v.Err() != nil {
		return nil, fmt.Errorf("target manifest %s: %s", filename, lbschema.DescribeCUE(v.Err(), filename, "#Target."))
	}
	for _, old := range []string{"readyTimeout", "stopTimeout"} {
		if v.LookupPath(cue.ParsePath(old)).Exists() {
			return nil, fmt.Errorf("target manifest %s: %s is now timeouts: {%s: ...} (with deliver, quiet and probe beside it)", filename, old, strings.TrimSuffix(old, "Timeout"))
		}
	}
	for _, f := range []string{"name", "mux", "host"} {
		if !v.LookupPath(cue.ParsePath(f)).Exists() {
			return nil, fmt.Errorf("target manifest %s: missing %s (see lbcheck's target manifest schema: name, mux.command, host.command)", filename, f)
		}
	}
	v = schema.Unify(v)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, fmt.Errorf("target manifest %s: %s", filename, lbschema.DescribeCUE(err, filename, "#Target."))
	}
	var raw struct {
		Name    string `json:"name"`
		Version any    `json:"version"`
		Mux     struct {
			Command []string `json:"command"`
		} `json:"mux"`
		Host struct {
			Command []string `json:"command"`
		} `json:"host"`
		Timeouts map[string]string `json:"timeouts"`
		Env      map[string]string `json:"env"`
		Features []string          `json:"features"`
	}
	if err := v.Decode(&raw); err != nil {
		return nil, fmt.Errorf("target manifest %s: %v", filename, err)
	}
	m := &Manifest{Name: raw.Name, Mux: Role{raw.Mux.Command}, Host: Role{raw.Host.Command},
		Timeouts: DefaultTimeouts()}
	for _, f := range raw.Features {
		m.Features = append(m.Features, features.Name(f))
	}
	if err := features.Check(m.Features); err != nil {
		return nil, fmt.Errorf("target manifest %s: features: %v", filename, err)
	}
	if raw.Version != nil {
		m.Version = fmt.Sprint(raw.Version)
	}
	for _, name := range TimeoutNames {
		if val, ok := raw.Timeouts[name]; ok {
			if err := m.Timeouts.Set(name, val); err != nil {
				return nil, fmt.Errorf("target manifest %s: %v", filename, err)
			}
		}
	}
	for k, val := range raw.Env {
		if strings.HasPrefix(k, "LBCHECK_") {
			return nil, fmt.Errorf("target manifest %s: env %s: LBCHECK_* variables are set by the runner", filename, k)
		}
		m.Env = append(m.Env, k+"="+val)
	}
	return m, nil
}

// RefName is the --target value of the reference forwarder.
const RefName = "ref"

// Ref is the manifest of the reference forwarder: `lbcheck forward --role
// mux|host` from the lbcheck binary lbbin.Path finds (this executable in
// lbcheck; a fresh build under go test; LBCHECK_BIN when set).
func Ref() (*Manifest, error) {
	bin, err := lbbin.Path()
	if err != nil {
		return nil, fmt.Errorf("reference target: %w", err)
	}
	return Forwarder("lbcheck-ref", bin), nil
}

// Forwarder is the manifest named name of the reference forwarder in the
// lbcheck binary bin (`bin forward --role mux|host`), with the default
// timeouts and every declarable feature.
func Forwarder(name, bin string) *Manifest {
	return &Manifest{
		Name:     name,
		Mux:      Role{[]string{bin, "forward", "--role", contract.RoleMux}},
		Host:     Role{[]string{bin, "forward", "--role", contract.RoleHost}},
		Timeouts: DefaultTimeouts(),
		Features: features.Declarable(),
	}
}

// Resolve returns Ref() for "ref" and Load(arg) otherwise (the --target flag).
func Resolve(arg string) (*Manifest, error) {
	if arg == RefName || arg == "" {
		return Ref()
	}
	return Load(arg)
}

// Command returns the role's argv.
func (m *Manifest) Command(role string) ([]string, error) {
	switch role {
	case contract.RoleMux:
		return m.Mux.Command, nil
	case contract.RoleHost:
		return m.Host.Command, nil
	}
	return nil, errors.New("unknown role " + role + ": want mux or host")
}
