package expr

import "fmt"

// The limits of one import. A template that needs more is not something
// Azure would deploy (ARM allows 800 copies per loop, 4 MB of template and
// strings far below these sizes), so exceeding one stops the import with
// an error naming the limit and where it was reached.
const (
	// MaxSteps bounds the expressions, calls and JSON values evaluated
	// (the largest quickstart template takes about 3,000).
	MaxSteps = 1_000_000
	// MaxBytes bounds the memory the values produced take, roughly: the
	// length of each string and valueCost bytes per value.
	MaxBytes = 32 << 20
	// MaxString bounds the length of one string.
	MaxString = 4 << 20
	// MaxDepth bounds how deeply evaluations nest (variables referring to
	// variables, user-defined functions, lambdas).
	MaxDepth = 64
	// MaxCopy is ARM's limit on one copy loop's count.
	MaxCopy = 800
	// MaxRange is ARM's limit on range()'s count.
	MaxRange = 10000
)

// valueCost is what one value is charged, in bytes: about what it takes
// with its share of the slices that hold it.
const valueCost = 128

// Budget is what the evaluations of one import may still spend.
type Budget struct {
	steps, bytes int64
	err          *LimitError
}

// LimitError says which limit an import exceeded and where.
type LimitError struct {
	At  Pos
	Msg string
}

func (e *LimitError) Error() string { return e.At.String() + ": " + e.Msg }

// NewBudget returns a budget of the default limits.
func NewBudget() *Budget { return &Budget{steps: MaxSteps, bytes: MaxBytes} }

// Err returns the first limit exceeded, or nil.
func (b *Budget) Err() error {
	if b.err == nil {
		return nil
	}
	return b.err
}

// exceed records that a limit was reached at at and returns the Unknown
// value evaluation continues with (it unwinds quickly: every later charge
// fails too).
func (b *Budget) exceed(msg string, at Pos) *Value {
	if b.err == nil {
		b.err = &LimitError{At: at, Msg: msg}
		b.steps, b.bytes = 0, 0
	}
	return NewUnknown("lbcheck's evaluation limit was reached: "+b.err.Msg, at)
}

// charge spends steps and the cost of values; it returns nil, or the
// Unknown value to return when the budget is spent.
func (ev *Evaluator) charge(steps int64, at Pos) *Value {
	b := ev.Budget
	b.steps -= steps
	if b.steps < 0 || b.err != nil {
		return b.exceed(fmt.Sprintf("more than %d evaluation steps", MaxSteps), at)
	}
	return nil
}

// alloc charges the memory of n values and bytes of text.
func (ev *Evaluator) alloc(values, bytes int, at Pos) *Value {
	b := ev.Budget
	b.bytes -= int64(values)*valueCost + int64(bytes)
	if b.bytes < 0 || b.err != nil {
		return b.exceed(fmt.Sprintf("more than %d MiB of values", MaxBytes>>20), at)
	}
	return nil
}

// str returns a known string, charging its length.
func (ev *Evaluator) str(s string, at Pos) *Value {
	if len(s) > MaxString {
		return ev.Budget.exceed(fmt.Sprintf("a string longer than %d MiB", MaxString>>20), at)
	}
	if v := ev.alloc(1, len(s), at); v != nil {
		return v
	}
	return NewString(s, at)
}

// checkLen reports an Unknown when a string of length n would be too long,
// before it is built.
func (ev *Evaluator) checkLen(n int, at Pos) *Value {
	if n > MaxString || n < 0 {
		return ev.Budget.exceed(fmt.Sprintf("a string longer than %d MiB", MaxString>>20), at)
	}
	return nil
}
