package codec_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

// unhex decodes a hex string with optional spaces.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// field is one encoded value: how to write it, its exact bytes, and how to
// read it back (returning the decoded value).
type field struct {
	name  string
	write func(w *codec.Writer)
	hex   string
	read  func(r *codec.Reader) (any, error)
	want  any
}

func i8(tag byte) func(*codec.Reader) (any, error) {
	return func(r *codec.Reader) (any, error) { var v int8; err := r.ReadInt8(&v, tag, true); return v, err }
}
func i16(tag byte) func(*codec.Reader) (any, error) {
	return func(r *codec.Reader) (any, error) { var v int16; err := r.ReadInt16(&v, tag, true); return v, err }
}
func i32(tag byte) func(*codec.Reader) (any, error) {
	return func(r *codec.Reader) (any, error) { var v int32; err := r.ReadInt32(&v, tag, true); return v, err }
}
func i64(tag byte) func(*codec.Reader) (any, error) {
	return func(r *codec.Reader) (any, error) { var v int64; err := r.ReadInt64(&v, tag, true); return v, err }
}
func str(tag byte) func(*codec.Reader) (any, error) {
	return func(r *codec.Reader) (any, error) { var v string; err := r.ReadString(&v, tag, true); return v, err }
}
func byts(tag byte) func(*codec.Reader) (any, error) {
	return func(r *codec.Reader) (any, error) { var v []byte; err := r.ReadBytes(&v, tag, true); return v, err }
}

var long255 = strings.Repeat("x", 255)
var long256 = strings.Repeat("y", 256)

func fields() []field {
	return []field{
		// Spec §1.10 example 1.
		{"int 300 at tag 20", func(w *codec.Writer) { w.WriteInt32(20, 300) }, "F1 14 01 2C", i32(20), int32(300)},
		{"int -1 at tag 3", func(w *codec.Writer) { w.WriteInt32(3, -1) }, "30 FF", i32(3), int32(-1)},
		{"long 2^40 at tag 0", func(w *codec.Writer) { w.WriteInt64(0, 1<<40) }, "03 00 00 01 00 00 00 00 00", i64(0), int64(1 << 40)},
		{"int 0 at tag 2", func(w *codec.Writer) { w.WriteInt32(2, 0) }, "2C", i32(2), int32(0)},
		{"int 0 at tag 14", func(w *codec.Writer) { w.WriteInt32(14, 0) }, "EC", i32(14), int32(0)},
		{"int 0 at tag 15", func(w *codec.Writer) { w.WriteInt32(15, 0) }, "FC 0F", i32(15), int32(0)},
		{"int 0 at tag 255", func(w *codec.Writer) { w.WriteInt32(255, 0) }, "FC FF", i32(255), int32(0)},
		// Integer compaction boundaries.
		{"int8 min", func(w *codec.Writer) { w.WriteInt8(1, math.MinInt8) }, "10 80", i8(1), int8(math.MinInt8)},
		{"int8 max", func(w *codec.Writer) { w.WriteInt8(1, math.MaxInt8) }, "10 7F", i8(1), int8(math.MaxInt8)},
		{"int16 128", func(w *codec.Writer) { w.WriteInt16(1, 128) }, "11 00 80", i16(1), int16(128)},
		{"int16 -129", func(w *codec.Writer) { w.WriteInt16(1, -129) }, "11 FF 7F", i16(1), int16(-129)},
		{"int16 min", func(w *codec.Writer) { w.WriteInt16(1, math.MinInt16) }, "11 80 00", i16(1), int16(math.MinInt16)},
		{"int16 max", func(w *codec.Writer) { w.WriteInt16(1, math.MaxInt16) }, "11 7F FF", i16(1), int16(math.MaxInt16)},
		{"int32 32768", func(w *codec.Writer) { w.WriteInt32(1, 32768) }, "12 00 00 80 00", i32(1), int32(32768)},
		{"int32 min", func(w *codec.Writer) { w.WriteInt32(1, math.MinInt32) }, "12 80 00 00 00", i32(1), int32(math.MinInt32)},
		{"int32 max", func(w *codec.Writer) { w.WriteInt32(1, math.MaxInt32) }, "12 7F FF FF FF", i32(1), int32(math.MaxInt32)},
		{"int64 2^31", func(w *codec.Writer) { w.WriteInt64(1, 1<<31) }, "13 00 00 00 00 80 00 00 00", i64(1), int64(1 << 31)},
		{"int64 min", func(w *codec.Writer) { w.WriteInt64(1, math.MinInt64) }, "13 80 00 00 00 00 00 00 00", i64(1), int64(math.MinInt64)},
		{"int64 max", func(w *codec.Writer) { w.WriteInt64(1, math.MaxInt64) }, "13 7F FF FF FF FF FF FF FF", i64(1), int64(math.MaxInt64)},
		{"int64 5 compacts", func(w *codec.Writer) { w.WriteInt64(1, 5) }, "10 05", i64(1), int64(5)},
		// bool.
		{"bool false", func(w *codec.Writer) { w.WriteBool(1, false) }, "1C",
			func(r *codec.Reader) (any, error) { v := true; err := r.ReadBool(&v, 1, true); return v, err }, false},
		{"bool true", func(w *codec.Writer) { w.WriteBool(1, true) }, "10 01",
			func(r *codec.Reader) (any, error) { var v bool; err := r.ReadBool(&v, 1, true); return v, err }, true},
		// Unsigned types are widened.
		{"uint8 200 as short", func(w *codec.Writer) { w.WriteUint8(1, 200) }, "11 00 C8",
			func(r *codec.Reader) (any, error) { var v uint8; err := r.ReadUint8(&v, 1, true); return v, err }, uint8(200)},
		{"uint8 max", func(w *codec.Writer) { w.WriteUint8(1, math.MaxUint8) }, "11 00 FF",
			func(r *codec.Reader) (any, error) { var v uint8; err := r.ReadUint8(&v, 1, true); return v, err }, uint8(255)},
		{"uint16 max as int", func(w *codec.Writer) { w.WriteUint16(1, math.MaxUint16) }, "12 00 00 FF FF",
			func(r *codec.Reader) (any, error) { var v uint16; err := r.ReadUint16(&v, 1, true); return v, err }, uint16(math.MaxUint16)},
		{"uint32 max as long", func(w *codec.Writer) { w.WriteUint32(1, math.MaxUint32) }, "13 00 00 00 00 FF FF FF FF",
			func(r *codec.Reader) (any, error) { var v uint32; err := r.ReadUint32(&v, 1, true); return v, err }, uint32(math.MaxUint32)},
		{"uint32 0", func(w *codec.Writer) { w.WriteUint32(1, 0) }, "1C",
			func(r *codec.Reader) (any, error) { v := uint32(9); err := r.ReadUint32(&v, 1, true); return v, err }, uint32(0)},
		// Floats are never compacted.
		{"float 0", func(w *codec.Writer) { w.WriteFloat32(1, 0) }, "14 00 00 00 00",
			func(r *codec.Reader) (any, error) { v := float32(1); err := r.ReadFloat32(&v, 1, true); return v, err }, float32(0)},
		{"float 1.5", func(w *codec.Writer) { w.WriteFloat32(1, 1.5) }, "14 3F C0 00 00",
			func(r *codec.Reader) (any, error) { var v float32; err := r.ReadFloat32(&v, 1, true); return v, err }, float32(1.5)},
		{"double -2", func(w *codec.Writer) { w.WriteFloat64(1, -2) }, "15 C0 00 00 00 00 00 00 00",
			func(r *codec.Reader) (any, error) { var v float64; err := r.ReadFloat64(&v, 1, true); return v, err }, float64(-2)},
		{"double +Inf", func(w *codec.Writer) { w.WriteFloat64(1, math.Inf(1)) }, "15 7F F0 00 00 00 00 00 00",
			func(r *codec.Reader) (any, error) { var v float64; err := r.ReadFloat64(&v, 1, true); return v, err }, math.Inf(1)},
		// Strings.
		{"empty string", func(w *codec.Writer) { w.WriteString(3, "") }, "36 00", str(3), ""},
		{"string abc", func(w *codec.Writer) { w.WriteString(3, "abc") }, "36 03 61 62 63", str(3), "abc"},
		{"string 255", func(w *codec.Writer) { w.WriteString(3, long255) }, "36 FF " + hex.EncodeToString([]byte(long255)), str(3), long255},
		{"string 256", func(w *codec.Writer) { w.WriteString(3, long256) }, "37 00 00 01 00 " + hex.EncodeToString([]byte(long256)), str(3), long256},
		// Spec §1.10 example 2.
		{"vector<int> [1,1000] at tag 4", func(w *codec.Writer) { w.WriteListHead(4, 2); w.WriteInt32(0, 1); w.WriteInt32(0, 1000) },
			"49 00 02 00 01 01 03 E8", func(r *codec.Reader) (any, error) {
				n, _, err := r.ReadListHead(4, true)
				if err != nil {
					return nil, err
				}
				v := make([]int32, n)
				for i := range v {
					if err := r.ReadInt32(&v[i], 0, true); err != nil {
						return nil, err
					}
				}
				return v, nil
			}, []int32{1, 1000}},
		{"vector<byte> abc at tag 7", func(w *codec.Writer) { w.WriteBytes(7, []byte("abc")) }, "7D 00 00 03 61 62 63", byts(7), []byte("abc")},
		{"empty vector<byte> at tag 7", func(w *codec.Writer) { w.WriteBytes(7, nil) }, "7D 00 0C", byts(7), []byte{}},
		{"empty map at tag 9", func(w *codec.Writer) { w.WriteMapHead(9, 0) }, "98 0C", func(r *codec.Reader) (any, error) {
			n, _, err := r.ReadMapHead(9, true)
			return n, err
		}, 0},
		{"map<string,string>{a:b} at tag 9", func(w *codec.Writer) { w.WriteMapHead(9, 1); w.WriteString(0, "a"); w.WriteString(1, "b") },
			"98 00 01 06 01 61 16 01 62", func(r *codec.Reader) (any, error) {
				n, _, err := r.ReadMapHead(9, true)
				if err != nil {
					return nil, err
				}
				m := map[string]string{}
				for range n {
					var k, v string
					if err := r.ReadString(&k, 0, true); err != nil {
						return nil, err
					}
					if err := r.ReadString(&v, 1, true); err != nil {
						return nil, err
					}
					m[k] = v
				}
				return m, nil
			}, map[string]string{"a": "b"}},
		// vector<unsigned byte> is a LIST of compacted shorts.
		{"vector<unsigned byte> [0,1,127,128,255]", func(w *codec.Writer) { w.WriteUint8s(2, []uint8{0, 1, 127, 128, 255}) },
			"29 00 05 0C 00 01 00 7F 01 00 80 01 00 FF", func(r *codec.Reader) (any, error) {
				var v []uint8
				err := r.ReadUint8s(&v, 2, true)
				return v, err
			}, []uint8{0, 1, 127, 128, 255}},
		{"empty vector<unsigned byte>", func(w *codec.Writer) { w.WriteUint8s(2, nil) }, "29 0C", func(r *codec.Reader) (any, error) {
			var v []uint8
			err := r.ReadUint8s(&v, 2, true)
			return v, err
		}, []uint8{}},
		// Spec §1.10 example 3, with s equal to and different from its default.
		{"TestInfo2 default", func(w *codec.Writer) { _ = w.WriteStruct(1, &testInfo{II: 34, S: "abc"}); w.WriteInt32(2, 12345) },
			"1A 10 22 0B 21 30 39", readTestInfo2, testInfo2{T: testInfo{II: 34, S: "abc"}, A: 12345}},
		{"TestInfo2 s=xyz", func(w *codec.Writer) { _ = w.WriteStruct(1, &testInfo{II: 34, S: "xyz"}); w.WriteInt32(2, 12345) },
			"1A 10 22 26 03 78 79 7A 0B 21 30 39", readTestInfo2, testInfo2{T: testInfo{II: 34, S: "xyz"}, A: 12345}},
	}
}

// testInfo and testInfo2 are the structs of spec §1.10 example 3, written
// the way generated code is expected to be.
type testInfo struct {
	II int32  // 1 require, default 34
	S  string // 2 optional, default "abc"
}

func (s *testInfo) WriteFields(w *codec.Writer) error {
	w.WriteInt32(1, s.II)
	if s.S != "abc" {
		w.WriteString(2, s.S)
	}
	return nil
}

func (s *testInfo) ReadFields(r *codec.Reader) error {
	*s = testInfo{II: 34, S: "abc"}
	if err := r.ReadInt32(&s.II, 1, true); err != nil {
		return err
	}
	return r.ReadString(&s.S, 2, false)
}

type testInfo2 struct {
	T testInfo
	A int32
}

func readTestInfo2(r *codec.Reader) (any, error) {
	var v testInfo2
	if err := r.ReadStruct(&v.T, 1, true); err != nil {
		return nil, err
	}
	err := r.ReadInt32(&v.A, 2, true)
	return v, err
}

func TestFieldsBothWays(t *testing.T) {
	for _, f := range fields() {
		t.Run(f.name, func(t *testing.T) {
			want := unhex(t, f.hex)
			w := codec.NewWriter(nil)
			f.write(w)
			if !bytes.Equal(w.Bytes(), want) {
				t.Errorf("wrote % X\nwant  % X", w.Bytes(), want)
			}
			if w.Len() != len(want) || w.Err() != nil {
				t.Errorf("Len %d Err %v", w.Len(), w.Err())
			}
			r := codec.NewReader(want)
			got, err := f.read(r)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !reflect.DeepEqual(got, f.want) {
				t.Errorf("read %#v, want %#v", got, f.want)
			}
			if r.Len() != 0 {
				t.Errorf("%d bytes left unread", r.Len())
			}
		})
	}
}

// TestSkipEveryType nests each encoded field in a struct followed by a
// marker field and checks that the marker is found: the reader must skip
// every type exactly, including extended tags.
func TestSkipEveryType(t *testing.T) {
	for _, f := range fields() {
		t.Run(f.name, func(t *testing.T) {
			w := codec.NewWriter(nil)
			w.WriteStructBegin(0)
			f.write(w)
			w.WriteStructEnd()
			w.WriteString(1, "marker")
			r := codec.NewReader(w.Bytes())
			var s string
			if err := r.ReadString(&s, 1, true); err != nil || s != "marker" {
				t.Fatalf("marker: %q, %v", s, err)
			}
			// SkipField walks the field itself.
			w.Reset()
			f.write(w)
			r.Reset(w.Bytes())
			for r.Len() > 0 {
				if err := r.SkipField(); err != nil {
					t.Fatalf("SkipField: %v", err)
				}
			}
		})
	}
}
