package schema

import (
	"fmt"
	"strings"
	"testing"
)

// TestYAMLLineBreaks loads one deployment written with each line break
// YAML knows: every one loads, and an error on its third line is reported
// on line 3 at the same column, as the YAML parser counts lines.
func TestYAMLLineBreaks(t *testing.T) {
	lines := []string{"vms:", "- name: a", "  networkInterfaces: []", "  bogus: 1", ""}
	for name, br := range map[string]string{
		"LF": "\n", "CRLF": "\r\n", "CR": "\r", "NEL": "\u0085", "LS": "\u2028", "PS": "\u2029",
	} {
		src := strings.Join(lines, br)
		d, issues := load(t, "breaks.yaml", src)
		want := []string{`breaks.yaml:4:3 LB0001 vms.0: unknown field "bogus"`}
		if fmt.Sprint(issues) != fmt.Sprint(want) || len(d.VMs) != 1 || d.VMs[0].Name != "a" {
			t.Errorf("%s: issues %q, VMs %d; want %q and VM a", name, issues, len(d.VMs), want)
		}
	}
	// UTF-16 (PowerShell 5's Out-File) with NEL breaks: decoded first.
	var u16 []byte
	for _, r := range "\ufeff" + strings.Join(lines, "\u0085") {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	if _, issues := load(t, "utf16.yaml", string(u16)); fmt.Sprint(issues) != `[utf16.yaml:4:3 LB0001 vms.0: unknown field "bogus"]` {
		t.Errorf("UTF-16LE: issues %q", issues)
	}
	// A break inside a quoted value is folded, as before.
	d, _ := load(t, "quoted.yaml", "vms:\r- name: \"a\u0085b\"\r  networkInterfaces: []\r")
	if len(d.VMs) != 1 || d.VMs[0].Name != "a b" {
		t.Errorf("quoted name with NEL: %+v", d.VMs)
	}
}

// TestYAMLExpansionLimit: aliases may copy values, up to MaxYAMLExpansion
// bytes in all; beyond, the error is at the alias that crosses the limit.
func TestYAMLExpansionLimit(t *testing.T) {
	big := strings.Repeat("a", 100_000)
	var uses []string
	for range 600 { // 60 MB: under the limit
		uses = append(uses, "*big")
	}
	src := "x-big: &big " + big + "\nx-use: [" + strings.Join(uses, ", ") + "]\nvms: []\n"
	if _, _, err := LoadBytes("under.yaml", []byte(src)); err != nil {
		t.Errorf("600 copies of 100 KB: %v", err)
	}

	// Nested aliases: 16 × 16 × 16 copies of 100 KB, in 400 bytes of aliases.
	src = "x-big: &big " + big + "\n" +
		"x-1: &l1 [" + strings.Repeat("*big, ", 15) + "*big]\n" +
		"x-2: &l2 [" + strings.Repeat("*l1, ", 15) + "*l1]\n" +
		"x-3: [" + strings.Repeat("*l2, ", 15) + "*l2]\n"
	_, _, err := LoadBytes("bomb.yaml", []byte(src))
	// 0.1 + 1.6 + 25.6 MB, then 25.6 MB per *l2: the second crosses 64 MiB.
	col := len("x-3: [") + len("*l2, ") + 1
	want := fmt.Sprintf("bomb.yaml:4:%d: this alias expands the file's YAML to more than 64 MiB", col)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("nested aliases: error %v, want %q...", err, want)
	}

	// A merge key whose alias names a sequence (the CUE library fails on it).
	_, _, err = LoadBytes("merge.yaml", []byte("x-a: &a [1]\nloadBalancers:\n- name: lb\n  <<: [*a]\n"))
	if want := "merge.yaml:4:8: a merge key (<<) takes a mapping or a list of mappings, and *a names a sequence"; err == nil || err.Error() != want {
		t.Errorf("merge of a sequence: error %v, want %q", err, want)
	}

	// An anchor that contains itself is CUE's error, not a hang.
	if got := loadFailure("self.yaml", "a: &a [*a]\n"); !strings.Contains(got, "contains itself") {
		t.Errorf("self-containing anchor: %s", got)
	}
}

// TestJSONUTF16 loads a native JSON file saved as UTF-16 (PowerShell 5's
// Out-File), with the error at its line.
func TestJSONUTF16(t *testing.T) {
	src := "{\"vms\": [\n  {\"name\": \"a\", \"networkInterfaces\": [], \"bogus\": 1}\n]}\n"
	var u16 []byte
	for _, r := range "\ufeff" + src {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	_, issues := load(t, "utf16.json", string(u16))
	if len(issues) != 1 || !strings.HasPrefix(issues[0], "utf16.json:2:") || !strings.Contains(issues[0], `unknown field "bogus"`) {
		t.Errorf("issues %q, want the unknown field on line 2", issues)
	}
}
