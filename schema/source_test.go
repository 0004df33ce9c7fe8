package schema_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/lbcheck/lbcheck/schema"
)

// TestSchemaSourceStandalone validates the fixtures against SchemaSource
// with nothing but the CUE API, as `cue vet -c -d '#Deployment'` does: the
// printed schema works on its own, valid fixtures pass it whole, and
// invalid ones fail it.
func TestSchemaSourceStandalone(t *testing.T) {
	ctx := cuecontext.New()
	v := ctx.CompileString(schema.SchemaSource(), cue.Filename("schema.cue"))
	if err := v.Err(); err != nil {
		t.Fatalf("SchemaSource does not compile: %v", err)
	}
	def := v.LookupPath(cue.ParsePath("#Deployment"))
	vet := func(file string) error {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := cueyaml.NewDecoder(file, bytes.NewReader(src))
		for {
			expr, err := dec.Extract()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			doc := ctx.BuildExpr(expr)
			if doc.IncompleteKind() != cue.StructKind {
				continue // not a mapping: the loader reports that itself
			}
			if err := def.Unify(doc).Validate(cue.Concrete(true)); err != nil {
				return err
			}
		}
	}
	valid, _ := filepath.Glob("../fixtures/schema/valid/*.yaml")
	for _, f := range valid {
		if err := vet(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, f := range []string{"../fixtures/schema/invalid/values.yaml", "../fixtures/schema/invalid/structure.yaml", "../fixtures/schema/invalid/guest.yaml"} {
		if err := vet(f); err == nil {
			t.Errorf("%s passes the schema", f)
		}
	}
}
