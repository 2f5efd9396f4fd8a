// Command wasmsize prints the download size of WebAssembly builds: raw,
// gzip (level 9) and brotli (quality 11, as cmd/precompress serves them),
// as a Markdown table, with each build's budget when it has one. make size
// builds the modules and runs it; a build over its budget makes it exit 1.
//
//	wasmsize name=path[@budget] ...
//
// A budget is a number of bytes (@1000000), or a ratio of an earlier
// build's brotli size (@1.15x:hello: at most 1.15 times the build named
// hello).
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize name=path[@budget] ...")
		os.Exit(2)
	}
	table, over, err := report(os.Args[1:], os.ReadFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmsize:", err)
		os.Exit(2)
	}
	fmt.Print(table)
	if over {
		os.Exit(1)
	}
}

// report measures each build and says whether one is over its budget.
func report(args []string, read func(string) ([]byte, error)) (table string, over bool, err error) {
	var out strings.Builder
	out.WriteString("| build | raw | gzip -9 | brotli -11 | budget (brotli) |\n|---|---:|---:|---:|---|\n")
	brotlis := map[string]int{}
	for _, arg := range args {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			return "", false, fmt.Errorf("want name=path[@budget], not %q", arg)
		}
		path, budgetText, _ := strings.Cut(path, "@")
		b, err := read(path)
		if err != nil {
			return "", false, err
		}
		gz, br := compressed(b)
		brotlis[name] = br
		verdict := "—"
		if budgetText != "" {
			budget, what, base, err := parseBudget(budgetText, brotlis)
			if err != nil {
				return "", false, fmt.Errorf("%s: %w", name, err)
			}
			mark := "✓"
			if br > budget {
				mark, over = "✗", true
			}
			verdict = "≤ " + what + " " + mark
			if base > 0 {
				verdict += fmt.Sprintf(" (%.2f×)", float64(br)/float64(base))
			}
		}
		fmt.Fprintf(&out, "| %s | %s | %s | %s | %s |\n", name, group(len(b)), group(gz), group(br), verdict)
	}
	return out.String(), over, nil
}

// parseBudget reads "1000000" or "1.15x:hello", the latter against the
// brotli sizes measured so far; base is the named build's size.
func parseBudget(s string, brotlis map[string]int) (budget int, what string, base int, err error) {
	if ratio, name, ok := strings.Cut(s, "x:"); ok {
		r, err := strconv.ParseFloat(ratio, 64)
		if err != nil || r <= 0 {
			return 0, "", 0, fmt.Errorf("budget %q: want a ratio such as 1.15x:hello", s)
		}
		base, ok := brotlis[name]
		if !ok {
			return 0, "", 0, fmt.Errorf("budget %q: no earlier build is named %q", s, name)
		}
		budget = int(r * float64(base))
		return budget, fmt.Sprintf("%s× %s = %s", ratio, name, group(budget)), base, nil
	}
	budget, err = strconv.Atoi(s)
	if err != nil || budget <= 0 {
		return 0, "", 0, fmt.Errorf("budget %q: want bytes, or a ratio such as 1.15x:hello", s)
	}
	return budget, group(budget), 0, nil
}

func compressed(b []byte) (gz, br int) {
	var g, r bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&g, gzip.BestCompression)
	_, _ = gw.Write(b)
	_ = gw.Close()
	bw := brotli.NewWriterLevel(&r, 11)
	_, _ = bw.Write(b)
	_ = bw.Close()
	return g.Len(), r.Len()
}

// group writes n with thousands separators.
func group(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
