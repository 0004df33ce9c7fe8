package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/spf13/pflag"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// inputOptions are the flags that say how to read deployment files; lint
// and conform --config share them, so both read every format the same way.
type inputOptions struct {
	format     string   // importer.Format: auto, native, arm, terraform, windows
	parameters string   // ARM deploymentParameters file
	vm         string   // VM of Windows Get-NetIP* input
	tfVarFiles []string // --var-file: Terraform variable files
	tfVars     []string // --var: NAME=VALUE of Terraform variables
	stdin      io.Reader
	exclude    func(path string) bool // .lbcheck.yaml's exclude globs
	skipNamed  bool                   // --skip-non-deployments
}

// addInputFlags defines --input-format, --parameters, --vm, --var-file and
// --var on f.
func addInputFlags(f *pflag.FlagSet, o *inputOptions) {
	f.StringVar(&o.format, "input-format", "auto", "format of the inputs: auto (detected per file), native, arm, terraform (a plan's JSON) or windows; .bicep, .tf and .tf.json files are recognised by their extension")
	f.StringVar(&o.parameters, "parameters", "", "ARM deploymentParameters `FILE` whose values replace the template's defaultValues")
	f.StringVar(&o.vm, "vm", "", "VM `NAME` of Windows Get-NetIPInterface/Get-NetIPAddress input (default: from the file name)")
	f.StringArrayVar(&o.tfVarFiles, "var-file", nil, "Terraform variables `FILE` (.tfvars or .tfvars.json) for every root module read, after terraform.tfvars and *.auto.tfvars, as terraform plan -var-file; repeatable")
	f.StringArrayVar(&o.tfVars, "var", nil, "Terraform variable `NAME=VALUE` for every root module read, applied last, as terraform plan -var (a literal string unless the variable's type is a list, map, set, object or tuple: then HCL); repeatable")
}

// terraformVars parses --var NAME=VALUE values.
func terraformVars(specs []string) (map[string]string, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	vars := map[string]string{}
	for _, spec := range specs {
		name, value, ok := strings.Cut(spec, "=")
		if name = strings.TrimSpace(name); !ok || !hclsyntax.ValidIdentifier(name) {
			return nil, usagef("--var %q: want NAME=VALUE, NAME a Terraform variable name (as terraform plan -var 'region=westeurope')", spec)
		}
		vars[name] = value
	}
	return vars, nil
}

// loadInputs reads paths as one deployment through the importers (each
// file read once; Loaded.Sources includes the --parameters file).
func loadInputs(paths []string, o inputOptions) (*importer.Loaded, error) {
	in, err := importer.ParseFormat(o.format)
	if err != nil {
		return nil, usagef("--input-format: %v", err)
	}
	vars, err := terraformVars(o.tfVars)
	if err != nil {
		return nil, err
	}
	for _, f := range o.tfVarFiles {
		if _, err := schema.ReadFile(f); err != nil {
			return nil, fmt.Errorf("--var-file: %w", err)
		}
	}
	iopts := importer.Options{VM: o.vm, ParametersFile: o.parameters, Exclude: o.exclude, SkipNamedForeign: o.skipNamed,
		TerraformVarFiles: o.tfVarFiles, TerraformVars: vars}
	if n := slices.Index(paths, importer.StdinPath); n >= 0 {
		if slices.Contains(paths[n+1:], importer.StdinPath) || o.stdin == nil {
			return nil, usagef("standard input (-) can be read once")
		}
		if iopts.Stdin, err = io.ReadAll(io.LimitReader(o.stdin, schema.MaxFileSize+1)); err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		if len(iopts.Stdin) > schema.MaxFileSize {
			return nil, fmt.Errorf("standard input is larger than %d MiB, the most lbcheck reads from a file", schema.MaxFileSize>>20)
		}
	}
	if o.parameters != "" {
		if iopts.Parameters, err = schema.ReadFile(o.parameters); err != nil {
			return nil, fmt.Errorf("--parameters: %w", err)
		}
	}
	loaded, err := importer.Load(in, paths, iopts)
	if err != nil {
		return nil, err
	}
	if o.parameters != "" {
		loaded.Sources[o.parameters] = iopts.Parameters // parameter values have positions too
	}
	return loaded, nil
}
