package codec_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

// TestWidening reads every integer wire type into every Go integer type.
func TestWidening(t *testing.T) {
	enc := map[codec.Type]string{
		codec.TypeZero:  "1C",
		codec.TypeByte:  "10 FE",                      // -2
		codec.TypeShort: "11 FF FE",                   // -2
		codec.TypeInt:   "12 FF FF FF FE",             // -2
		codec.TypeLong:  "13 FF FF FF FF FF FF FF FE", // -2
	}
	readers := []struct {
		name string
		max  codec.Type
		read func(r *codec.Reader) (int64, error)
	}{
		{"int8", codec.TypeByte, func(r *codec.Reader) (int64, error) { var v int8; err := r.ReadInt8(&v, 1, true); return int64(v), err }},
		{"int16", codec.TypeShort, func(r *codec.Reader) (int64, error) {
			var v int16
			err := r.ReadInt16(&v, 1, true)
			return int64(v), err
		}},
		{"int32", codec.TypeInt, func(r *codec.Reader) (int64, error) {
			var v int32
			err := r.ReadInt32(&v, 1, true)
			return int64(v), err
		}},
		{"int64", codec.TypeLong, func(r *codec.Reader) (int64, error) { var v int64; err := r.ReadInt64(&v, 1, true); return v, err }},
	}
	for _, rd := range readers {
		for typ, h := range enc {
			t.Run(rd.name+"/"+typ.String(), func(t *testing.T) {
				v, err := rd.read(codec.NewReader(unhex(t, h)))
				accept := typ == codec.TypeZero || typ <= rd.max
				switch {
				case accept && err != nil:
					t.Fatalf("unexpected error %v", err)
				case accept && typ == codec.TypeZero && v != 0, accept && typ != codec.TypeZero && v != -2:
					t.Fatalf("got %d", v)
				case !accept && !errors.Is(err, codec.ErrTypeMismatch):
					t.Fatalf("want type mismatch, got %v, %v", v, err)
				}
			})
		}
	}
}

func TestFloatAcceptance(t *testing.T) {
	var f float32
	if err := codec.NewReader(unhex(t, "15 00 00 00 00 00 00 00 00")).ReadFloat32(&f, 1, true); !errors.Is(err, codec.ErrTypeMismatch) {
		t.Errorf("float from DOUBLE: %v", err)
	}
	var d float64 = 7
	if err := codec.NewReader(unhex(t, "1C")).ReadFloat64(&d, 1, true); err != nil || d != 0 {
		t.Errorf("double from ZERO: %v %v", d, err)
	}
	if err := codec.NewReader(unhex(t, "14 3F C0 00 00")).ReadFloat64(&d, 1, true); err != nil || d != 1.5 {
		t.Errorf("double from FLOAT: %v %v", d, err)
	}
	if err := codec.NewReader(unhex(t, "10 01")).ReadFloat64(&d, 1, true); !errors.Is(err, codec.ErrTypeMismatch) {
		t.Errorf("double from BYTE: %v", err)
	}
	// NaN and -0 keep their bits.
	w := codec.NewWriter(nil)
	w.WriteFloat32(0, float32(math.NaN()))
	w.WriteFloat64(1, math.Copysign(0, -1))
	r := codec.NewReader(w.Bytes())
	if err := r.ReadFloat32(&f, 0, true); err != nil || f == f {
		t.Errorf("NaN: %v %v", f, err)
	}
	if err := r.ReadFloat64(&d, 1, true); err != nil || d != 0 || !math.Signbit(d) {
		t.Errorf("-0: %v %v", d, err)
	}
}

func TestBoolNonZeroIsTrue(t *testing.T) {
	var b bool
	if err := codec.NewReader(unhex(t, "10 05")).ReadBool(&b, 1, true); err != nil || !b {
		t.Fatalf("%v %v", b, err)
	}
}

func TestUnsignedRange(t *testing.T) {
	var u8 uint8
	if err := codec.NewReader(unhex(t, "11 01 00")).ReadUint8(&u8, 1, true); !errors.Is(err, codec.ErrRange) {
		t.Errorf("uint8 256: %v", err)
	}
	if err := codec.NewReader(unhex(t, "10 FF")).ReadUint8(&u8, 1, true); !errors.Is(err, codec.ErrRange) {
		t.Errorf("uint8 -1: %v", err)
	}
	var u16 uint16
	if err := codec.NewReader(unhex(t, "12 00 01 00 00")).ReadUint16(&u16, 1, true); !errors.Is(err, codec.ErrRange) {
		t.Errorf("uint16 65536: %v", err)
	}
	var u32 uint32
	if err := codec.NewReader(unhex(t, "13 00 00 00 01 00 00 00 00")).ReadUint32(&u32, 1, true); !errors.Is(err, codec.ErrRange) {
		t.Errorf("uint32 2^32: %v", err)
	}
	// Narrower encodings are accepted: unsigned byte 5 as int1.
	if err := codec.NewReader(unhex(t, "10 05")).ReadUint8(&u8, 1, true); err != nil || u8 != 5 {
		t.Errorf("uint8 from BYTE: %v %v", u8, err)
	}
}

func TestStringAcceptance(t *testing.T) {
	var s string
	if err := codec.NewReader(unhex(t, "1C")).ReadString(&s, 1, true); !errors.Is(err, codec.ErrTypeMismatch) {
		t.Errorf("string from ZERO: %v", err)
	}
	in := unhex(t, "16 02 68 69")
	if err := codec.NewReader(in).ReadStringNoCopy(&s, 1, true); err != nil || s != "hi" {
		t.Errorf("no-copy: %q %v", s, err)
	}
	in[2] = 'H' // s aliases the input
	if s != "Hi" {
		t.Errorf("ReadStringNoCopy did not alias: %q", s)
	}
}

func TestBytesBothForms(t *testing.T) {
	simple := unhex(t, "1D 00 00 03 01 FF 00")
	list := unhex(t, "19 00 03 00 01 00 FF 0C") // LIST of int8 1, -1, 0
	for name, in := range map[string][]byte{"simple": simple, "list": list} {
		var v []byte
		if err := codec.NewReader(in).ReadBytes(&v, 1, true); err != nil || string(v) != "\x01\xff\x00" {
			t.Errorf("%s: % X %v", name, v, err)
		}
		if err := codec.NewReader(in).ReadBytesNoCopy(&v, 1, true); err != nil || string(v) != "\x01\xff\x00" {
			t.Errorf("%s no-copy: % X %v", name, v, err)
		}
	}
	var v []byte
	_ = codec.NewReader(simple).ReadBytes(&v, 1, true)
	simple[4] = 9
	if v[0] != 1 {
		t.Error("ReadBytes aliased the input")
	}
	_ = codec.NewReader(simple).ReadBytesNoCopy(&v, 1, true)
	simple[4] = 7
	if v[0] != 7 {
		t.Error("ReadBytesNoCopy copied a SIMPLE_LIST")
	}
	// vector<unsigned byte> also reads a SIMPLE_LIST.
	var u []uint8
	if err := codec.NewReader(simple).ReadUint8s(&u, 1, true); err != nil || len(u) != 3 || u[1] != 0xFF {
		t.Errorf("uint8s from SIMPLE_LIST: %v %v", u, err)
	}
	// A LIST element out of the byte range is a mismatch.
	if err := codec.NewReader(unhex(t, "19 00 01 01 01 00")).ReadBytes(&v, 1, true); !errors.Is(err, codec.ErrTypeMismatch) {
		t.Errorf("LIST with a SHORT element: %v", err)
	}
}

func TestOptionalAndRequired(t *testing.T) {
	// Fields 1, 3, then STRUCT_END, then 5.
	in := unhex(t, "10 01 30 03 0B 50 05")
	r := codec.NewReader(in)
	v := int32(42)
	if err := r.ReadInt32(&v, 0, false); err != nil || v != 42 || r.Offset() != 0 {
		t.Fatalf("absent optional before: %v %v off %d", v, err, r.Offset())
	}
	if err := r.ReadInt32(&v, 2, false); err != nil || v != 42 || r.Offset() != 2 {
		t.Fatalf("absent optional between: %v %v off %d", v, err, r.Offset())
	}
	err := r.ReadInt32(&v, 2, true)
	var ce *codec.Error
	if !errors.As(err, &ce) || !errors.Is(err, codec.ErrRequiredMissing) || ce.Tag != 2 || ce.Offset != 2 {
		t.Fatalf("missing required: %#v", err)
	}
	if err := r.ReadInt32(&v, 3, true); err != nil || v != 3 {
		t.Fatalf("tag 3: %v %v", v, err)
	}
	// Tag 5 is behind STRUCT_END: absent, nothing consumed.
	if err := r.ReadInt32(&v, 5, false); err != nil || v != 3 || r.Offset() != 4 {
		t.Fatalf("behind STRUCT_END: %v %v off %d", v, err, r.Offset())
	}
	if err := r.ReadInt32(&v, 5, true); !errors.Is(err, codec.ErrRequiredMissing) {
		t.Fatalf("required behind STRUCT_END: %v", err)
	}
	// End of input.
	r.Reset(in[:2])
	if err := r.ReadInt32(&v, 9, false); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadInt32(&v, 9, true); !errors.Is(err, codec.ErrRequiredMissing) {
		t.Fatal(err)
	}
}

func TestExtendedTagPushBack(t *testing.T) {
	w := codec.NewWriter(nil)
	w.WriteInt32(200, 7)
	r := codec.NewReader(w.Bytes())
	var v int32
	if err := r.ReadInt32(&v, 100, false); err != nil || r.Offset() != 0 {
		t.Fatalf("%v off %d", err, r.Offset())
	}
	if err := r.ReadInt32(&v, 200, true); err != nil || v != 7 {
		t.Fatalf("%v %v", v, err)
	}
}

func TestStructUnknownTrailingFields(t *testing.T) {
	w := codec.NewWriter(nil)
	w.WriteStructBegin(1)
	w.WriteInt32(1, 34)
	w.WriteString(2, "new")
	w.WriteMapHead(3, 1) // unknown to testInfo
	w.WriteString(0, "k")
	w.WriteStructBegin(1)
	w.WriteBytes(0, []byte{1, 2})
	w.WriteStructEnd()
	w.WriteFloat64(200, 1)
	w.WriteStructEnd()
	w.WriteInt32(2, 12345)
	got, err := readTestInfo2(codec.NewReader(w.Bytes()))
	want := testInfo2{T: testInfo{II: 34, S: "new"}, A: 12345}
	if err != nil || got != want {
		t.Fatalf("%#v %v", got, err)
	}
}

func TestDepthTracking(t *testing.T) {
	r := codec.NewReader(unhex(t, "0A 0A 0B 0B"))
	if ok, err := r.ReadStructBegin(0, true); !ok || err != nil || r.Depth() != 1 {
		t.Fatalf("%v %v depth %d", ok, err, r.Depth())
	}
	if err := r.SkipToStructEnd(); err != nil || r.Depth() != 0 {
		t.Fatalf("%v depth %d", err, r.Depth())
	}
}

func TestWriterReuseDoesNotAllocate(t *testing.T) {
	w := codec.NewWriter(make([]byte, 0, 1024))
	blob := make([]byte, 300)
	ti := &testInfo{II: 1, S: "x"}
	allocs := testing.AllocsPerRun(100, func() {
		w.Reset()
		w.WriteBool(0, true)
		w.WriteInt64(1, math.MaxInt64)
		w.WriteString(2, long256)
		w.WriteBytes(3, blob)
		w.WriteUint8s(4, blob[:10])
		w.WriteMapHead(5, 1)
		w.WriteString(0, "k")
		w.WriteFloat64(1, 1)
		_ = w.WriteStruct(6, ti)
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per encode", allocs)
	}
}

func TestErrorMessage(t *testing.T) {
	var v int32
	err := codec.NewReader(unhex(t, "16 00")).ReadInt32(&v, 1, true)
	const want = "tars codec: type mismatch at offset 1, tag 1: expected int32 (ZERO_TAG, BYTE, SHORT or INT), got STRING1"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func TestNoCopyMode(t *testing.T) {
	in := unhex(t, "16 02 68 69 2D 00 00 02 01 02")
	r := codec.NewReaderNoCopy(in)
	var s string
	var b []byte
	if err := r.ReadString(&s, 1, true); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadBytes(&b, 2, true); err != nil {
		t.Fatal(err)
	}
	in[2], in[8] = 'H', 9
	if s != "Hi" || b[0] != 9 {
		t.Fatalf("no-copy mode copied: %q % X", s, b)
	}
	// Reset returns to copying.
	r.Reset(in)
	if err := r.ReadString(&s, 1, true); err != nil {
		t.Fatal(err)
	}
	in[2] = 'h'
	if s != "Hi" {
		t.Fatalf("Reset kept no-copy mode: %q", s)
	}
}

func TestIntFastPathNearEnd(t *testing.T) {
	// The fast path needs 8 bytes after the head; the same values must
	// decode at the very end of the input.
	for _, v := range []int64{0, 1, -1, 300, -70000, 1 << 40} {
		w := codec.NewWriter(nil)
		w.WriteInt64(3, v)
		long := append(bytes.Clone(w.Bytes()), bytes.Repeat([]byte{0x4C}, 9)...)
		for _, in := range [][]byte{w.Bytes(), long} {
			var got int64
			if err := codec.NewReader(in).ReadInt64(&got, 3, true); err != nil || got != v {
				t.Fatalf("%d from % X: %d %v", v, in, got, err)
			}
		}
	}
}
