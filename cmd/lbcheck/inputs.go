package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/pflag"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// inputOptions are the flags that say how to read deployment files; lint
// and conform --config share them, so both read every format the same way.
type inputOptions struct {
	format     string // importer.Format: auto, native, arm, terraform, windows
	parameters string // ARM deploymentParameters file
	vm         string // VM of Windows Get-NetIP* input
	stdin      io.Reader
	exclude    func(path string) bool // .lbcheck.yaml's exclude globs
	skipNamed  bool                   // --skip-non-deployments
}

// addInputFlags defines --input-format, --parameters and --vm on f.
func addInputFlags(f *pflag.FlagSet, o *inputOptions) {
	f.StringVar(&o.format, "input-format", "auto", "format of the inputs: auto (detected per file), native, arm, terraform or windows; .bicep files are always Bicep")
	f.StringVar(&o.parameters, "parameters", "", "ARM deploymentParameters `FILE` whose values replace the template's defaultValues")
	f.StringVar(&o.vm, "vm", "", "VM `NAME` of Windows Get-NetIPInterface/Get-NetIPAddress input (default: from the file name)")
}

// loadInputs reads paths as one deployment through the importers (each
// file read once; Loaded.Sources includes the --parameters file).
func loadInputs(paths []string, o inputOptions) (*importer.Loaded, error) {
	in, err := importer.ParseFormat(o.format)
	if err != nil {
		return nil, usagef("--input-format: %v", err)
	}
	iopts := importer.Options{VM: o.vm, ParametersFile: o.parameters, Exclude: o.exclude, SkipNamedForeign: o.skipNamed}
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
