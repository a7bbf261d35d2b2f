package gentest_test

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/gen/internal/gentest/interop"
)

func TestEverythingRoundTrip(t *testing.T) {
	in := everything()
	w := codec.NewWriter(nil)
	if err := in.WriteFields(w); err != nil {
		t.Fatal(err)
	}
	first := bytes.Clone(w.Bytes())
	for range 5 {
		w.Reset()
		_ = in.WriteFields(w)
		if !bytes.Equal(w.Bytes(), first) {
			t.Fatal("encoding is not deterministic")
		}
	}
	var out interop.Everything
	if err := out.ReadFields(codec.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestEverythingDefaults(t *testing.T) {
	d := interop.NewEverything()
	if d.Ub != 200 || d.Us != 60000 || d.Ui != 4000000000 || d.Color != interop.Color_BLUE || d.FarTag != "far" {
		t.Fatalf("defaults: %+v", d)
	}
	w := codec.NewWriter(nil)
	_ = d.WriteFields(w)
	// Required members always (zero values compacted), optional members at
	// their defaults skipped, the enum always written (BLUE = 6 at tag 18, a two-byte head).
	want := "0c" + "1c" + "2c" + "3c" + "4c" + "5400000000" + "650000000000000000" + "7600" + "f01206"
	if got := hex.EncodeToString(w.Bytes()); got != want {
		t.Fatalf("default Everything = %s, want %s", got, want)
	}
	var back interop.Everything
	back.FarTag = "garbage" // ReadFields resets first
	if err := back.ReadFields(codec.NewReader(w.Bytes())); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, d) {
		t.Fatalf("decoded defaults: %+v", back)
	}
}

// vector<byte> is a SIMPLE_LIST, vector<unsigned byte> a LIST of shorts.
func TestByteVectors(t *testing.T) {
	v := interop.NewEverything()
	v.Blob = []byte{0x80}
	v.Ublob = []byte{0, 0x80}
	w := codec.NewWriter(nil)
	_ = v.WriteFields(w)
	got := hex.EncodeToString(w.Bytes())
	const blob = "bd00000180"      // tag 11 SIMPLE_LIST, BYTE sub-head, count 1, 0x80
	const ublob = "c900020c010080" // tag 12 LIST, count 2, ZERO, SHORT 128
	if !bytes.Contains([]byte(got), []byte(blob+ublob)) {
		t.Fatalf("encoding %s lacks %s%s", got, blob, ublob)
	}
}

func TestEnumString(t *testing.T) {
	if interop.Color_ALIAS.String() != "GREEN" || interop.Color(42).String() != "Color(42)" {
		t.Fatal(interop.Color_ALIAS.String(), interop.Color(42).String())
	}
	if interop.VERSION != 3 || interop.GREETING != "hello, edge" {
		t.Fatal("consts")
	}
}

func TestComparePoint(t *testing.T) {
	a, b := interop.Point{X: 1, Y: 2, Label: "z"}, interop.Point{X: 1, Y: 3, Label: "a"}
	if interop.ComparePoint(a, b) != -1 || interop.ComparePoint(b, a) != 1 ||
		interop.ComparePoint(a, interop.Point{X: 1, Y: 2}) != 0 {
		t.Fatal("ComparePoint ignores the label and orders by x, then y")
	}
}
