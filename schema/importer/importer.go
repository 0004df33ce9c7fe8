// Package importer turns what users already have into the lbcheck model:
// ARM templates and az CLI JSON, Bicep files (compiled to ARM templates by
// the Bicep CLI), Terraform plan JSON and Terraform configurations (.tf,
// .tf.json, evaluated by tfconfig), and Windows
// Get-NetIPInterface / Get-NetIPAddress output. Every imported object and
// field carries its line:col in the original file. Values that are only
// known at deployment are marked with schema.Node.SetUnknown (lint reports
// an object as LB0010 when a rule needs such a value); what an importer
// cannot read at all (a copy loop, an unresolvable membership) is an LB0010
// issue.
package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/internal/textenc"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/internal/terraform"
	"github.com/lbcheck/lbcheck/schema/importer/internal/tfconfig"
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

// Formats Detect returns for Bicep files, whatever the format asked for:
// they are recognised by their extension.
const (
	// Bicep is a .bicep file: compiled with `bicep build --stdout` (or
	// `az bicep build --stdout`), whichever is on PATH, and imported as
	// the ARM template it compiles to. Positions in it are approximate
	// (see bicepMap).
	Bicep Format = "bicep"
	// BicepParameters is a .bicepparam file, which lbcheck does not read:
	// `bicep build-params` turns it into a deploymentParameters file.
	BicepParameters Format = "bicep-parameters"
	// TerraformHCL is a Terraform configuration file (.tf, .tf.json):
	// its whole directory is read as a root module (see tfconfig).
	TerraformHCL Format = "terraform-hcl"
)

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
	return "", fmt.Errorf("unknown input format %q (want one of auto, native, arm, terraform, windows; .bicep, .tf and .tf.json files are recognised by their extension)", s)
}

// Options are inputs besides the files themselves.
type Options struct {
	// Parameters is an ARM deploymentParameters file (its content) whose
	// values override template defaultValues; ParametersFile is its name.
	Parameters     []byte
	ParametersFile string
	// VM names the guest of Windows input; when empty it comes from the
	// file name (see windows.VMName).
	VM string
	// SkipNamedForeign applies the walk's skip of files that are clearly
	// no deployment (schema.NotADeployment) to named files too: for hooks
	// that pass every changed file.
	SkipNamedForeign bool
	// Exclude, when set, leaves out what it accepts of the files and
	// directories a directory's walk finds (besides ExcludedDirs); named
	// paths are always read.
	Exclude func(path string) bool
	// TerraformVarFiles and TerraformVars give variables of every
	// Terraform root module read their values, as `terraform plan
	// -var-file F -var NAME=VALUE` does (after terraform.tfvars and
	// *.auto.tfvars; -var values are literal strings unless the variable's
	// type is a collection or structure, then HCL); a variable a module
	// does not declare is ignored.
	TerraformVarFiles []string
	TerraformVars     map[string]string
	// Stdin is what the path "-" reads (standard input, read by the
	// caller). Findings name it stdin.json when it starts like JSON,
	// stdin.yaml otherwise.
	Stdin []byte
}

// terraform is what tfconfig takes of o.
func (o Options) terraform() tfconfig.Options {
	return tfconfig.Options{VarFiles: o.TerraformVarFiles, Vars: o.TerraformVars}
}

// StdinPath is the path that stands for standard input (Options.Stdin).
const StdinPath = "-"

// stdinName is the file name findings give standard input holding src.
func stdinName(src []byte) string {
	if t := bytes.TrimSpace(textenc.UTF8(src)); len(t) > 0 && (t[0] == '{' || t[0] == '[' || t[0] == '/') {
		return "stdin.json"
	}
	return "stdin.yaml"
}

// Detect guesses a file's format from its content, a Bicep file's from
// its extension. Anything that is not recognisably one of the imported
// formats is Native.
func Detect(filename string, src []byte) Format {
	if f := bicepFormat(filename); f != "" {
		return f
	}
	if tfconfig.IsConfigFile(filename) {
		return TerraformHCL
	}
	src = textenc.UTF8(src)
	trimmed := bytes.TrimSpace(src)
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[' && trimmed[0] != '/') { // '/': a comment (ARM)
		return Native
	}
	root, err := jsonpos.Parse(src)
	switch {
	case err != nil && bytes.Contains(bytes.ToLower(src), []byte("deploymenttemplate.json")):
		return ARM // a broken template: the ARM reader says where
	case err != nil:
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

// Import reads one file in the given format (Auto detects it; a Bicep file
// is always Bicep, compiled from filename on disk). Pool memberships that
// name a load balancer not in this file are reported; use LoadFiles to
// import several files that refer to each other.
func Import(format Format, filename string, src []byte, opts Options) (*schema.Deployment, []schema.Issue, error) {
	format = formatOf(format, filename, src)
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

// formatOf is the format a file is read in: a Bicep file's by its
// extension, else format, else the one Detect finds.
func formatOf(format Format, filename string, src []byte) Format {
	if format == Auto || format == "" || bicepFormat(filename) != "" || tfconfig.IsConfigFile(filename) {
		return Detect(filename, src)
	}
	return format
}

func importOne(format Format, filename string, src []byte, opts Options) (*build.Result, error) {
	switch format {
	case Bicep:
		return importBicep(filename, src, opts)
	case BicepParameters:
		return nil, fmt.Errorf("%s: lbcheck does not read .bicepparam files yet: run 'bicep build-params %s' and pass the %s it writes with --parameters",
			filename, filename, jsonName(filename))
	case ARM:
		return arm.Import(filename, src, arm.Options{Parameters: opts.Parameters, ParametersFile: opts.ParametersFile})
	case Terraform:
		return terraform.Import(filename, src)
	case TerraformHCL:
		r, _, err := importHCL(filepath.Dir(filename), opts.terraform())
		return r, err
	case Windows:
		vm := opts.VM
		if vm == "" {
			vm = windows.VMName(filename)
		}
		return windows.Import(filename, src, vm)
	}
	return nil, fmt.Errorf("%s: unknown input format %q", filename, format)
}

// inputExts are the extensions read from a directory: the native loader's
// and Bicep's.
var inputExts = []string{".yaml", ".yml", ".json", ".cue", ".bicep", ".tf"}

// importHCL reads the Terraform root module in dir; the result's Linked
// are the files it read, its own and its local modules', and modules the
// directories of those modules.
func importHCL(dir string, opts tfconfig.Options) (r *build.Result, modules []string, err error) {
	cfg, err := tfconfig.Load(dir, opts)
	if err != nil {
		return nil, nil, err
	}
	r = terraform.ImportResources(dir, cfg.Resources)
	r.Issues = append(cfg.Issues, r.Issues...)
	r.Linked = cfg.Files
	return r, cfg.Modules, nil
}

// loadHCL imports each directory of the Terraform configuration files
// among files as a root module, except those another one calls as a
// local module: they are read through that call.
func loadHCL(files []string, opts tfconfig.Options) ([]*build.Result, error) {
	var dirs []string
	for _, f := range files {
		if d := filepath.Dir(f); tfconfig.IsConfigFile(f) && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	called := map[string]bool{}
	var results []*build.Result
	for _, d := range dirs {
		r, modules, err := importHCL(d, opts)
		if err != nil {
			return nil, err
		}
		for _, m := range modules {
			called[absPath(m)] = true
		}
		results = append(results, r)
	}
	return slices.DeleteFunc(results, func(r *build.Result) bool { return called[absPath(r.File)] }), nil
}

// LoadFiles reads files and directories (recursively: *.yaml, *.yml, *.json,
// *.cue, *.bicep, *.tf), imports each in the given format (Auto: detected per file,
// and ARM parameters files found in directories skipped; Bicep files are
// always compiled as Bicep; each directory of .tf and .tf.json files is
// read once as a Terraform root module, unless another one calls it as a
// local module), loads native files with schema.Load, and
// merges everything into one Deployment. A directory's main.bicep is
// skipped when main.json is next to it: that is what `bicep build` writes,
// and reading both would import every resource twice. A template
// that another input links (a nested deployment's templateLink) is imported
// only through that link, with the parameters it is given there.
// Pool memberships are resolved across all files. The error is non-nil only
// for unusable input: a file that cannot be read or parsed, an ARM
// parameters file named without a template, --parameters without one, a
// Bicep file that cannot be compiled (no Bicep CLI on PATH, or errors).
func LoadFiles(format Format, paths []string, opts Options) (*schema.Deployment, []schema.Issue, error) {
	l, err := Load(format, paths, opts)
	if err != nil {
		return nil, nil, err
	}
	return l.Deployment, l.Issues, nil
}

// Loaded is what Load read.
type Loaded struct {
	// Units are the deployments read: one, unless the inputs hold several
	// Terraform root modules (see Unit). Lint checks each.
	Units []*Unit
	// Shared are the files read into every unit when there are several:
	// the native files.
	Shared []string
	// Deployment, Issues and NotDeployed are the first unit's.
	Deployment  *schema.Deployment
	Issues      []schema.Issue
	NotDeployed []Declaration
	// Unreadable are the files found in directories that could not be read
	// (not a regular file, over the size limit, no permission), with the
	// error; the others are loaded. A named file that cannot be read is
	// Load's error.
	Unreadable []Skipped
	// Skipped are the files found in directories that are clearly no
	// deployment (schema.NotADeployment), with why; named files are never
	// skipped.
	Skipped []Skipped
	// Sources are the contents of every file read, by name as positions
	// give it: the inputs and the linked templates they read. Each file is
	// read once, so findings, excerpts and suppressions see what was
	// linted even if the file changes meanwhile.
	Sources map[string][]byte
}

// Unit is one deployment among the inputs. Every Terraform root module is
// one, since each is deployed on its own (a module's examples are several
// roots calling it, declaring the same names); the first holds the other
// imports too (ARM, az, plans, Windows), and every one the native files,
// so that guests meet the VMs of each root. Without several roots there is
// one unit with everything.
type Unit struct {
	// Root is the Terraform root module's directory; "" for a single unit.
	Root       string
	Deployment *schema.Deployment
	Issues     []schema.Issue
	// NotDeployed are the load balancers templates declare under a
	// condition that is false, so they are not in Deployment.
	NotDeployed []Declaration
}

// Skipped is a file Load left out, and why.
type Skipped struct {
	File, Why string
}

// Declaration is a resource declared in an input file.
type Declaration = build.Declaration

// Load is LoadFiles, also returning the load balancers left out because
// they are not deployed.
func Load(format Format, paths []string, opts Options) (*Loaded, error) {
	files, named, err := expand(paths, opts.Exclude)
	if err != nil {
		return nil, err
	}
	var native []schema.Source
	sources := map[string][]byte{}
	templates := 0
	var parseIssues []schema.Issue // files that cannot be parsed
	var skipped, unreadable []Skipped
	results, err := loadHCL(files, opts.terraform())
	if err != nil {
		return nil, err
	}
	nRoots := len(results)
	for _, r := range results {
		for _, f := range r.Linked {
			sources[f.Name] = f.Data
		}
	}
	for _, f := range files {
		if tfconfig.IsConfigFile(f) {
			continue // read by loadHCL
		}
		var src []byte
		if f == StdinPath {
			src = opts.Stdin
			f = stdinName(src)
			named[f] = true
		} else if src, err = schema.ReadFile(f); err != nil && !named[f] {
			unreadable = append(unreadable, Skipped{File: f, Why: err.Error()})
			continue
		} else if err != nil {
			return nil, err
		}
		ff := formatOf(format, f, src)
		if format == Auto && ff == Native && (!named[f] || opts.SkipNamedForeign) {
			if why := schema.NotADeployment(f, src); why != "" {
				skipped = append(skipped, Skipped{File: f, Why: why})
				continue
			}
		}
		sources[f] = src
		switch ff {
		case Native:
			native = append(native, schema.Source{Name: f, Data: src})
			continue
		case Parameters:
			if named[f] {
				return nil, fmt.Errorf("%s is an ARM parameters file: pass it with --parameters next to the template it belongs to", f)
			}
			continue // read through Options.Parameters
		}
		r, err := importOne(ff, f, src, opts)
		// (What the Bicep compiler prints is no file of the user's: an
		// error there stays one.)
		if is, ok := parseIssue(f, err); ok && ff != Bicep {
			parseIssues = append(parseIssues, is)
			continue
		}
		if err != nil {
			return nil, err
		}
		if ff == ARM || ff == Bicep {
			templates++
		}
		for _, linked := range r.Linked {
			sources[linked.Name] = linked.Data
		}
		results = append(results, r)
	}
	if len(opts.Parameters) > 0 && templates == 0 {
		return nil, fmt.Errorf("--parameters %s: none of the inputs is an ARM template to apply it to; name the template too", opts.ParametersFile)
	}
	roots, others := results[:nRoots], dropLinked(results[nRoots:])
	l := &Loaded{Sources: sources, Skipped: skipped, Unreadable: unreadable}
	if len(roots) <= 1 {
		u, err := assemble(native, append(roots, others...))
		if err != nil {
			return nil, err
		}
		l.Units = []*Unit{u}
	} else {
		// Each Terraform root module is a deployment of its own: two of
		// them (a module's examples) may well declare the same names.
		// The native files (guests) go with each; the other imports, with
		// the first.
		for i, root := range roots {
			rs := []*build.Result{root}
			if i == 0 {
				rs = append(rs, others...)
			}
			u, err := assemble(native, rs)
			if err != nil {
				return nil, err
			}
			u.Root = root.File
			l.Units = append(l.Units, u)
		}
		for _, n := range native {
			l.Shared = append(l.Shared, n.Name)
		}
	}
	l.Units[0].Issues = append(parseIssues, l.Units[0].Issues...)
	l.Deployment, l.Issues, l.NotDeployed = l.Units[0].Deployment, l.Units[0].Issues, l.Units[0].NotDeployed
	return l, nil
}

// assemble merges the native files and the imports into one deployment,
// resolving pool memberships and checking names and references across all
// of them.
func assemble(native []schema.Source, results []*build.Result) (*Unit, error) {
	d := &schema.Deployment{}
	var issues []schema.Issue
	if len(native) > 0 {
		nd, nissues, err := schema.LoadSources(native...)
		if err != nil {
			return nil, err
		}
		if len(results) == 0 {
			return &Unit{Deployment: nd, Issues: nissues}, nil
		}
		// Names and references are checked again below, across all files.
		d, issues = nd, slices.DeleteFunc(nissues, func(i schema.Issue) bool {
			return i.Rule == schema.RuleReference || i.Rule == schema.RuleDuplicate
		})
	}
	u := &Unit{}
	var pending []build.Membership
	for _, r := range results {
		Merge(d, r.Deployment)
		issues = append(issues, r.Issues...)
		pending = append(pending, r.Pending...)
		for _, nd := range r.NotDeployed {
			if nd.Type == "microsoft.network/loadbalancers" {
				u.NotDeployed = append(u.NotDeployed, nd)
			}
		}
	}
	issues = build.ReportUnresolved(d, issues, build.Resolve(d, pending))
	u.Deployment, u.Issues = d, append(issues, schema.Resolve(d)...)
	return u, nil
}

// parseIssue turns the error of reading file into the Issue of a file
// that cannot be parsed (schema.RuleParse), when it is one.
func parseIssue(file string, err error) (schema.Issue, bool) {
	var se *jsonpos.SyntaxError
	var pe *schema.ParseError
	switch {
	case errors.As(err, &se):
		return schema.Issue{Pos: schema.Pos{File: file, Line: se.Pos.Line, Column: se.Pos.Col}, Rule: schema.RuleParse, Message: se.Msg}, true
	case errors.As(err, &pe):
		return pe.Issue(), true
	}
	return schema.Issue{}, false
}

// dropLinked leaves out the results of files that another result read as
// a linked template: their resources are already in that result, with the
// parameters the link passes. Two files that link each other are both kept.
func dropLinked(results []*build.Result) []*build.Result {
	links := make(map[*build.Result]map[string]bool, len(results))
	for _, r := range results {
		links[r] = map[string]bool{}
		for _, f := range r.Linked {
			links[r][absPath(f.Name)] = true
		}
	}
	return slices.DeleteFunc(slices.Clone(results), func(r *build.Result) bool {
		for _, other := range results {
			if other != r && links[other][absPath(r.File)] && !links[r][absPath(other.File)] {
				return true
			}
		}
		return false
	})
}

func absPath(f string) string {
	if abs, err := filepath.Abs(f); err == nil {
		return abs
	}
	return f
}

// expand lists the files under paths; named are the files given by name
// rather than found in a directory.
func expand(paths []string, exclude func(string) bool) (files []string, named map[string]bool, err error) {
	named = map[string]bool{}
	for _, p := range paths {
		if p == StdinPath {
			files = append(files, p)
			named[p] = true
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			files = append(files, p)
			named[p] = true
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case path != p && d.IsDir() && (slices.Contains(ExcludedDirs, d.Name()) || exclude != nil && exclude(path)):
				return fs.SkipDir
			case path != p && exclude != nil && exclude(path):
			case !d.IsDir() && slices.Contains(inputExts, strings.ToLower(filepath.Ext(path))):
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		files = append(files, withoutBuiltBicep(found)...)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%s: no .yaml, .yml, .json, .cue, .bicep or .tf files found", strings.Join(paths, ", "))
	}
	return files, named, nil
}

// ExcludedDirs are the directories a directory's walk never enters: version
// control, dependencies and tool state, never a deployment of the user's.
// Naming one explicitly still reads it.
var ExcludedDirs = []string{".git", "node_modules", ".terraform", "vendor"}

// withoutBuiltBicep leaves out of a directory's files each .bicep file
// whose compiled template (same name, .json) is among them.
func withoutBuiltBicep(files []string) []string {
	have := make(map[string]bool, len(files))
	for _, f := range files {
		have[f] = true
	}
	return slices.DeleteFunc(files, func(f string) bool { return bicepFormat(f) == Bicep && have[jsonName(f)] })
}
