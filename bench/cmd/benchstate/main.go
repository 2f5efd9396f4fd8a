// Command benchstate runs the SIGNALS.md benchmark shapes of pkg/state
// natively and in the WASM build under Node, in one sitting, and prints them
// side by side. With -js it also runs the JavaScript reference harness
// (alien-signals and MobX) in the same sitting and adds ratio columns. The
// sides take turns, round by round, and each value is the median over the
// rounds.
//
// With -js it also runs the kernels of bench/floor (Go native, Go WASM and
// the same code as JavaScript) and prints them as a second table: the
// language floor, how much slower Go's WASM build runs the same code than V8.
//
//	go run ./bench/cmd/benchstate -out bench/state.json
//	go run ./bench/cmd/benchstate -js ../shared/bench/js-signals -out bench/state.json
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A row is one benchmark case, in the units the JavaScript harness reports:
// µs per batched write for update cases, ms per operation otherwise.
type row struct {
	Case    string             `json:"case"`
	Unit    string             `json:"unit"`
	Native  float64            `json:"native"`
	WASM    float64            `json:"wasm"`
	Allocs  float64            `json:"allocsPerOp"`
	JS      map[string]float64 `json:"js,omitempty"`
	Samples map[string]int     `json:"samples"`
}

// goName maps a Go benchmark to its SIGNALS.md case name.
var goName = map[string]string{
	"Cellx/1000":       "cellx1000",
	"Cellx/5000":       "cellx5000",
	"CreateSignals":    "createSignals",
	"CreateComputeds":  "createComputeds",
	"CreateEffects":    "createEffects",
	"DisposeEffects":   "disposeEffects",
	"Update/deep":      "deep",
	"Update/broad":     "broad",
	"Update/diamond":   "diamond",
	"Update/triangle":  "triangle",
	"Update/mux":       "mux",
	"Update/repeated":  "repeated",
	"Update/unstable":  "unstable",
	"Update/avoidable": "avoidable",
}

// floorName maps a bench/floor benchmark to its kernel name.
var floorName = map[string]string{
	"Walk50":         "walk50",
	"ClosureChain50": "closureChain50",
	"GuardedReads30": "guardedReads30",
}

var floorOrder = []string{"walk50", "closureChain50", "guardedReads30"}

var order = []string{"deep", "broad", "diamond", "triangle", "mux", "repeated", "unstable", "avoidable",
	"cellx1000", "cellx5000", "createSignals", "createComputeds", "createEffects", "disposeEffects"}

func main() {
	out := flag.String("out", "bench/state.json", "where to write the JSON results")
	rounds := flag.Int("rounds", 5, "rounds; each runs every side once, and the median over rounds is reported")
	jsDir := flag.String("js", "", "path of the js-signals harness to run in the same sitting (copied to a temp dir)")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "benchstate-")
	check(err)
	defer os.RemoveAll(tmp)
	sides, err := prepare(tmp, *jsDir)
	check(err)

	// This machine is shared: its speed drifts by tens of percent over
	// minutes. Interleaving the sides round by round, in a rotating order,
	// exposes each side to the same drift, and the median over rounds drops
	// the rounds that caught a slow spell.
	res := map[string]map[string]samples{} // side → case → samples
	for r := range *rounds {
		for i := range sides {
			sd := sides[(r+i)%len(sides)]
			fmt.Fprintf(os.Stderr, "round %d/%d: %s\n", r+1, *rounds, sd.name)
			got, err := sd.run()
			check(err)
			for who, cases := range got {
				if res[who] == nil {
					res[who] = map[string]samples{}
				}
				for name, v := range cases {
					s := res[who][name]
					s.unit, s.allocs = v.unit, v.allocs
					s.values = append(s.values, v.values...)
					res[who][name] = s
				}
			}
		}
	}

	withJS := *jsDir != ""
	var rows []row
	for _, name := range order {
		n, w := res["native"][name], res["wasm"][name]
		r := row{Case: name, Unit: n.unit, Native: zeroNaN(n.median()), WASM: zeroNaN(w.median()), Allocs: n.allocs,
			Samples: map[string]int{"native": len(n.values), "wasm": len(w.values)}}
		if withJS {
			r.JS = map[string]float64{}
			for _, lib := range jsLibs {
				j := res[lib][name]
				if v := j.median(); !math.IsNaN(v) && len(j.values) == *rounds {
					r.JS[lib] = v // a library that failed the case in any round has no value
				}
				r.Samples[lib] = len(j.values)
			}
		}
		rows = append(rows, r)
	}
	printTable(rows, withJS)
	report := map[string]any{
		"date": time.Now().UTC().Format(time.RFC3339), "go": runtime.Version(),
		"goarch": runtime.GOARCH, "cpus": runtime.NumCPU(), "rounds": *rounds, "rows": rows,
	}
	if withJS {
		report["floor"] = floorTable(res)
	}

	data, err := json.MarshalIndent(report, "", "  ")
	check(err)
	check(os.WriteFile(*out, append(data, '\n'), 0o644))
	fmt.Println("\nwrote", *out)
}

var jsLibs = []string{"alien-signals", "mobx"}

// A side is one program to run: Go native, Go WASM, or the JavaScript
// harness. A run returns contestant → case → samples; the harness yields one
// contestant per library.
type side struct {
	name string
	run  func() (map[string]map[string]samples, error)
}

// prepare builds the Go test binaries and installs the JavaScript harness
// once, in tmp, and returns the sides to run.
func prepare(tmp, jsDir string) ([]side, error) {
	sides, err := goSides(tmp, "state", "./pkg/state/")
	if err != nil || jsDir == "" {
		return sides, err
	}
	floor, err := goSides(tmp, "floor", "./bench/floor/")
	if err != nil {
		return nil, err
	}
	sides = append(sides, floor...)
	sides = append(sides, side{"floor-js", func() (map[string]map[string]samples, error) {
		return goBench("v8", "node", filepath.Join("bench", "floor", "floor.mjs"))
	}})
	dir := filepath.Join(tmp, "js-signals")
	if err := os.CopyFS(dir, os.DirFS(jsDir)); err != nil {
		return nil, err
	}
	if err := command(dir, nil, "npm", "ci", "--no-audit", "--no-fund").Run(); err != nil {
		return nil, fmt.Errorf("npm ci: %w", err)
	}
	sides = append(sides, side{"js", func() (map[string]map[string]samples, error) { return jsBench(dir) }})
	return sides, nil
}

// goSides builds the test binaries of pkg, natively and for WASM, and
// returns the sides that run their benchmarks.
func goSides(tmp, name, pkg string) ([]side, error) {
	native := filepath.Join(tmp, name+".test")
	wasm := filepath.Join(tmp, name+".wasm")
	for _, b := range []struct {
		out string
		env []string
	}{{native, nil}, {wasm, []string{"GOOS=js", "GOARCH=wasm"}}} {
		if err := command("", b.env, "go", "test", "-c", "-o", b.out, pkg).Run(); err != nil {
			return nil, fmt.Errorf("building %s: %w", b.out, err)
		}
	}
	benchArgs := []string{"-test.run", "^$", "-test.bench", ".", "-test.benchmem"}
	wasmExec := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec_node.js")
	return []side{
		{name + "-native", func() (map[string]map[string]samples, error) { return goBench("native", native, benchArgs...) }},
		{name + "-wasm", func() (map[string]map[string]samples, error) {
			return goBench("wasm", "node", append([]string{wasmExec, wasm}, benchArgs...)...)
		}},
	}, nil
}

func command(dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

type samples struct {
	unit   string
	values []float64
	allocs float64
}

func (s samples) median() float64 {
	if len(s.values) == 0 {
		return math.NaN()
	}
	v := slices.Clone(s.values)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

var line = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+(\d+(?:\.\d+)?) ns/op(.*)$`)

// goBench runs a Go test binary (or floor.mjs, which prints the same format)
// once and returns its samples by case as contestant who.
func goBench(who, name string, args ...string) (map[string]map[string]samples, error) {
	cmd := command("", nil, name, args...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, buf.String())
	}
	res := map[string]samples{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		nsPerOp, _ := strconv.ParseFloat(m[3], 64)
		if name, ok := floorName[m[1]]; ok {
			s := res[name]
			s.unit, s.values = "ns/op", append(s.values, nsPerOp)
			res[name] = s
			continue
		}
		name, ok := goName[m[1]]
		if !ok {
			continue
		}
		s := res[name]
		s.unit, s.allocs = "ms", metric(m[4], "allocs/op")
		v := nsPerOp / 1e6
		if us := metric(m[4], "µs/write"); !math.IsNaN(us) {
			s.unit, v = "µs/write", us
		}
		s.values = append(s.values, v)
		res[name] = s
	}
	return map[string]map[string]samples{who: res}, sc.Err()
}

// metric returns the value printed before unit in a benchmark line's tail.
func metric(tail, unit string) float64 {
	f := strings.Fields(tail)
	for i := 1; i < len(f); i++ {
		if f[i] == unit {
			v, err := strconv.ParseFloat(f[i-1], 64)
			if err == nil {
				return v
			}
		}
	}
	return math.NaN()
}

// jsBench runs one pass of the installed harness in dir over alien-signals
// and MobX and returns library → case → value in the Go units.
func jsBench(dir string) (map[string]map[string]samples, error) {
	if err := command(dir, nil, "node", "--expose-gc", "bench.mjs", "--libs="+strings.Join(jsLibs, ","), "--passes=1", "--samples=5").Run(); err != nil {
		return nil, fmt.Errorf("bench.mjs: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "results-partial.json"))
	if err != nil {
		return nil, err
	}
	var res struct {
		Cases map[string]struct {
			Kind  string `json:"kind"`
			ByLib map[string]struct {
				MedianMs   *float64 `json:"medianMs"`
				USPerWrite *float64 `json:"usPerWrite"`
			} `json:"byLib"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	out := map[string]map[string]samples{}
	for name, c := range res.Cases {
		for lib, r := range c.ByLib {
			var v *float64
			switch {
			case c.Kind == "update" && r.USPerWrite != nil:
				v = r.USPerWrite
			case r.MedianMs != nil:
				v = r.MedianMs
			}
			if v == nil {
				continue // the library failed the case
			}
			if out[lib] == nil {
				out[lib] = map[string]samples{}
			}
			out[lib][name] = samples{values: []float64{*v}}
		}
	}
	return out, nil
}

func printTable(rows []row, withJS bool) {
	head := "| case | unit | Go native | Go WASM | allocs/op |"
	sep := "|---|---|---:|---:|---:|"
	if withJS {
		head += " alien-signals | MobX | WASM / alien | MobX / WASM | native / alien |"
		sep += "---:|---:|---:|---:|---:|"
	}
	fmt.Println(head)
	fmt.Println(sep)
	var logSum float64
	var logN int
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | %s | %.0f |", r.Case, r.Unit, num(r.Native), num(r.WASM), r.Allocs)
		if withJS {
			a, m := r.JS["alien-signals"], r.JS["mobx"] // 0 when the library failed the case
			fmt.Printf(" %s | %s | %s | %s | %s |", num(a), num(m), ratio(r.WASM, a), ratio(m, r.WASM), ratio(r.Native, a))
			if (r.Unit == "µs/write" || strings.HasPrefix(r.Case, "cellx")) && a > 0 && r.WASM > 0 {
				logSum += math.Log(r.WASM / a)
				logN++
			}
		}
		fmt.Println()
	}
	if withJS && logN > 0 {
		fmt.Printf("\nGeometric mean of WASM / alien-signals over the update and cellx cases: %.2fx\n", math.Exp(logSum/float64(logN)))
	}
}

// A floorRow is one bench/floor kernel, in ns/op.
type floorRow struct {
	Kernel string  `json:"kernel"`
	Native float64 `json:"native"`
	WASM   float64 `json:"wasm"`
	V8     float64 `json:"v8"`
}

// floorTable prints the kernels of bench/floor side by side and returns them.
func floorTable(res map[string]map[string]samples) []floorRow {
	fmt.Println("\nThe language floor: bench/floor's kernels, the same code in Go and in JavaScript (ns/op)")
	fmt.Println()
	fmt.Println("| kernel | Go native | Go WASM | JavaScript (V8) | WASM / V8 | native / V8 |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	var rows []floorRow
	var logSum float64
	for _, k := range floorOrder {
		r := floorRow{Kernel: k, Native: zeroNaN(res["native"][k].median()), WASM: zeroNaN(res["wasm"][k].median()),
			V8: zeroNaN(res["v8"][k].median())}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", k, num(r.Native), num(r.WASM), num(r.V8), ratio(r.WASM, r.V8), ratio(r.Native, r.V8))
		logSum += math.Log(r.WASM / r.V8)
		rows = append(rows, r)
	}
	fmt.Printf("\nGeometric mean of Go WASM / V8 over the kernels: %.2fx\n", math.Exp(logSum/float64(len(floorOrder))))
	return rows
}

// zeroNaN turns a missing value into 0, which JSON can carry.
func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func num(v float64) string {
	switch {
	case math.IsNaN(v) || v == 0:
		return "—"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || a == 0 || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchstate:", err)
		os.Exit(1)
	}
}
