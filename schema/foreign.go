package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// deploymentKeys are the top-level keys of a native deployment file.
var deploymentKeys = []string{"loadBalancers", "vms", "guests"}

// NotADeployment says why a YAML or JSON file found in a directory is
// clearly no deployment of lbcheck's (a Kubernetes manifest, a GitHub
// Actions workflow, a Compose file, any document whose top-level keys
// include none of loadBalancers, vms and guests), or returns "" when it may
// be one: a file that does not parse, is empty or is no mapping is left to
// the loader, which says what is wrong with it.
func NotADeployment(filename string, src []byte) string {
	var docs []map[string]string // per document: key -> scalar value ("" if none)
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(unixBreaks(src)))
		for range 64 { // documents looked at; a deployment has its keys in the first
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				break
			}
			if len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
				return ""
			}
			m := n.Content[0]
			doc := map[string]string{}
			for i := 0; i+1 < len(m.Content); i += 2 {
				doc[m.Content[i].Value] = m.Content[i+1].Value
			}
			docs = append(docs, doc)
		}
	case ".json":
		var top map[string]json.RawMessage
		if json.Unmarshal(src, &top) != nil {
			return ""
		}
		doc := map[string]string{}
		for k, v := range top {
			var s string
			_ = json.Unmarshal(v, &s)
			doc[k] = s
		}
		docs = append(docs, doc)
	}
	if len(docs) == 0 {
		return ""
	}
	for _, d := range docs {
		if len(d) == 0 {
			return ""
		}
		for _, k := range deploymentKeys {
			if _, ok := d[k]; ok {
				return ""
			}
		}
	}
	d := docs[0]
	_, apiVersion := d["apiVersion"]
	_, jobs := d["jobs"]
	_, on := d["on"]
	_, services := d["services"]
	switch {
	case apiVersion && d["kind"] != "":
		return fmt.Sprintf("a Kubernetes manifest (kind: %s)", d["kind"])
	case jobs && on:
		return "a GitHub Actions workflow"
	case services:
		return "a Compose file"
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 5 {
		keys = append(keys[:5], "...")
	}
	return fmt.Sprintf("its top-level keys (%s) are none of %s", strings.Join(keys, ", "), strings.Join(deploymentKeys, ", "))
}
