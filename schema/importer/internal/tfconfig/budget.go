package tfconfig

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
	"github.com/lbcheck/lbcheck/schema/internal/childeval"
)

// A Terraform configuration is a program: nested for expressions,
// setproduct or locals that double each other compute values of any size
// from a few lines, and the HCL library cannot be stopped once it
// evaluates an expression. So Load first evaluates the root module in a
// child process (package childeval) under these budgets, and evaluates it
// itself only when the child stayed within them.
const (
	// MaxTime is the longest one root module's evaluation may take.
	MaxTime = 10 * time.Second
	// MaxMemory is the most heap one root module's evaluation may use.
	MaxMemory = 1 << 30
	// MaxValues is the most values (attributes, list elements, scalars)
	// the resource instances of one root module may hold: far more than a
	// real deployment has, few enough to check in a second.
	MaxValues = 250_000
)

// budgetAdvice is what to do about a configuration over a budget.
const budgetAdvice = "compute less (nested for expressions, setproduct, large count or for_each) or lint the plan instead (terraform show -json)"

// preflight is the child evaluation of one root module; its argument is
// the directory, its standard input the Options as JSON.
var preflight = &childeval.Kind{
	Env:    "LBCHECK_TERRAFORM_PREFLIGHT",
	Time:   MaxTime,
	Memory: MaxMemory,
	Eval:   evalChild,
	What:   "this Terraform configuration",
	Per:    "one root module",
	Advice: budgetAdvice,
	Reader: "lbcheck's Terraform reader",
}

func init() { preflight.Serve() }

// evalChild loads the root module in dir as Load does and checks the
// number of values.
func evalChild(dir string, in io.Reader) childeval.Verdict {
	var opts Options
	if err := json.NewDecoder(in).Decode(&opts); err != nil {
		return childeval.Verdict{Limit: "input", Message: fmt.Sprintf("%s: the Terraform reader's child got no options: %v", dir, err)}
	}
	cfg, err := load(dir, opts)
	if err != nil {
		return childeval.Verdict{} // Load reports it
	}
	n := 0
	for _, r := range cfg.Resources {
		if n += count(r.Values, MaxValues+1-n); n > MaxValues {
			return childeval.Verdict{Limit: "values", Message: fmt.Sprintf(
				"%s: the resource instances of this Terraform configuration hold more than %d values, the most lbcheck reads from one root module; %s is the first beyond: %s",
				dir, MaxValues, r.Addr, budgetAdvice)}
		}
	}
	return childeval.Verdict{}
}

// count is the number of values in v, counting at most limit.
func count(v *jsonpos.Value, limit int) int {
	if v == nil || limit <= 0 {
		return 0
	}
	n := 1
	for _, cs := range [][]*jsonpos.Value{v.Members, v.Elems} {
		for _, c := range cs {
			if n += count(c, limit-n); n >= limit {
				return n
			}
		}
	}
	return n
}
