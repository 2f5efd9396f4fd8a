package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestS12_randomGraphsAgainstPlainEvaluation builds random graphs of
// signals, computeds and effects, where computeds sometimes panic or return
// errors and sometimes handle their dependencies' errors with Read, and
// checks the graph after every step against two references:
//
//   - a plain evaluation from scratch (values and errors of every node read);
//   - a naive model of the documented semantics — recursive, pull-only,
//     versions on every node, no flags, no walk, no unwinding — for how often
//     each effect ran, what it saw, what was reported, and how often each
//     computed recomputed (at most once per step).
//
// It covers S1–S6 and S12 on shapes nobody wrote by hand. TANDEM_SEEDS sets
// the number of graphs (default 300); TANDEM_SEED replays one.
func TestS12_randomGraphsAgainstPlainEvaluation(t *testing.T) {
	seeds := 300
	if v, err := strconv.Atoi(os.Getenv("TANDEM_SEEDS")); err == nil {
		seeds = v
	}
	first := 1
	if v, err := strconv.Atoi(os.Getenv("TANDEM_SEED")); err == nil {
		first, seeds = v, 1
	}
	for seed := first; seed < first+seeds; seed++ {
		if !t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { runRandomGraph(t, uint64(seed)) }) {
			t.Logf("replay: TANDEM_SEED=%d go test -run 'TestS12_randomGraphsAgainstPlainEvaluation' ./pkg/state", seed)
			return
		}
	}
}

// A program is what one computed does with its dependencies, run alike by the
// graph and the references through a reader.
type program struct {
	kind int // one of the kinds below
	deps []int
	k    int   // a constant the node adds or compares with
	err  error // the failure this node originates
}

const (
	kSum    = iota // (k + sum of deps) % 5: small values, so equality cut-off happens
	kPanic         // sum of deps; panics with err when sum%3 == k
	kErr           // the same, returning err (NewComputedErr)
	kBranch        // reads deps[0], then deps[1] if it is even, else deps[2]
	kHandle        // reads deps[0] with Read; -1 on an error, else value+1
	kindCount
)

// A reader is how a program reads: get fails the program on a dependency's
// failure (by panicking), read hands the failure over.
type reader interface {
	get(i int) int
	read(i int) (int, error)
}

func (p *program) run(r reader) (int, error) {
	switch p.kind {
	case kSum:
		s := p.k
		for _, d := range p.deps {
			s += r.get(d)
		}
		return mod(s, 5), nil
	case kPanic, kErr:
		s := 0
		for _, d := range p.deps {
			s += r.get(d)
		}
		if mod(s, 3) == p.k {
			if p.kind == kPanic {
				panic(p.err)
			}
			return 0, p.err
		}
		return mod(s, 5), nil
	case kBranch:
		if mod(r.get(p.deps[0]), 2) == 0 {
			return r.get(p.deps[1]), nil
		}
		return r.get(p.deps[2]), nil
	default: // kHandle
		v, err := r.read(p.deps[0])
		if err != nil {
			return -1, nil
		}
		return mod(v+1, 5), nil
	}
}

func mod(a, m int) int { return ((a % m) + m) % m }

// An effect spec reads deps in order, with Get (a failure fails the effect)
// or with Read (it sees failures as values).
type effectSpec struct {
	deps    []int
	useRead bool
}

// An observation is what an effect saw in one run: per dependency read, a
// value or the index of the node whose failure it was.
type observation struct {
	vals   []int
	errs   []int // -1: no error
	failed int   // -1, or the failure that ended a Get effect's run
}

func (o observation) String() string { return fmt.Sprintf("%v/%v/%d", o.vals, o.errs, o.failed) }

type randomGraph struct {
	nsig  int
	progs []*program // nil for signals
	specs []effectSpec
}

func newRandomGraph(rng *rand.Rand) *randomGraph {
	nsig := 2 + rng.IntN(3)
	n := nsig + 4 + rng.IntN(14)
	rg := &randomGraph{nsig: nsig, progs: make([]*program, n)}
	pick := func(below int) int {
		// Mostly recent nodes, so chains get deep.
		if rng.IntN(3) > 0 && below > 3 {
			return below - 1 - rng.IntN(3)
		}
		return rng.IntN(below)
	}
	for i := nsig; i < n; i++ {
		p := &program{kind: rng.IntN(kindCount), k: rng.IntN(3), err: fmt.Errorf("failure of node %d", i)}
		switch p.kind {
		case kBranch:
			p.deps = []int{pick(i), pick(i), pick(i)}
		case kHandle:
			p.deps = []int{pick(i)}
		default:
			for range 1 + rng.IntN(3) {
				p.deps = append(p.deps, pick(i))
			}
		}
		rg.progs[i] = p
	}
	for range 2 + rng.IntN(5) {
		rg.specs = append(rg.specs, rg.newSpec(rng))
	}
	return rg
}

func (rg *randomGraph) newSpec(rng *rand.Rand) effectSpec {
	var s effectSpec
	s.useRead = rng.IntN(3) == 0
	for range 1 + rng.IntN(3) {
		s.deps = append(s.deps, rng.IntN(len(rg.progs)))
	}
	return s
}

func runRandomGraph(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	rg := newRandomGraph(rng)
	sut := newGraphUnderTest(rg)
	ref := newModel(rg)
	for e := range rg.specs {
		sut.addEffect(e)
		ref.addEffect(e)
	}
	sut.check(t, ref, "after creation")

	for step := range 40 {
		sut.resetCounts()
		ref.resetCounts()
		var what string
		switch r := rng.IntN(10); {
		case r < 6: // writes, batched or not
			n := 1 + rng.IntN(3)
			writes := make([][2]int, n)
			for i := range writes {
				writes[i] = [2]int{rng.IntN(rg.nsig), rng.IntN(4)}
			}
			batch := n > 1 || rng.IntN(2) == 0
			what = fmt.Sprintf("writes %v (batch %v)", writes, batch)
			sut.write(writes, batch)
			ref.write(writes)
		case r < 8: // a read from outside any run
			i := rg.nsig + rng.IntN(len(rg.progs)-rg.nsig)
			what = fmt.Sprintf("read of node %d", i)
			v, err := sut.comps[i].Read()
			want := scratch(rg, ref.sigs)(i)
			ref.readOutside(i)
			if want.err < 0 {
				require.NoError(t, err, "step %d: %s", step, what)
				require.Equal(t, want.val, v, "step %d: %s", step, what)
			} else {
				require.ErrorIs(t, err, rg.progs[want.err].err, "step %d: %s", step, what)
			}
		case r < 9: // a new effect
			rg.specs = append(rg.specs, rg.newSpec(rng))
			e := len(rg.specs) - 1
			what = fmt.Sprintf("new effect %d %+v", e, rg.specs[e])
			sut.addEffect(e)
			ref.addEffect(e)
		default: // an effect disposed
			e := rng.IntN(len(rg.specs))
			what = fmt.Sprintf("dispose effect %d", e)
			sut.effects[e].Dispose()
			ref.dispose(e)
		}
		sut.check(t, ref, fmt.Sprintf("step %d: %s", step, what))
	}
}

// outcome is a node's value, or the index of the node whose failure it has.
type outcome struct{ val, err int }

// scratch evaluates nodes from scratch over signal values sigs: the plain
// evaluation every value the graph shows must match.
func scratch(rg *randomGraph, sigs []int) func(int) outcome {
	memo := map[int]outcome{}
	var eval func(int) outcome
	eval = func(i int) outcome {
		if i < rg.nsig {
			return outcome{sigs[i], -1}
		}
		if o, ok := memo[i]; ok {
			return o
		}
		v, failedBy := runProgram(rg.progs[i], scratchReader{eval, rg})
		o := outcome{v, failedBy}
		if failedBy == origin {
			o.err = i
		}
		memo[i] = o
		return o
	}
	return eval
}

// origin marks a program that failed of itself rather than through a read.
const origin = -2

type failedRead struct{ by int }

type scratchReader struct {
	eval func(int) outcome
	rg   *randomGraph
}

func (r scratchReader) get(i int) int {
	o := r.eval(i)
	if o.err >= 0 {
		panic(failedRead{o.err})
	}
	return o.val
}

func (r scratchReader) read(i int) (int, error) {
	o := r.eval(i)
	if o.err >= 0 {
		return 0, r.rg.progs[o.err].err
	}
	return o.val, nil
}

// runProgram runs p, returning its value, or the failure it ended with: the
// index of a failed dependency it read with get, or origin.
func runProgram(p *program, r reader) (v int, failedBy int) {
	defer func() {
		if x := recover(); x != nil {
			if f, ok := x.(failedRead); ok {
				failedBy = f.by
				return
			}
			failedBy = origin // p panicked with its own error
		}
	}()
	v, err := p.run(r)
	if err != nil {
		return 0, origin
	}
	return v, -1
}

// model is the naive reference of the graph's semantics.
type model struct {
	rg       *randomGraph
	sigs     []int
	ver      []int // versions of every node
	val      []int
	err      []int  // -1, or the node whose failure this node holds
	done     []bool // computed at least once
	deps     [][][2]int
	effects  []*modelEffect
	recomp   []int
	reported int
}

type modelEffect struct {
	spec     effectSpec
	deps     [][2]int
	runs     int
	saw      observation
	disposed bool
}

func newModel(rg *randomGraph) *model {
	n := len(rg.progs)
	m := &model{rg: rg, sigs: make([]int, rg.nsig), ver: make([]int, n), val: make([]int, n),
		err: make([]int, n), done: make([]bool, n), deps: make([][][2]int, n), recomp: make([]int, n)}
	for i := range m.err {
		m.err[i] = -1
	}
	return m
}

func (m *model) resetCounts() { clear(m.recomp) }

func (m *model) write(writes [][2]int) {
	for _, w := range writes {
		if m.sigs[w[0]] != w[1] {
			m.sigs[w[0]] = w[1]
			m.ver[w[0]]++
		}
	}
	m.flush()
}

func (m *model) flush() {
	for _, e := range m.effects {
		if !e.disposed && m.changed(e.deps) {
			m.runEffect(e)
		}
	}
}

// changed refreshes deps in order and reports whether one has a new
// version, stopping at the first that has.
func (m *model) changed(deps [][2]int) bool {
	for _, d := range deps {
		m.refresh(d[0])
		if m.ver[d[0]] != d[1] {
			return true
		}
	}
	return false
}

func (m *model) refresh(i int) {
	if i < m.rg.nsig {
		return
	}
	if !m.done[i] || m.changed(m.deps[i]) {
		m.recompute(i)
	}
}

// modelReader records what a run reads, refreshing it first.
type modelReader struct {
	m    *model
	deps *[][2]int
	obs  *observation
}

func (r modelReader) note(i int) {
	r.m.refresh(i)
	*r.deps = append(*r.deps, [2]int{i, r.m.ver[i]})
}

func (r modelReader) value(i int) (int, int) {
	if i < r.m.rg.nsig {
		return r.m.sigs[i], -1
	}
	return r.m.val[i], r.m.err[i]
}

func (r modelReader) get(i int) int {
	r.note(i)
	v, e := r.value(i)
	if r.obs != nil && e >= 0 {
		r.obs.vals = append(r.obs.vals, 0)
		r.obs.errs = append(r.obs.errs, e)
	} else if r.obs != nil {
		r.obs.vals = append(r.obs.vals, v)
		r.obs.errs = append(r.obs.errs, e)
	}
	if e >= 0 {
		panic(failedRead{e})
	}
	return v
}

func (r modelReader) read(i int) (int, error) {
	r.note(i)
	v, e := r.value(i)
	if r.obs != nil && e >= 0 {
		r.obs.vals = append(r.obs.vals, 0)
		r.obs.errs = append(r.obs.errs, e)
	} else if r.obs != nil {
		r.obs.vals = append(r.obs.vals, v)
		r.obs.errs = append(r.obs.errs, e)
	}
	if e >= 0 {
		return v, r.m.rg.progs[e].err
	}
	return v, nil
}

func (m *model) recompute(i int) {
	m.recomp[i]++
	var deps [][2]int
	v, failedBy := runProgram(m.rg.progs[i], modelReader{m: m, deps: &deps})
	m.deps[i] = deps
	e := failedBy
	if failedBy == origin {
		e = i
	}
	changed := !m.done[i] || e >= 0 || m.err[i] >= 0 || v != m.val[i]
	m.done[i] = true
	if e >= 0 {
		m.err[i] = e // a failed node keeps its last good value, as Read shows
	} else {
		m.val[i], m.err[i] = v, -1
	}
	if changed {
		m.ver[i]++
	}
}

func (m *model) readOutside(i int) { m.refresh(i) }

func (m *model) addEffect(e int) {
	me := &modelEffect{spec: m.rg.specs[e]}
	m.effects = append(m.effects, me)
	m.runEffect(me)
}

func (m *model) runEffect(e *modelEffect) {
	e.runs++
	e.deps = nil
	obs := observation{failed: -1}
	r := modelReader{m: m, deps: &e.deps, obs: &obs}
	func() {
		defer func() {
			if x := recover(); x != nil {
				obs.failed = x.(failedRead).by
				m.reported++
			}
		}()
		for _, d := range e.spec.deps {
			if e.spec.useRead {
				_, _ = r.read(d)
			} else {
				r.get(d)
			}
		}
	}()
	e.saw = obs
}

func (m *model) dispose(e int) { m.effects[e].disposed = true }

// graphUnderTest is the same random graph built on a Graph.
type graphUnderTest struct {
	rg       *randomGraph
	g        *Graph
	scope    *Scope // owns every other effect, so that owned effects are covered too
	sigs     []*Signal[int]
	comps    []*Computed[int]
	effects  []*Effect
	runs     []int
	saw      []observation
	recomp   []int
	reported []error
}

func newGraphUnderTest(rg *randomGraph) *graphUnderTest {
	s := &graphUnderTest{rg: rg, recomp: make([]int, len(rg.progs)), comps: make([]*Computed[int], len(rg.progs))}
	s.g = NewGraph(WithErrorHandler(func(err error) { s.reported = append(s.reported, err) }))
	s.scope = s.g.NewScope()
	for range rg.nsig {
		s.sigs = append(s.sigs, NewSignal(s.g, 0))
	}
	for i := rg.nsig; i < len(rg.progs); i++ {
		p := rg.progs[i]
		if p.kind == kErr {
			s.comps[i] = NewComputedErr(s.g, func() (int, error) {
				s.recomp[i]++
				return p.run(graphReader{s, nil})
			})
			continue
		}
		s.comps[i] = NewComputed(s.g, func() int {
			s.recomp[i]++
			v, _ := p.run(graphReader{s, nil})
			return v
		})
	}
	return s
}

func (s *graphUnderTest) resetCounts() { clear(s.recomp) }

func (s *graphUnderTest) write(writes [][2]int, batch bool) {
	set := func() {
		for _, w := range writes {
			s.sigs[w[0]].Set(w[1])
		}
	}
	if batch {
		s.g.Batch(set)
	} else {
		set()
	}
}

// graphReader reads the graph, noting what an effect saw.
type graphReader struct {
	s   *graphUnderTest
	obs *observation
}

// errIndex finds which node's failure err is.
func (r graphReader) errIndex(err error) int {
	for i, p := range r.s.rg.progs {
		if p != nil && errors.Is(err, p.err) {
			return i
		}
	}
	panic(fmt.Sprintf("an error of no node: %v", err))
}

func (r graphReader) get(i int) int {
	if i < r.s.rg.nsig {
		v := r.s.sigs[i].Get()
		r.note(v, -1)
		return v
	}
	if r.obs == nil {
		return r.s.comps[i].Get()
	}
	defer func() {
		if x := recover(); x != nil {
			r.note(0, r.errIndex(x.(error)))
			r.obs.failed = r.errIndex(x.(error))
			panic(x)
		}
	}()
	v := r.s.comps[i].Get()
	r.note(v, -1)
	return v
}

func (r graphReader) read(i int) (int, error) {
	if i < r.s.rg.nsig {
		v := r.s.sigs[i].Get()
		r.note(v, -1)
		return v, nil
	}
	v, err := r.s.comps[i].Read()
	if err != nil {
		r.note(0, r.errIndex(err))
		return v, err
	}
	r.note(v, -1)
	return v, nil
}

func (r graphReader) note(v, e int) {
	if r.obs != nil {
		r.obs.vals = append(r.obs.vals, v)
		r.obs.errs = append(r.obs.errs, e)
	}
}

func (s *graphUnderTest) addEffect(e int) {
	spec := s.rg.specs[e]
	s.runs = append(s.runs, 0)
	s.saw = append(s.saw, observation{})
	create := func(fn func()) { s.effects = append(s.effects, s.g.Effect(fn)) }
	if e%2 == 1 {
		create = func(fn func()) { s.scope.Run(func() { s.effects = append(s.effects, s.g.Effect(fn)) }) }
	}
	create(func() {
		s.runs[e]++
		obs := observation{failed: -1}
		r := graphReader{s, &obs}
		defer func() { s.saw[e] = obs }()
		for _, d := range spec.deps {
			if spec.useRead {
				_, _ = r.read(d)
			} else {
				r.get(d)
			}
		}
	})
}

// check compares the graph with the model after a step.
func (s *graphUnderTest) check(t *testing.T, m *model, step string) {
	t.Helper()
	for i := s.rg.nsig; i < len(s.rg.progs); i++ {
		require.LessOrEqual(t, s.recomp[i], 1, "%s: node %d recomputed more than once", step, i)
		require.Equal(t, m.recomp[i], s.recomp[i], "%s: recomputes of node %d (%+v)", step, i, *s.rg.progs[i])
	}
	want := scratch(s.rg, m.sigs)
	for e, me := range m.effects {
		require.Equal(t, me.runs, s.runs[e], "%s: runs of effect %d %+v", step, e, me.spec)
		if me.disposed {
			continue
		}
		require.Equal(t, me.saw.String(), s.saw[e].String(), "%s: what effect %d saw", step, e)
		// What it saw is what a plain evaluation gives.
		for k, d := range me.spec.deps[:len(me.saw.vals)] {
			o := want(d)
			require.Equal(t, o.err, me.saw.errs[k], "%s: effect %d, dependency %d", step, e, d)
			if o.err < 0 {
				require.Equal(t, o.val, me.saw.vals[k], "%s: effect %d, dependency %d", step, e, d)
			}
		}
	}
	require.Len(t, s.reported, m.reported, "%s: failures reported", step)
}
