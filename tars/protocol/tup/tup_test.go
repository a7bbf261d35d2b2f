package tup_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/protocol/tup"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExactBytes(t *testing.T) {
	for _, c := range []struct {
		version int16
		hex     string
	}{
		{protocol.VersionTUP3, "08 00 01 06 01 61 1D 00 00 02 00 05"},
		{protocol.VersionTUP2, "08 00 01 06 01 61 18 00 01 06 05 69 6E 74 33 32 1D 00 00 02 00 05"},
	} {
		u, err := tup.New(c.version)
		if err != nil {
			t.Fatal(err)
		}
		if err := tup.PutValue(u, "a", int32(5)); err != nil {
			t.Fatal(err)
		}
		got, err := u.Bytes()
		if want := unhex(t, c.hex); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("v%d: % X, want % X (%v)", c.version, got, want, err)
		}
		back, err := tup.Decode(c.version, got)
		var v int32
		if err != nil || tup.GetValue(back, "a", &v) != nil || v != 5 {
			t.Fatalf("v%d decode: %v %d", c.version, err, v)
		}
	}
}

type point struct{ X, Y int32 }

func (p *point) WriteFields(w *codec.Writer) error {
	w.WriteInt32(0, p.X)
	w.WriteInt32(1, p.Y)
	return nil
}

func (p *point) ReadFields(r *codec.Reader) error {
	*p = point{}
	if err := r.ReadInt32(&p.X, 0, true); err != nil {
		return err
	}
	return r.ReadInt32(&p.Y, 1, true)
}

func roundTrip[T tup.Value](t *testing.T, u *tup.UniAttribute, name string, v T) {
	t.Helper()
	if err := tup.PutValue(u, name, v); err != nil {
		t.Fatal(err)
	}
	b, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	back, err := tup.Decode(u.Version(), b)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := tup.GetValue(back, name, &got); err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("%s: got %v (%v), want %v", name, got, err, v)
	}
}

func TestAllValuesBothVersions(t *testing.T) {
	for _, version := range []int16{protocol.VersionTUP2, protocol.VersionTUP3} {
		u, _ := tup.New(version)
		roundTrip(t, u, "bool", true)
		roundTrip(t, u, "i8", int8(math.MinInt8))
		roundTrip(t, u, "i16", int16(math.MaxInt16))
		roundTrip(t, u, "i32", int32(math.MinInt32))
		roundTrip(t, u, "i64", int64(math.MaxInt64))
		roundTrip(t, u, "u8", uint8(math.MaxUint8))
		roundTrip(t, u, "u16", uint16(math.MaxUint16))
		roundTrip(t, u, "u32", uint32(math.MaxUint32))
		roundTrip(t, u, "f32", float32(1.25))
		roundTrip(t, u, "f64", math.Inf(-1))
		roundTrip(t, u, "s", strings.Repeat("z", 300))
		roundTrip(t, u, "b", []byte{1, 2, 3})
		roundTrip(t, u, "", "empty name")
		if err := tup.PutStruct(u, "p", "Interop.Point", &point{3, -4}); err != nil {
			t.Fatal(err)
		}
		var p point
		if err := tup.GetStruct(u, "p", &p); err != nil || p != (point{3, -4}) {
			t.Fatalf("struct: %v %v", p, err)
		}
		if u.Len() != 14 || len(u.Names()) != 14 {
			t.Fatalf("Len %d", u.Len())
		}
		u.Delete("p")
		if err := tup.GetStruct(u, "p", &p); !errors.Is(err, tup.ErrNotFound) {
			t.Fatalf("deleted: %v", err)
		}
	}
}

func TestTypeNames(t *testing.T) {
	got := []string{tup.TypeName[bool](), tup.TypeName[int8](), tup.TypeName[uint8](), tup.TypeName[uint16](),
		tup.TypeName[uint32](), tup.TypeName[float32](), tup.TypeName[float64](), tup.TypeName[string](), tup.TypeName[[]byte]()}
	want := []string{"bool", "char", "short", "int32", "int64", "float", "double", "string", "list<char>"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%v", got)
	}
}

func TestVersion2Types(t *testing.T) {
	// A version 2 name holding two types needs GetRawTyped.
	in := unhex(t, "08 00 01 06 01 61 18 00 02 06 05 69 6E 74 33 32 1D 00 00 02 00 05 06 05 73 68 6F 72 74 1D 00 00 02 00 06")
	u, err := tup.Decode(protocol.VersionTUP2, in)
	if err != nil {
		t.Fatal(err)
	}
	var v int32
	if err := tup.GetValue(u, "a", &v); !errors.Is(err, tup.ErrAmbiguous) {
		t.Fatalf("ambiguous: %v", err)
	}
	raw, err := u.GetRawTyped("a", "short")
	if err != nil || !bytes.Equal(raw, []byte{0, 6}) {
		t.Fatalf("typed: % X %v", raw, err)
	}
	if _, err := tup.New(protocol.VersionTars); err == nil {
		t.Fatal("version 1 accepted")
	}
	// Missing map reads as empty; malformed input is a codec error.
	if u, err := tup.Decode(protocol.VersionTUP3, nil); err != nil || u.Len() != 0 {
		t.Fatal(err)
	}
	var ce *codec.Error
	if _, err := tup.Decode(protocol.VersionTUP3, unhex(t, "08 00 05")); !errors.As(err, &ce) {
		t.Fatalf("malformed: %v", err)
	}
}

// FuzzDecode decodes arbitrary buffers as both versions; accepted maps must
// survive a re-encode.
func FuzzDecode(f *testing.F) {
	f.Add(unhex(f, "08 00 01 06 01 61 1D 00 00 02 00 05"))
	f.Add(unhex(f, "08 00 01 06 01 61 18 00 01 06 05 69 6E 74 33 32 1D 00 00 02 00 05"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, version := range []int16{protocol.VersionTUP2, protocol.VersionTUP3} {
			u, err := tup.Decode(version, in)
			var ce *codec.Error
			if err != nil {
				if !errors.As(err, &ce) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			b, err := u.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			again, err := tup.Decode(version, b)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			for _, name := range u.Names() {
				x, errX := u.GetRaw(name)
				y, errY := again.GetRaw(name)
				if !bytes.Equal(x, y) || (errX == nil) != (errY == nil) {
					t.Fatalf("%q differs", name)
				}
			}
			if again.Len() != u.Len() {
				t.Fatalf("Len %d != %d", again.Len(), u.Len())
			}
		}
	})
}
