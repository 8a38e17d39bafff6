package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEConfigurationTable keeps the README's Configuration table and
// the declared settings in step: every setting has its row, with its
// variable, flag and default, and every row is a setting.
func TestREADMEConfigurationTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "\n## Configuration\n")
	if start < 0 {
		t.Fatal("README has no Configuration section")
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	type row struct{ env, flag, def string }
	var rows []row
	header := false
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			t.Fatalf("table row with %d cells, want 4: %s", len(cells), line)
		}
		if !header {
			header = true // the column names
			continue
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		none := func(s string) string {
			if s == "—" {
				return ""
			}
			return s
		}
		rows = append(rows, row{env: strings.Trim(none(cells[0]), "`"), flag: strings.Trim(none(cells[1]), "`"), def: none(cells[2])})
	}
	documented := map[string]row{}
	for _, r := range rows {
		key := r.env + " " + r.flag
		if _, dup := documented[key]; dup {
			t.Errorf("README lists %s twice", key)
		}
		documented[key] = r
	}
	for _, d := range Docs() {
		key := d.Env + " " + d.Flag
		r, ok := documented[key]
		if !ok {
			t.Errorf("README's Configuration table lacks %s (flag %q); its row: | %s | %s | %s | … |",
				d.Env, d.Flag, orDash("`"+d.Env+"`", d.Env), orDash("`"+d.Flag+"`", d.Flag), orDash(d.Default, d.Default))
			continue
		}
		delete(documented, key)
		if r.def != d.Default {
			t.Errorf("README gives %s the default %q, the code %q", key, r.def, d.Default)
		}
		if d.Secret && d.Flag != "" {
			t.Errorf("secret %s has a flag", d.Env)
		}
	}
	for key := range documented {
		t.Errorf("README's Configuration table lists %q, which is no setting", key)
	}
}

func orDash(s, v string) string {
	if v == "" {
		return "—"
	}
	return s
}
