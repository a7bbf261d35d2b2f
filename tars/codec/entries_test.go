package codec_test

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

func TestSortedEntries(t *testing.T) {
	w := codec.NewWriter(nil)
	for _, n := range []int{0, 1, 2, 5, 12, 13, 100} {
		m := map[string]int{}
		for i := range n {
			m[fmt.Sprint("k", i*7919%101)] = i
		}
		es := codec.SortedEntries(w, m)
		keys := codec.SortedKeys(w, m)
		if len(es) != len(m) {
			t.Fatalf("n=%d: %d entries", n, len(es))
		}
		for i, e := range es {
			if e.Key != keys[i] || m[e.Key] != e.Value {
				t.Fatalf("n=%d: entry %d is %v, want key %q", n, i, e, keys[i])
			}
		}
		w.ReleaseKeys()
		w.ReleaseKeys()
	}

	// NaN keys sort first, as with slices.Sort.
	fm := map[float64]string{2: "b", math.NaN(): "nan", -1: "a"}
	es := codec.SortedEntries(w, fm)
	if !math.IsNaN(es[0].Key) || es[1].Key != -1 || es[2].Key != 2 || es[2].Value != "b" {
		t.Fatalf("float keys: %v", es)
	}
	w.ReleaseKeys()

	type pt struct{ X, Y int32 }
	names := map[pt]string{{2, 1}: "c", {1, 5}: "b", {1, 2}: "a"}
	pes := codec.SortedEntriesFunc(w, names, func(a, b pt) int { return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y)) })
	if !slices.Equal(pes, []codec.Entry[pt, string]{{pt{1, 2}, "a"}, {pt{1, 5}, "b"}, {pt{2, 1}, "c"}}) {
		t.Fatalf("SortedEntriesFunc: %v", pes)
	}
	w.ReleaseKeys()
}

func TestSortedEntriesNestedNoAlloc(t *testing.T) {
	w := codec.NewWriter(nil)
	outer := map[string]map[int32]string{"b": {3: "x", 1: "y"}, "a": {2: "z"}, "c": {}}
	var got []string
	encode := func() {
		w.Reset()
		got = got[:0]
		for _, e := range codec.SortedEntries(w, outer) {
			got = append(got, e.Key)
			for _, e2 := range codec.SortedEntries(w, e.Value) {
				got = append(got, e2.Value)
			}
			w.ReleaseKeys()
			// The same key type as the inner map, borrowed while the
			// outer entries are in use.
			for range codec.SortedKeys(w, e.Value) {
			}
			w.ReleaseKeys()
		}
		w.ReleaseKeys()
	}
	encode()
	if want := []string{"a", "z", "b", "y", "x", "c"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if n := testing.AllocsPerRun(50, encode); n != 0 {
		t.Fatalf("%v allocations per encode", n)
	}
}
