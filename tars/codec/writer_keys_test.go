package codec_test

import (
	"cmp"
	"slices"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

func TestSortedKeys(t *testing.T) {
	w := codec.NewWriter(nil)
	outer := map[string]map[int32]string{"b": {3: "x", 1: "y"}, "a": {2: "z"}}
	var got []any
	encode := func() {
		w.Reset()
		for _, k := range codec.SortedKeys(w, outer) {
			got = append(got, k)
			for _, k2 := range codec.SortedKeys(w, outer[k]) {
				got = append(got, k2)
			}
			w.ReleaseKeys()
		}
		w.ReleaseKeys()
	}
	encode()
	want := []any{"a", int32(2), "b", int32(1), int32(3)}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	type pt struct{ X, Y int32 }
	names := map[pt]string{{2, 1}: "c", {1, 5}: "b", {1, 2}: "a"}
	keys := codec.SortedKeysFunc(w, names, func(a, b pt) int { return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y)) })
	if !slices.Equal(keys, []pt{{1, 2}, {1, 5}, {2, 1}}) {
		t.Fatalf("SortedKeysFunc: %v", keys)
	}
	w.ReleaseKeys()
	sum := 0
	if n := testing.AllocsPerRun(50, func() {
		w.Reset()
		for _, k := range codec.SortedKeys(w, outer) {
			for _, k2 := range codec.SortedKeys(w, outer[k]) {
				sum += len(k) + int(k2)
			}
			w.ReleaseKeys()
		}
		w.ReleaseKeys()
	}); n != 0 || sum == 0 {
		t.Fatalf("%v allocs with a reused Writer", n)
	}
}

func TestSortedKeysMixedTypes(t *testing.T) {
	w := codec.NewWriter(nil)
	a := map[string]int{"x": 1, "y": 2}
	b := map[int32]int{2: 0, 1: 0}
	encode := func() int {
		w.Reset()
		n := 0
		for _, k := range codec.SortedKeys(w, a) {
			n += len(k)
		}
		w.ReleaseKeys()
		for _, k := range codec.SortedKeys(w, b) {
			n += int(k)
		}
		w.ReleaseKeys()
		return n
	}
	if encode() != 5 {
		t.Fatal("wrong keys")
	}
	if n := testing.AllocsPerRun(50, func() { encode() }); n != 0 {
		t.Fatalf("%v allocs alternating key types", n)
	}
}
