package schema

import (
	"fmt"
	"reflect"
	"sync"
)

// defaults caches, per model type, the schema's default of each field.
var defaults sync.Map // reflect.Type -> []fieldDefault

type fieldDefault struct {
	index int
	value reflect.Value
}

// Defaults sets every field of *obj that has a default in the embedded
// schema to that default and returns obj: a probe's interval of 15 s and
// threshold of 1, a rule's idle timeout of 4 minutes and load distribution
// Default, and so on. They are Azure's values for properties a template or
// plan omits, so importers start each object they build from them, as the
// loader does for fields a native file leaves out; the schema is the one
// place they are written. No field position is recorded, so Node.Has still
// tells a default from a value the user wrote. T must be a model type;
// Defaults panics otherwise, which the package's tests would show.
func Defaults[T any](obj *T) *T {
	t := reflect.TypeFor[T]()
	fds, ok := defaults.Load(t)
	if !ok {
		fds = typeDefaults(t)
		defaults.Store(t, fds)
	}
	v := reflect.ValueOf(obj).Elem()
	for _, fd := range fds.([]fieldDefault) {
		v.Field(fd.index).Set(fd.value)
	}
	return obj
}

func typeDefaults(t reflect.Type) []fieldDefault {
	c, err := acquire()
	if err != nil {
		panic(err) // the embedded schema does not compile: TestSchema fails
	}
	defer release(c)
	def := c.defs[t]
	if def == nil {
		panic(fmt.Sprintf("schema.Defaults: %v is not a model type", t))
	}
	var fds []fieldDefault
	for _, name := range def.names {
		if fi := def.fields[name]; fi.goIndex >= 0 && fi.dflt.IsValid() {
			fds = append(fds, fieldDefault{fi.goIndex, fi.dflt})
		}
	}
	return fds
}
