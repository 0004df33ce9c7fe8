package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Limits of one Bicep compilation (variables so that tests can lower them).
var (
	bicepTimeout = 2 * time.Minute
	// maxCompiled is the most ARM JSON a compiler may print.
	maxCompiled = 64 << 20
	// stderrTail is how much of the compiler's standard error an error
	// message quotes, from its end.
	stderrTail = 4 << 10
)

// bicepCompilers are the commands that print the ARM template of a .bicep
// file on standard output, in the order they are looked for on PATH.
var bicepCompilers = []struct {
	name string
	args func(file string) []string
}{
	{"bicep", func(file string) []string { return []string{"build", "--stdout", file} }},
	{"az", func(file string) []string { return []string{"bicep", "build", "--file", file, "--stdout"} }},
}

// bicepFormat is the format of a Bicep file by its extension, or "".
func bicepFormat(file string) Format {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".bicep":
		return Bicep
	case ".bicepparam":
		return BicepParameters
	}
	return ""
}

// jsonName is the file `bicep build` writes for file: main.bicep → main.json.
func jsonName(file string) string {
	return strings.TrimSuffix(file, filepath.Ext(file)) + ".json"
}

// importBicep compiles the .bicep file (read from disk, so that its
// modules resolve; src is its content) and imports the template it
// compiles to as an ARM template, parameters included. Every position that
// points into the compiled JSON is moved to the .bicep file (see bicepMap).
func importBicep(file string, src []byte, opts Options) (*build.Result, error) {
	compiled, cmdline, err := compileBicep(file)
	if err != nil {
		return nil, err
	}
	// A name of its own, so that only positions in the compiled JSON move.
	name := file + " (compiled)"
	m, err := newBicepMap(src, compiled)
	if err != nil {
		return nil, fmt.Errorf("%s:%w (in the ARM JSON that `%s` printed)", name, err, cmdline)
	}
	r, err := arm.Import(name, compiled, arm.Options{Parameters: opts.Parameters, ParametersFile: opts.ParametersFile})
	if err != nil {
		return nil, fmt.Errorf("%w (in the ARM JSON that `%s` printed)", err, cmdline)
	}
	move := func(p schema.Pos) schema.Pos {
		switch {
		case p.File != name:
			return p
		case !p.IsValid():
			return schema.Pos{File: file}
		}
		q := m.pos(jsonpos.Pos{Line: p.Line, Col: p.Column})
		return schema.Pos{File: file, Line: q.Line, Column: q.Col}
	}
	r.File = file
	schema.Walk(r.Deployment, func(n *schema.Node) { n.MovePositions(move) })
	for _, p := range r.Pending {
		p.Member.MovePositions(move)
	}
	for i := range r.Issues {
		r.Issues[i].Pos = move(r.Issues[i].Pos)
	}
	for i := range r.NotDeployed {
		r.NotDeployed[i].Pos = move(r.NotDeployed[i].Pos)
	}
	return r, nil
}

// compileBicep runs the first Bicep compiler on PATH on file and returns
// the JSON it printed and the command line, for messages.
func compileBicep(file string) (compiled []byte, cmdline string, err error) {
	arg := file
	if strings.HasPrefix(arg, "-") { // not an option
		arg = "." + string(filepath.Separator) + arg
	}
	for _, c := range bicepCompilers {
		path, err := exec.LookPath(c.name)
		if err != nil {
			continue
		}
		args := c.args(arg)
		cmdline = strings.Join(append([]string{c.name}, args...), " ")
		out, err := runCompiler(path, args)
		if err != nil {
			return nil, cmdline, fmt.Errorf("%s: `%s` %w", file, cmdline, err)
		}
		return out, cmdline, nil
	}
	return nil, "", fmt.Errorf("%s: lbcheck reads Bicep through the Bicep CLI, which is not on PATH (nor is az): "+
		"install it (https://aka.ms/bicep-install) or run 'bicep build %s' and lint %s", file, file, jsonName(file))
}

// runCompiler runs a compiler without a shell, within bicepTimeout, and returns
// its standard output; the error quotes the end of its standard error.
func runCompiler(path string, args []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), bicepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	stdout := &cappedBuffer{max: maxCompiled, full: cancel}
	stderr := &tailBuffer{max: stderrTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 5 * time.Second // a grandchild holding the pipes (az runs bicep) cannot stall us
	err := cmd.Run()
	switch {
	case stdout.overflow:
		size := fmt.Sprintf("%d bytes", maxCompiled)
		if maxCompiled >= 1<<20 {
			size = fmt.Sprintf("%d MiB", maxCompiled>>20)
		}
		return nil, fmt.Errorf("printed more than %s of JSON, the most lbcheck reads", size)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("did not finish within %v%s", bicepTimeout, stderr.quote())
	case err != nil:
		return nil, fmt.Errorf("failed (%v)%s", err, stderr.quote())
	}
	return stdout.buf.Bytes(), nil
}

// cappedBuffer keeps up to max bytes; one more fails the write and calls
// full, which stops the writer. (It has no ReadFrom, which would let
// io.Copy go around the cap.)
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	full     func()
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.overflow = true
		b.full()
		return 0, errors.New("output too large")
	}
	return b.buf.Write(p)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf  []byte
	max  int
	lost bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.lost = true
	}
	return len(p), nil
}

// quote renders what was kept as the indented end of an error message:
// ":\n    line\n    line", or ", with nothing on standard error".
func (b *tailBuffer) quote() string {
	text := string(b.buf)
	if b.lost { // start at a whole line
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		}
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return ", with nothing on standard error"
	}
	intro := ":"
	if b.lost {
		intro = "; the end of its standard error:"
	}
	return intro + "\n    " + strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\n    ")
}
