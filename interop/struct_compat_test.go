package interop_test

import (
	"bytes"
	"testing"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"

	tg "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/tars/codec"
)

// TestStructsBothWays runs Point and Everything, with optional fields equal
// to and different from their defaults, through the framed-value test
// (unknown fields of every type around the struct, extended tags).
func TestStructsBothWays(t *testing.T) {
	structs := []val{
		pointVal(opPoint{X: 1, Y: 2, Label: "origin"}),
		pointVal(opPoint{X: -1, Y: 1 << 30, Label: ""}),
		pointVal(opPoint{Label: "elsewhere"}),
		everythingVal(defaultEverything(), false),
		everythingVal(fullEverything(1), true),
		everythingVal(fullEverything(300), false),
	}
	for _, v := range structs {
		t.Run(v.name, func(t *testing.T) {
			for _, tag := range testTags {
				op, tgb := opFramed(v, tag), tgFramed(t, v, tag)
				if v.ordered && !bytes.Equal(op, tgb) {
					t.Fatalf("tag %d: bytes differ:\n% X\n% X", tag, op, tgb)
				}
				if x, err := tgUnframe(v, op, tag); err != nil || !same(x, v.want) {
					t.Fatalf("tag %d: TarsGo reads Outpost: %v\n%+v", tag, err, x)
				}
				if x, err := opUnframe(v, tgb, tag); err != nil || !same(x, v.want) {
					t.Fatalf("tag %d: Outpost reads TarsGo: %v\n%+v", tag, err, x)
				}
			}
		})
	}
}

// TestDefaultsOnTheWire: optional fields equal to their defaults are not
// written (except the enum, which tars2go always writes and so does
// Outpost), the two encodings are identical, and both readers restore the
// defaults.
func TestDefaultsOnTheWire(t *testing.T) {
	e := defaultEverything()
	w := codec.NewWriter(nil)
	must(t, e.WriteFields(w))
	// flag ZERO, b ZERO, s ZERO, i ZERO, l ZERO, f FLOAT 0, d DOUBLE 0,
	// str "required", color 6 at tag 18; nothing else.
	want := unhex(t, "0C 1C 2C 3C 4C 54 00 00 00 00 65 00 00 00 00 00 00 00 00 76 08 72 65 71 75 69 72 65 64 F0 12 06")
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatalf("% X\nwant % X", w.Bytes(), want)
	}
	b := tc.NewBuffer()
	must(t, everythingToTG(e).WriteTo(b))
	if !bytes.Equal(b.ToBytes(), want) {
		t.Fatalf("TarsGo wrote % X", b.ToBytes())
	}
	var x tg.Everything
	must(t, x.ReadFrom(tc.NewReader(want[:len(want)-3])))
	if got := everythingFromTG(&x); !same(got, e) {
		t.Fatalf("TarsGo restored %+v", got)
	}
	got := new(opEverything)
	must(t, got.ReadFields(codec.NewReader(want[:len(want)-3])))
	if !same(got, e) {
		t.Fatalf("Outpost restored %+v", got)
	}
}

// TestNewerPeerFields: a newer Point with extra fields is read by both
// implementations' older Point, which skips the unknown trailing fields.
func TestNewerPeerFields(t *testing.T) {
	w := codec.NewWriter(nil)
	w.WriteStructBegin(0)
	w.WriteInt32(0, 5)
	w.WriteInt32(1, 6)
	w.WriteString(2, "new")
	w.WriteRaw(unknownFields(3, 255))
	w.WriteStructEnd()
	w.WriteInt32(1, 9)
	var a tg.Point
	tr := tc.NewReader(w.Bytes())
	must(t, a.ReadBlock(tr, 0, true))
	var after int32
	must(t, tr.ReadInt32(&after, 1, true))
	var b opPoint
	r := codec.NewReader(w.Bytes())
	must(t, r.ReadStruct(&b, 0, true))
	var after2 int32
	must(t, r.ReadInt32(&after2, 1, true))
	if pointFromTG(a) != b || b != (opPoint{X: 5, Y: 6, Label: "new"}) || after != 9 || after2 != 9 {
		t.Fatalf("%+v %+v %d %d", a, b, after, after2)
	}
}
