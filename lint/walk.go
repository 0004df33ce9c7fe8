package lint

import (
	"path/filepath"
	"reflect"
	"slices"

	"github.com/lbcheck/lbcheck/schema"
)

// positioned is what every model object gets from its embedded schema.Node.
type positioned interface {
	Pos() schema.Pos
	Path() string
}

// walkObjects calls visit for every model object in d (load balancers and
// their children, VMs, guests, ...). It walks exported struct, pointer and
// slice fields, so new model types are covered without changes here.
func walkObjects(d *schema.Deployment, visit func(positioned)) {
	if d != nil {
		walkValue(reflect.ValueOf(d).Elem(), visit)
	}
}

func walkValue(v reflect.Value, visit func(positioned)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if p, ok := v.Interface().(positioned); ok {
			visit(p)
		}
		walkValue(v.Elem(), visit)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && !f.Anonymous {
				walkValue(v.Field(i), visit)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkValue(v.Index(i), visit)
		}
	}
}

// Files returns the files the deployment and the schema issues came from,
// sorted and without duplicates: the files a lint run covered, whose
// sources Run needs to honour suppressions.
func Files(d *schema.Deployment, issues []schema.Issue) []string {
	seen := map[string]bool{}
	add := func(p schema.Pos) {
		if p.File != "" {
			seen[p.File] = true
		}
	}
	walkObjects(d, func(o positioned) { add(o.Pos()) })
	for _, is := range issues {
		add(is.Pos)
	}
	files := make([]string, 0, len(seen))
	for f := range seen {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}

// objectIndex maps a file and line to the paths of the objects that start
// there, so that a directive above an object covers findings anywhere in it.
type objectIndex map[string]map[int][]string

func indexObjects(d *schema.Deployment) objectIndex {
	idx := objectIndex{}
	walkObjects(d, func(o positioned) {
		p := o.Pos()
		if !p.IsValid() || o.Path() == "" {
			return
		}
		f := filepath.Clean(p.File)
		if idx[f] == nil {
			idx[f] = map[int][]string{}
		}
		idx[f][p.Line] = append(idx[f][p.Line], o.Path())
	})
	return idx
}
