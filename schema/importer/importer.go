// Package importer turns what users already have into the lbcheck model:
// ARM templates and az CLI JSON, Terraform plan JSON, and Windows
// Get-NetIPInterface / Get-NetIPAddress output. Every imported object and
// field carries its line:col in the original file. Values that are only
// known at deployment are marked with schema.Node.SetUnknown (lint reports
// an object as LB0010 when a rule needs such a value); what an importer
// cannot read at all (a copy loop, an unresolvable membership) is an LB0010
// issue.
package importer

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/internal/terraform"
	"github.com/lbcheck/lbcheck/schema/importer/internal/windows"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Format is an input format, as named by `lbcheck lint --input-format`.
type Format string

// The input formats. Auto detects each file's format from its content.
const (
	Auto      Format = "auto"
	Native    Format = "native"    // lbcheck's own YAML, JSON or CUE
	ARM       Format = "arm"       // ARM template, or az network lb/nic show, az resource show
	Terraform Format = "terraform" // terraform show -json of a plan
	Windows   Format = "windows"   // Get-NetIPInterface / Get-NetIPAddress | ConvertTo-Json
)

// Parameters is what Detect returns for an ARM deploymentParameters file:
// not a deployment but the values of a template's parameters, passed with
// Options.Parameters. LoadFiles skips such files when detecting formats.
const Parameters Format = "arm-parameters"

// Formats lists the values --input-format accepts.
var Formats = []Format{Auto, Native, ARM, Terraform, Windows}

// ParseFormat checks an --input-format value; "" means Auto.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return Auto, nil
	}
	f := Format(strings.ToLower(s))
	if slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown input format %q (want one of auto, native, arm, terraform, windows)", s)
}

// Rule IDs of the issues importers report besides the loader's.
const (
	// RuleUnknown: something lbcheck cannot read before deployment (a copy
	// loop not expanded, a membership that cannot be resolved).
	RuleUnknown = build.RuleUnknown
	// RuleTerraformFloatingIP: a Terraform rule sets enable_floating_ip and
	// floating_ip_enabled to different values.
	RuleTerraformFloatingIP = build.RuleTerraformFloatingIP
)

// Options are inputs besides the files themselves.
type Options struct {
	// Parameters is an ARM deploymentParameters file (its content) whose
	// values override template defaultValues; ParametersFile is its name.
	Parameters     []byte
	ParametersFile string
	// VM names the guest of Windows input; when empty it comes from the
	// file name (see windows.VMName).
	VM string
}

// Detect guesses a file's format from its content. Anything that is not
// recognisably one of the imported formats is Native.
func Detect(filename string, src []byte) Format {
	src = jsonpos.Decode(src)
	trimmed := bytes.TrimSpace(src)
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return Native
	}
	root, err := jsonpos.Parse(src)
	if err != nil {
		return Native
	}
	switch {
	case arm.IsParameters(root):
		return Parameters
	case arm.IsTemplate(root), arm.IsResource(root):
		return ARM
	case terraform.IsPlan(root):
		return Terraform
	case windows.IsNetIP(root):
		return Windows
	}
	return Native
}

// Import reads one file in the given format (Auto detects it). Pool
// memberships that name a load balancer not in this file are reported; use
// LoadFiles to import several files that refer to each other.
func Import(format Format, filename string, src []byte, opts Options) (*schema.Deployment, []schema.Issue, error) {
	if format == Auto || format == "" {
		format = Detect(filename, src)
	}
	switch format {
	case Native:
		return schema.LoadBytes(filename, src)
	case Parameters:
		return nil, nil, fmt.Errorf("%s is an ARM parameters file: pass it with --parameters next to its template", filename)
	}
	r, err := importOne(format, filename, src, opts)
	if err != nil {
		return nil, nil, err
	}
	issues := build.ReportUnresolved(r.Deployment, r.Issues, r.Pending)
	return r.Deployment, append(issues, schema.Resolve(r.Deployment)...), nil
}

func importOne(format Format, filename string, src []byte, opts Options) (*build.Result, error) {
	switch format {
	case ARM:
		return arm.Import(filename, src, arm.Options{Parameters: opts.Parameters, ParametersFile: opts.ParametersFile})
	case Terraform:
		return terraform.Import(filename, src)
	case Windows:
		vm := opts.VM
		if vm == "" {
			vm = windows.VMName(filename)
		}
		return windows.Import(filename, src, vm)
	}
	return nil, fmt.Errorf("%s: unknown input format %q", filename, format)
}

// inputExts are the extensions read from a directory, as the native loader.
var inputExts = []string{".yaml", ".yml", ".json", ".cue"}

// LoadFiles reads files and directories (recursively: *.yaml, *.yml, *.json,
// *.cue), imports each in the given format (Auto: detected per file, and
// ARM parameters files skipped), loads native files with schema.Load, and
// merges everything into one Deployment.
// Pool memberships are resolved across all files. The error is non-nil only
// for unusable input.
func LoadFiles(format Format, paths []string, opts Options) (*schema.Deployment, []schema.Issue, error) {
	files, err := expand(paths)
	if err != nil {
		return nil, nil, err
	}
	var native []string
	var results []*build.Result
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		ff := format
		if ff == Auto || ff == "" {
			ff = Detect(f, src)
		}
		switch ff {
		case Native:
			native = append(native, f)
			continue
		case Parameters:
			continue // read through Options.Parameters
		}
		r, err := importOne(ff, f, src, opts)
		if err != nil {
			return nil, nil, err
		}
		results = append(results, r)
	}
	d := &schema.Deployment{}
	var issues []schema.Issue
	if len(native) > 0 {
		nd, nissues, err := schema.Load(native...)
		if err != nil {
			return nil, nil, err
		}
		if len(results) == 0 {
			return nd, nissues, nil
		}
		// Names and references are checked again below, across all files.
		d, issues = nd, slices.DeleteFunc(nissues, func(i schema.Issue) bool {
			return i.Rule == schema.RuleReference || i.Rule == schema.RuleDuplicate
		})
	}
	var pending []build.Membership
	for _, r := range results {
		Merge(d, r.Deployment)
		issues = append(issues, r.Issues...)
		pending = append(pending, r.Pending...)
	}
	issues = build.ReportUnresolved(d, issues, build.Resolve(d, pending))
	return d, append(issues, schema.Resolve(d)...), nil
}

func expand(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && slices.Contains(inputExts, strings.ToLower(filepath.Ext(path))) {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .yaml, .yml, .json or .cue files found", strings.Join(paths, ", "))
	}
	return files, nil
}
