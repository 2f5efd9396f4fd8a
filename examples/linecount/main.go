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
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// An example is a directory with model, client and server packages, and
// the entities it declares, each with the stem its names contain.
type example struct {
	dir      string
	parts    [3]string // the schema, client and server packages, in order
	entities [][2]string
}

var examples = []example{
	{dir: "examples/todo", parts: [3]string{"model", "client", "backend"}, entities: [][2]string{{"lists", "List"}, {"todos", "Todo"}}},
	{dir: "examples/projects", parts: [3]string{"model", "client", "backend"}, entities: [][2]string{{"projects", "Project"}}},
}

// A Count is the lines of one entity: schema, client, server.
type Count struct {
	Example, Entity string
	Lines           [3]int
}

// Total is the entity's lines in all.
func (c Count) Total() int { return c.Lines[0] + c.Lines[1] + c.Lines[2] }

func main() {
	counts, glue, err := countAll(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "linecount:", err)
		os.Exit(1)
	}
	fmt.Print(table(counts, glue))
}

// countAll counts every example under root.
func countAll(root string) ([]Count, map[string]int, error) {
	var out []Count
	glue := map[string]int{}
	for _, ex := range examples {
		per := make(map[string]*Count)
		for _, e := range ex.entities {
			per[e[0]] = &Count{Example: ex.dir, Entity: e[0]}
		}
		for i, part := range ex.parts {
			files, err := filepath.Glob(filepath.Join(root, ex.dir, part, "*.go"))
			if err != nil {
				return nil, nil, err
			}
			for _, f := range files {
				if strings.HasSuffix(f, "_test.go") {
					continue
				}
				lines, err := attribute(f, ex.entities)
				if err != nil {
					return nil, nil, err
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
			out = append(out, *per[e[0]])
		}
	}
	return out, glue, nil
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
func table(counts []Count, glue map[string]int) string {
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
	return b.String()
}
