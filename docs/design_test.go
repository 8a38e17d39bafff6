// Package docs checks that the living design (DESIGN.md) stays true to the
// code: the sections the code cites exist, and the import rules it states
// are the imports the packages have.
package docs

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the repository, seen from this package's directory.
const root = ".."

// sections returns the section numbers of DESIGN.md's headings ("6",
// "6.1") and the file's text.
func sections(t *testing.T) (map[string]bool, string) {
	t.Helper()
	raw, err := os.ReadFile("DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`(?m)^#{2,4} (\d+(?:\.\d+)*)\.? `)
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = true
	}
	if len(out) < 10 {
		t.Fatalf("DESIGN.md has %d numbered sections; the headings are not where this test looks", len(out))
	}
	return out, string(raw)
}

// TestCitationsNameSectionsThatExist checks every "docs/DESIGN.md §n" in the
// Go code and the README, and every "§n" inside DESIGN.md, against its
// headings, and that nothing cites a DESIGN.md outside docs/ (the starting
// design, which is not in the repository).
func TestCitationsNameSectionsThatExist(t *testing.T) {
	have, design := sections(t)
	citation := regexp.MustCompile(`docs/DESIGN\.md((?: ?,? ?§\d+(?:\.\d+)*)+)`)
	number := regexp.MustCompile(`§(\d+(?:\.\d+)*)`)
	stray := regexp.MustCompile(`(^|[^/])DESIGN\.md ?§`)
	cited := 0
	check := func(where, text string, all bool) {
		for _, m := range citation.FindAllStringSubmatch(text, -1) {
			for _, n := range number.FindAllStringSubmatch(m[1], -1) {
				cited++
				if !have[strings.TrimSuffix(n[1], ".")] {
					t.Errorf("%s cites docs/DESIGN.md §%s, which has no such section", where, n[1])
				}
			}
		}
		if all {
			for _, n := range number.FindAllStringSubmatch(text, -1) {
				if !have[strings.TrimSuffix(n[1], ".")] {
					t.Errorf("%s refers to §%s, which has no such section", where, n[1])
				}
			}
		}
		if stray.MatchString(text) {
			t.Errorf("%s cites a section of a DESIGN.md other than docs/DESIGN.md, the design in the repository", where)
		}
	}
	check("DESIGN.md", design, true)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || path == filepath.Join(root, "README.md")) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for line := 1; sc.Scan(); line++ {
			check(path+":"+strconv.Itoa(line), sc.Text(), false)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited < 10 {
		t.Errorf("found %d citations of docs/DESIGN.md sections; the code cites more", cited)
	}
}

// TestImportRulesAreTheImports checks the table of §3 against the imports
// of every package of the module (test files aside): each package is in
// the table, with exactly the project packages it imports.
func TestImportRulesAreTheImports(t *testing.T) {
	_, design := sections(t)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module (\S+)`).FindSubmatch(gomod)
	if module == nil {
		t.Fatal("go.mod names no module")
	}
	prefix := string(module[1]) + "/"

	// The rows of the table: | `a`, `b` | `x`, `y` (why) |.
	row := regexp.MustCompile("(?m)^\\| (`[^|]+`) \\| ([^|]+) \\|$")
	code := regexp.MustCompile("`([a-z/]+)`")
	want := map[string][]string{}
	wires := map[string]bool{} // "everything it wires": checked only for being listed
	for _, m := range row.FindAllStringSubmatch(design, -1) {
		imports := []string{}
		for _, c := range code.FindAllStringSubmatch(m[2], -1) {
			imports = append(imports, c[1])
		}
		everything := strings.Contains(m[2], "everything")
		if len(imports) == 0 && !everything && !strings.Contains(m[2], "nothing of the project") {
			continue // another table
		}
		slices.Sort(imports)
		for _, c := range code.FindAllStringSubmatch(m[1], -1) {
			want[c[1]] = imports
			wires[c[1]] = everything
		}
	}
	if len(want) < 10 {
		t.Fatalf("found %d packages in the import table of §3", len(want))
	}

	got := map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root || d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		dir = filepath.ToSlash(dir)
		if _, ok := got[dir]; !ok {
			got[dir] = []string{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rest, ok := strings.CutPrefix(p, prefix); ok && !slices.Contains(got[dir], rest) {
				got[dir] = append(got[dir], rest)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, imports := range got {
		slices.Sort(imports)
		w, listed := want[pkg]
		switch {
		case !listed:
			t.Errorf("package %s is not in the import table of docs/DESIGN.md §3 (it imports %q)", pkg, imports)
		case !wires[pkg] && !slices.Equal(w, imports):
			t.Errorf("package %s imports %q; docs/DESIGN.md §3 says %q", pkg, imports, w)
		}
	}
	for pkg := range want {
		if _, ok := got[pkg]; !ok {
			t.Errorf("docs/DESIGN.md §3 lists %s, which is not a package", pkg)
		}
	}
}
