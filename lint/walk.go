package lint

import (
	"path/filepath"
	"slices"

	"github.com/lbcheck/lbcheck/schema"
)

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
	schema.Walk(d, func(n *schema.Node) { add(n.Pos()) })
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

// add indexes the objects of d.
func (idx objectIndex) add(d *schema.Deployment) {
	schema.Walk(d, func(n *schema.Node) {
		p := n.Pos()
		if !p.IsValid() || n.Path() == "" {
			return
		}
		f := filepath.Clean(p.File)
		if idx[f] == nil {
			idx[f] = map[int][]string{}
		}
		idx[f][p.Line] = append(idx[f][p.Line], n.Path())
	})
}
