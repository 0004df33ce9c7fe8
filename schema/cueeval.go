package schema

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"

	"github.com/lbcheck/lbcheck/schema/internal/childeval"
)

// A CUE file is a program: a few lines can compute a list of 10⁸ elements
// or a struct of 2³⁰ fields, and the CUE library can neither be stopped
// nor bounded once it runs. So lbcheck first evaluates each .cue file in
// a child process (the running executable, re-entered through this
// package's init: see package childeval) under
// these budgets; only a file the child evaluated within them is evaluated
// again in lbcheck itself. A file over a budget is an error naming it.
const (
	// MaxCUETime is the longest one CUE file's evaluation may take.
	MaxCUETime = 10 * time.Second
	// MaxCUEMemory is the most heap one CUE file's evaluation may use.
	MaxCUEMemory = 1 << 30
	// MaxCUEValues is the most values (fields, list elements, scalars)
	// one CUE file may evaluate to, so that its data stays a size lbcheck
	// can validate.
	MaxCUEValues = 1_000_000
)

// cueEval is the child evaluation of one CUE file, read from standard
// input; its argument is the file's name.
var cueEval = &childeval.Kind{
	Env:        "LBCHECK_CUE_PREFLIGHT",
	Time:       MaxCUETime,
	Memory:     MaxCUEMemory,
	Eval:       cueChild,
	What:       "this CUE file",
	Per:        "one CUE file",
	Advice:     "compute less (large list.Range, nested comprehensions) or export plain data with cue export",
	Reader:     "the CUE library",
	TimeName:   "schema.MaxCUETime",
	MemoryName: "schema.MaxCUEMemory",
}

func init() { cueEval.Serve() }

// cueChild evaluates the CUE file read from in, as the loader does.
func cueChild(filename string, in io.Reader) childeval.Verdict {
	src, err := io.ReadAll(io.LimitReader(in, MaxFileSize))
	if err != nil {
		return childeval.Verdict{}
	}
	f, err := parser.ParseFile(filename, src)
	if err != nil {
		return childeval.Verdict{} // lbcheck reports the syntax error itself
	}
	v := cuecontext.New().BuildFile(f)
	_ = v.Err()
	if msg := tooManyValues(filename, v); msg != "" {
		return childeval.Verdict{Limit: "values", Message: msg}
	}
	_ = cueData(f, v)
	return childeval.Verdict{}
}

// tooManyValues counts the values v evaluates to, stopping at
// MaxCUEValues, and says where the file crosses the limit.
func tooManyValues(filename string, v cue.Value) string {
	n := 0
	var at cue.Value
	var count func(v cue.Value) bool
	count = func(v cue.Value) bool {
		if n++; n > MaxCUEValues {
			at = v
			return false
		}
		switch v.IncompleteKind() {
		case cue.StructKind:
			it, err := v.Fields()
			for err == nil && it.Next() {
				if !count(it.Value()) {
					return false
				}
			}
		case cue.ListKind:
			it, err := v.List()
			for err == nil && it.Next() {
				if !count(it.Value()) {
					return false
				}
			}
		}
		return true
	}
	if count(v) {
		return ""
	}
	pos := Pos{File: filename}
	if p := at.Pos(); p.IsValid() {
		pos = toPos(p, filename)
	}
	return fmt.Sprintf("%s: this CUE file evaluates to more than %d values, the most lbcheck reads from one file (schema.MaxCUEValues); %s is the first beyond: split the data into several files",
		pos, MaxCUEValues, strconv.Quote(at.Path().String()))
}

// PreflightCUE evaluates a CUE file in the child process and returns the
// error for a budget it exceeds, or for a child that failed. The loader
// calls it for every .cue file; other readers of CUE files (target
// manifests) call it before evaluating one themselves.
func PreflightCUE(filename string, src []byte) error {
	return cueEval.Run(filename, src)
}
