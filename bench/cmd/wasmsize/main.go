// Command wasmsize prints the download size of WebAssembly builds: raw,
// gzip (level 9) and brotli (quality 11, as cmd/precompress serves them),
// as a Markdown table, with each build's budget when it has one. make size
// builds the modules and runs it; a build over its budget makes it exit 1.
//
//	wasmsize name=path[@budget-bytes] ...
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
		fmt.Fprintln(os.Stderr, "usage: wasmsize name=path[@budget-bytes] ...")
		os.Exit(2)
	}
	over := false
	fmt.Println("| build | raw | gzip -9 | brotli -11 | budget (brotli) |")
	fmt.Println("|---|---:|---:|---:|---|")
	for _, arg := range os.Args[1:] {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "wasmsize: want name=path[@budget]:", arg)
			os.Exit(2)
		}
		path, budgetText, _ := strings.Cut(path, "@")
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wasmsize:", err)
			os.Exit(1)
		}
		var gz, br bytes.Buffer
		gw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = gw.Write(b)
		_ = gw.Close()
		bw := brotli.NewWriterLevel(&br, 11)
		_, _ = bw.Write(b)
		_ = bw.Close()
		verdict := "—"
		if budgetText != "" {
			budget, err := strconv.Atoi(budgetText)
			if err != nil {
				fmt.Fprintln(os.Stderr, "wasmsize: budget:", err)
				os.Exit(2)
			}
			verdict = "≤ " + group(budget) + " ✓"
			if br.Len() > budget {
				verdict = "≤ " + group(budget) + " ✗"
				over = true
			}
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", name, group(len(b)), group(gz.Len()), group(br.Len()), verdict)
	}
	if over {
		os.Exit(1)
	}
}

// group writes n with thousands separators.
func group(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
