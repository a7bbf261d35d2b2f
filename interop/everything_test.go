package interop_test

import (
	"fmt"
	"math"
	"strings"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"

	gen "github.com/outpost-edge/outpost/interop/gen/interop"
	tg "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/tars/codec"
)

// The Outpost side of the struct tests is the code tars/gen generates from
// Interop.tars (see generate.go).
type (
	opPoint      = gen.Point
	opEverything = gen.Everything
)

func pointToTG(p opPoint) tg.Point   { return tg.Point{X: p.X, Y: p.Y, Label: p.Label} }
func pointFromTG(p tg.Point) opPoint { return opPoint{X: p.X, Y: p.Y, Label: p.Label} }

func points(ps []opPoint, f func(opPoint) tg.Point) []tg.Point {
	if ps == nil {
		return nil
	}
	out := make([]tg.Point, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}

func pointsFromTG(ps []tg.Point) []opPoint {
	if ps == nil {
		return nil
	}
	out := make([]opPoint, len(ps))
	for i, p := range ps {
		out[i] = pointFromTG(p)
	}
	return out
}

// convertMap converts a map's keys and values, keeping nil as nil.
func convertMap[K1, K2 comparable, V1, V2 any](m map[K1]V1, k func(K1) K2, v func(V1) V2) map[K2]V2 {
	if m == nil {
		return nil
	}
	out := make(map[K2]V2, len(m))
	for a, b := range m {
		out[k(a)] = v(b)
	}
	return out
}

func id[T any](x T) T { return x }

func everythingToTG(e *opEverything) *tg.Everything {
	var ublob []uint8
	if e.Ublob != nil {
		ublob = append([]uint8{}, e.Ublob...)
	}
	return &tg.Everything{
		Flag: e.Flag, B: e.B, S: e.S, I: e.I, L: e.L, F: e.F, D: e.D, Str: e.Str,
		Ub: e.Ub, Us: e.Us, Ui: e.Ui, Blob: toInt8(e.Blob), Ublob: ublob, Ints: e.Ints, Strs: e.Strs,
		Counts: e.Counts,
		ById:   convertMap(e.ById, id[int32], pointToTG),
		Path:   points(e.Path, pointToTG),
		Color:  tg.Color(e.Color), Matrix: e.Matrix,
		Groups:  convertMap(e.Groups, id[string], func(ps []opPoint) []tg.Point { return points(ps, pointToTG) }),
		Names:   convertMap(e.Names, pointToTG, id[string]),
		FarTag:  e.FarTag,
		LastTag: e.LastTag,
	}
}

func everythingFromTG(e *tg.Everything) *opEverything {
	var blob []byte
	if e.Blob != nil {
		blob = append([]byte{}, tc.FromInt8(e.Blob)...)
	}
	return &opEverything{
		Flag: e.Flag, B: e.B, S: e.S, I: e.I, L: e.L, F: e.F, D: e.D, Str: e.Str,
		Ub: e.Ub, Us: e.Us, Ui: e.Ui, Blob: blob, Ublob: e.Ublob, Ints: e.Ints, Strs: e.Strs,
		Counts: e.Counts,
		ById:   convertMap(e.ById, id[int32], pointFromTG),
		Path:   pointsFromTG(e.Path),
		Color:  gen.Color(e.Color), Matrix: e.Matrix,
		Groups:  convertMap(e.Groups, id[string], pointsFromTG),
		Names:   convertMap(e.Names, pointFromTG, id[string]),
		FarTag:  e.FarTag,
		LastTag: e.LastTag,
	}
}

// defaultEverything has every optional field at its IDL default.
func defaultEverything() *opEverything {
	e := new(opEverything)
	e.ResetDefault()
	e.Str = "required"
	return e
}

// fullEverything has every field set, optional ones different from their
// defaults; n scales the containers. With n == 1 every map has one entry,
// so the encoding is deterministic.
func fullEverything(n int) *opEverything {
	e := &opEverything{
		Flag: true, B: math.MinInt8, S: math.MaxInt16, I: math.MinInt32, L: math.MaxInt64,
		F: -1.5, D: math.MaxFloat64, Str: "héllo, edge",
		Ub: 255, Us: 0, Ui: math.MaxUint32,
		Blob: []byte{0, 0x80, 0xFF}, Ublob: []uint8{0, 1, 127, 128, 255},
		Counts: map[string]int32{}, ById: map[int32]opPoint{}, Groups: map[string][]opPoint{},
		Names: map[opPoint]string{}, Color: gen.Color_GREEN,
		FarTag: strings.Repeat("f", 300), LastTag: -1,
	}
	for i := range n {
		p := opPoint{X: int32(i), Y: int32(-i * 1000), Label: fmt.Sprint("p", i)}
		if i%2 == 1 {
			p.Label = "origin"
		}
		e.Ints = append(e.Ints, int32(i*100003))
		e.Strs = append(e.Strs, strings.Repeat("s", i%20))
		e.Counts[fmt.Sprint("c", i)] = int32(i)
		e.ById[int32(i)] = p
		e.Path = append(e.Path, p)
		e.Matrix = append(e.Matrix, []int64{int64(i), -int64(i) << 40})
		e.Groups[fmt.Sprint("g", i)] = []opPoint{p, {X: 1}}
		e.Names[p] = fmt.Sprint("n", i)
	}
	return e
}

func pointVal(p opPoint) val {
	return val{
		name: fmt.Sprintf("Point%v", p), want: p, ordered: true,
		opWrite: func(w *codec.Writer, tag byte) { _ = w.WriteStruct(tag, &p) },
		opRead: func(r *codec.Reader, tag byte, req bool) (any, error) {
			var x opPoint
			err := r.ReadStruct(&x, tag, req)
			return x, err
		},
		tgWrite: func(b *tc.Buffer, tag byte) error { t := pointToTG(p); return t.WriteBlock(b, tag) },
		tgRead: func(r *tc.Reader, tag byte, req bool) (any, error) {
			var x tg.Point
			err := x.ReadBlock(r, tag, req)
			return pointFromTG(x), err
		},
	}
}

// everythingVal compares by value; its bytes match TarsGo's when every map
// has at most one entry (TarsGo writes map entries in Go's random order).
func everythingVal(e *opEverything, ordered bool) val {
	return val{
		name: "Everything", want: e, ordered: ordered,
		opWrite: func(w *codec.Writer, tag byte) { _ = w.WriteStruct(tag, e) },
		opRead: func(r *codec.Reader, tag byte, req bool) (any, error) {
			x := new(opEverything)
			err := r.ReadStruct(x, tag, req)
			return x, err
		},
		tgWrite: func(b *tc.Buffer, tag byte) error { return everythingToTG(e).WriteBlock(b, tag) },
		tgRead: func(r *tc.Reader, tag byte, req bool) (any, error) {
			var x tg.Everything
			err := x.ReadBlock(r, tag, req)
			return everythingFromTG(&x), err
		},
	}
}
