// Command linecount counts the Go an app writes for each entity of the
// examples — its schema (the shared model package), its client and its
// server — so that the README's table cannot drift from the code:
//
//	go run ./examples/linecount
//
// A line counts when it holds code: blank lines, comments, package clauses
// and imports do not. It belongs to an entity when it sits in a top-level
// declaration whose name names the entity (List, Lists, RenameList,
// NewLists), or else when it names the entity itself — to each entity it
// names; lines that name none are the example's shared glue, counted apart.
// A feature built on the entities rather than one of them — the todo
// example's signed-in demo, with its boards, shares and sign-in — has files
// of its own, counted in a row of its own and not held to the entity bound.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// An example is a directory with model, client and server packages, and
// the entities it declares, each with the stem its names contain.
type example struct {
	dir      string
	parts    [3]string // the schema, client and server packages, in order
	entities [][2]string
	features []feature
}

// A feature is counted apart from the entities: its files, by base name,
// whichever part they sit in.
type feature struct {
	name  string
	files []string
}

var examples = []example{
	{dir: "examples/todo", parts: [3]string{"model", "client", "backend"}, entities: [][2]string{{"lists", "List"}, {"todos", "Todo"}},
		features: []feature{{name: "signed-in demo: boards, shares, sign-in", files: []string{"boards.go", "session.go", "demo.go"}}}},
	{dir: "examples/projects", parts: [3]string{"model", "client", "backend"}, entities: [][2]string{{"projects", "Project"}}},
}

// A Count is the lines of one entity (or feature): schema, client, server.
type Count struct {
	Example, Entity string
	Lines           [3]int
}

// Total is the entity's lines in all.
func (c Count) Total() int { return c.Lines[0] + c.Lines[1] + c.Lines[2] }

func main() {
	counts, features, glue, err := countAll(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "linecount:", err)
		os.Exit(1)
	}
	fmt.Print(table(counts, features, glue))
}

// countAll counts every example under root: its entities, its features
// and its glue.
func countAll(root string) (entities, features []Count, glue map[string]int, err error) {
	glue = map[string]int{}
	for _, ex := range examples {
		per := make(map[string]*Count)
		for _, e := range ex.entities {
			per[e[0]] = &Count{Example: ex.dir, Entity: e[0]}
		}
		feat := make([]Count, len(ex.features))
		for i, ft := range ex.features {
			feat[i] = Count{Example: ex.dir, Entity: ft.name}
		}
		for i, part := range ex.parts {
			files, err := filepath.Glob(filepath.Join(root, ex.dir, part, "*.go"))
			if err != nil {
				return nil, nil, nil, err
			}
		files:
			for _, f := range files {
				if strings.HasSuffix(f, "_test.go") {
					continue
				}
				for j, ft := range ex.features {
					if slices.Contains(ft.files, filepath.Base(f)) {
						n, err := countFile(f)
						if err != nil {
							return nil, nil, nil, err
						}
						feat[j].Lines[i] += n
						continue files
					}
				}
				lines, err := attribute(f, ex.entities)
				if err != nil {
					return nil, nil, nil, err
				}
				for entity, n := range lines {
					if entity == "" {
						glue[ex.dir] += n
						continue
					}
					per[entity].Lines[i] += n
				}
			}
		}
		for _, e := range ex.entities {
			entities = append(entities, *per[e[0]])
		}
		features = append(features, feat...)
	}
	return entities, features, glue, nil
}

// countFile returns the code lines of file outside its imports.
func countFile(file string) (int, error) {
	lines, err := attribute(file, nil)
	return lines[""], err
}

// attribute returns, by entity ("" for none), the code lines of file.
func attribute(file string, entities [][2]string) (map[string]int, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	named := func(s string) []string {
		var out []string
		for _, e := range entities {
			if strings.Contains(s, e[1]) {
				out = append(out, e[0])
			}
		}
		return out
	}
	code := codeLines(fset, f, src)
	out := map[string]int{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			continue
		}
		owner := named(strings.Join(declNames(d), " "))
		first, last := fset.Position(d.Pos()).Line, fset.Position(d.End()).Line
		for l := first; l <= last; l++ {
			if !code[l] {
				continue
			}
			who := owner
			if len(who) == 0 {
				who = named(lineText(src, l))
			}
			if len(who) == 0 {
				out[""]++
			}
			for _, w := range who {
				out[w]++
			}
		}
	}
	return out, nil
}

// declNames returns the names a top-level declaration declares.
func declNames(d ast.Decl) []string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return []string{d.Name.Name}
	case *ast.GenDecl:
		var names []string
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				names = append(names, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
			}
		}
		return names
	}
	return nil
}

// codeLines reports which lines hold something other than comments.
func codeLines(fset *token.FileSet, f *ast.File, src []byte) map[int]bool {
	comment := map[int]bool{}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			for l := fset.Position(c.Pos()).Line; l <= fset.Position(c.End()).Line; l++ {
				comment[l] = true
			}
		}
	}
	out := map[int]bool{}
	for i, line := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || comment[i+1] && (strings.HasPrefix(t, "//") || strings.HasPrefix(t, "/*") || strings.HasPrefix(t, "*")) {
			continue
		}
		out[i+1] = true
	}
	return out
}

func lineText(src []byte, n int) string {
	lines := strings.Split(string(src), "\n")
	if n-1 < len(lines) {
		return lines[n-1]
	}
	return ""
}

// table renders the counts as the README's Markdown table.
func table(counts, features []Count, glue map[string]int) string {
	var b strings.Builder
	b.WriteString("| example | entity | schema | client | server | total |\n|---|---|---:|---:|---:|---:|\n")
	for _, c := range counts {
		fmt.Fprintf(&b, "| `%s` | %s | %d | %d | %d | **%d** |\n", c.Example, c.Entity, c.Lines[0], c.Lines[1], c.Lines[2], c.Total())
	}
	var dirs []string
	for d := range glue {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		fmt.Fprintf(&b, "| `%s` | shared glue (no entity named) | | | | %d |\n", d, glue[d])
	}
	for _, c := range features {
		fmt.Fprintf(&b, "| `%s` | *%s* | %d | %d | %d | %d |\n", c.Example, c.Entity, c.Lines[0], c.Lines[1], c.Lines[2], c.Total())
	}
	return b.String()
}
