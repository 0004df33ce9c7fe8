package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

func TestSchemaCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"schema"}, &out, &errOut); code != exitOK {
		t.Fatalf("lbcheck schema: exit %d, stderr %q", code, errOut.String())
	}
	if out.String() != schema.SchemaSource() {
		t.Errorf("lbcheck schema printed %d bytes, want the %d bytes of schema.SchemaSource()", out.Len(), len(schema.SchemaSource()))
	}
	for _, def := range []string{"#Deployment:", "#Rule:", "#Guest:"} {
		if !strings.Contains(out.String(), def) {
			t.Errorf("lbcheck schema output lacks %s", def)
		}
	}
}

func TestSchemaCommandUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"schema", "extra"}, &out, &errOut); code != exitUsage {
		t.Errorf("lbcheck schema extra: exit %d, want %d", code, exitUsage)
	}
	out.Reset()
	if code := run([]string{"schema", "--help"}, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "cue vet") {
		t.Errorf("lbcheck schema --help: exit %d, output %q; want 0 and an example with cue vet", code, out.String())
	}
}
