package schema

import (
	"strings"
	"testing"
)

func TestNotADeployment(t *testing.T) {
	for _, tt := range []struct {
		file, src, want string // want: part of the reason; "" = may be a deployment
	}{
		{"svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n", "Kubernetes manifest (kind: Service)"},
		{"multi.yaml", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: apps/v1\nkind: Deployment\n", "kind: ConfigMap"},
		{"ci.yml", "name: ci\non: [push]\njobs:\n  test: {runs-on: ubuntu-latest}\n", "GitHub Actions workflow"},
		{"docker-compose.yml", "services:\n  web: {image: nginx}\n", "Compose file"},
		{"package.json", `{"name": "x", "version": "1.0.0", "scripts": {}}`, "top-level keys (name, scripts, version) are none of loadBalancers"},
		{"lb.yaml", "loadBalancers:\n- name: a\n", ""},
		{"guests.json", `{"guests": []}`, ""},
		{"mixed.yaml", "apiVersion: v1\nkind: Service\n---\nvms: []\n", ""},
		{"misspelled.yaml", "loadbalancers: []\n", "top-level keys (loadbalancers)"},
		{"empty.yaml", "", ""},
		{"list.yaml", "- a\n- b\n", ""},
		{"broken.yaml", "a: [x\n", ""},
		{"broken.json", "{", ""},
		{"anchors.yaml", "x-base: &b {sku: Standard}\nloadBalancers: [{<<: *b, name: a}]\n", ""},
	} {
		got := NotADeployment(tt.file, []byte(tt.src))
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.file, got, tt.want)
		}
	}
}
