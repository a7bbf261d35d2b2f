package interop_test

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"

	"github.com/outpost-edge/outpost/tars/codec"
)

// val is one IDL value with both implementations' writers and readers, so
// the same table drives primitive, container and RPC-argument tests. The
// TarsGo side is written the way tars2go generates it.
type val struct {
	name    string
	want    any
	ordered bool // its encoding is deterministic (no map with 2+ entries)
	opWrite func(w *codec.Writer, tag byte)
	opRead  func(r *codec.Reader, tag byte, require bool) (any, error)
	tgWrite func(b *tc.Buffer, tag byte) error
	tgRead  func(r *tc.Reader, tag byte, require bool) (any, error)
}

// scalar builds a val from the two codecs' method expressions.
func scalar[T any](v T,
	ow func(*codec.Writer, byte, T), or func(*codec.Reader, *T, byte, bool) error,
	tw func(*tc.Buffer, T, byte) error, tr func(*tc.Reader, *T, byte, bool) error) val {
	return val{
		name:    fmt.Sprintf("%T(%s)", v, short(v)),
		want:    v,
		ordered: true,
		opWrite: func(w *codec.Writer, tag byte) { ow(w, tag, v) },
		opRead: func(r *codec.Reader, tag byte, req bool) (any, error) {
			var x T
			err := or(r, &x, tag, req)
			return x, err
		},
		tgWrite: func(b *tc.Buffer, tag byte) error { return tw(b, v, tag) },
		tgRead: func(r *tc.Reader, tag byte, req bool) (any, error) {
			var x T
			err := tr(r, &x, tag, req)
			return x, err
		},
	}
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 20 {
		return fmt.Sprintf("len %d", len(s))
	}
	return s
}

// same compares decoded values; floats by bits, so NaN and -0 count.
func same(a, b any) bool {
	switch x := a.(type) {
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	}
	return reflect.DeepEqual(a, b)
}

func i8(v int8) val {
	return scalar(v, (*codec.Writer).WriteInt8, (*codec.Reader).ReadInt8, (*tc.Buffer).WriteInt8, (*tc.Reader).ReadInt8)
}
func i16(v int16) val {
	return scalar(v, (*codec.Writer).WriteInt16, (*codec.Reader).ReadInt16, (*tc.Buffer).WriteInt16, (*tc.Reader).ReadInt16)
}
func i32(v int32) val {
	return scalar(v, (*codec.Writer).WriteInt32, (*codec.Reader).ReadInt32, (*tc.Buffer).WriteInt32, (*tc.Reader).ReadInt32)
}
func i64(v int64) val {
	return scalar(v, (*codec.Writer).WriteInt64, (*codec.Reader).ReadInt64, (*tc.Buffer).WriteInt64, (*tc.Reader).ReadInt64)
}
func u8(v uint8) val {
	return scalar(v, (*codec.Writer).WriteUint8, (*codec.Reader).ReadUint8, (*tc.Buffer).WriteUint8, (*tc.Reader).ReadUint8)
}
func u16(v uint16) val {
	return scalar(v, (*codec.Writer).WriteUint16, (*codec.Reader).ReadUint16, (*tc.Buffer).WriteUint16, (*tc.Reader).ReadUint16)
}
func u32(v uint32) val {
	return scalar(v, (*codec.Writer).WriteUint32, (*codec.Reader).ReadUint32, (*tc.Buffer).WriteUint32, (*tc.Reader).ReadUint32)
}
func boolean(v bool) val {
	return scalar(v, (*codec.Writer).WriteBool, (*codec.Reader).ReadBool, (*tc.Buffer).WriteBool, (*tc.Reader).ReadBool)
}
func f32(v float32) val {
	return scalar(v, (*codec.Writer).WriteFloat32, (*codec.Reader).ReadFloat32, (*tc.Buffer).WriteFloat32, (*tc.Reader).ReadFloat32)
}
func f64(v float64) val {
	return scalar(v, (*codec.Writer).WriteFloat64, (*codec.Reader).ReadFloat64, (*tc.Buffer).WriteFloat64, (*tc.Reader).ReadFloat64)
}
func str(v string) val {
	return scalar(v, (*codec.Writer).WriteString, (*codec.Reader).ReadString, (*tc.Buffer).WriteString, (*tc.Reader).ReadString)
}

// enum is an IDL enum: int32 on the wire; tars2go converts with (*int32).
func enum(v int32) val {
	x := i32(v)
	x.name = fmt.Sprintf("enum(%d)", v)
	return x
}

// blob is a vector<byte>: tars2go writes a SIMPLE_LIST of []int8 and reads
// LIST or SIMPLE_LIST.
func blob(v []byte) val {
	return val{
		name: fmt.Sprintf("vector<byte>(len %d)", len(v)), want: v, ordered: true,
		opWrite: func(w *codec.Writer, tag byte) { w.WriteBytes(tag, v) },
		opRead: func(r *codec.Reader, tag byte, req bool) (any, error) {
			var x []byte
			err := r.ReadBytes(&x, tag, req)
			return x, err
		},
		tgWrite: func(b *tc.Buffer, tag byte) error {
			if err := b.WriteHead(tc.SimpleList, tag); err != nil {
				return err
			}
			if err := b.WriteHead(tc.BYTE, 0); err != nil {
				return err
			}
			if err := b.WriteInt32(int32(len(v)), 0); err != nil {
				return err
			}
			return b.WriteSliceInt8(toInt8(v))
		},
		tgRead: func(r *tc.Reader, tag byte, req bool) (any, error) {
			have, ty, err := r.SkipToNoCheck(tag, req)
			if err != nil || !have {
				return nil, err
			}
			var length int32
			var out []int8
			switch ty {
			case tc.LIST:
				if err := r.ReadInt32(&length, 0, true); err != nil {
					return nil, err
				}
				out = make([]int8, length)
				for i := range out {
					if err := r.ReadInt8(&out[i], 0, true); err != nil {
						return nil, err
					}
				}
			case tc.SimpleList:
				if _, err := r.SkipTo(tc.BYTE, 0, true); err != nil {
					return nil, err
				}
				if err := r.ReadInt32(&length, 0, true); err != nil {
					return nil, err
				}
				if err := r.ReadSliceInt8(&out, length, true); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("require vector, but not")
			}
			return append([]byte{}, tc.FromInt8(out)...), nil
		},
	}
}

func toInt8(b []byte) []int8 {
	if len(b) == 0 {
		return nil // as TarsGo reads an empty vector
	}
	out := make([]int8, len(b))
	for i, x := range b {
		out[i] = int8(x)
	}
	return out
}

// list builds a vector<T> from an element val constructor.
func list[T any](name string, v []T, elem func(T) val) val {
	return val{
		name: fmt.Sprintf("vector<%s>(len %d)", name, len(v)), want: v, ordered: true,
		opWrite: func(w *codec.Writer, tag byte) {
			w.WriteListHead(tag, len(v))
			for _, x := range v {
				elem(x).opWrite(w, 0)
			}
		},
		opRead: func(r *codec.Reader, tag byte, req bool) (any, error) {
			n, ok, err := r.ReadListHead(tag, req)
			if !ok {
				return nil, err
			}
			out := make([]T, n)
			var zero T
			for i := range out {
				x, err := elem(zero).opRead(r, 0, true)
				if err != nil {
					return nil, err
				}
				out[i] = x.(T)
			}
			return out, nil
		},
		tgWrite: func(b *tc.Buffer, tag byte) error {
			if err := b.WriteHead(tc.LIST, tag); err != nil {
				return err
			}
			if err := b.WriteInt32(int32(len(v)), 0); err != nil {
				return err
			}
			for _, x := range v {
				if err := elem(x).tgWrite(b, 0); err != nil {
					return err
				}
			}
			return nil
		},
		tgRead: func(r *tc.Reader, tag byte, req bool) (any, error) {
			have, ty, err := r.SkipToNoCheck(tag, req)
			if err != nil || !have {
				return nil, err
			}
			if ty != tc.LIST {
				return nil, fmt.Errorf("require vector, but not")
			}
			var length int32
			if err := r.ReadInt32(&length, 0, true); err != nil {
				return nil, err
			}
			out := make([]T, length)
			var zero T
			for i := range out {
				x, err := elem(zero).tgRead(r, 0, true)
				if err != nil {
					return nil, err
				}
				out[i] = x.(T)
			}
			return out, nil
		},
	}
}

// ublob is a vector<unsigned byte>: Outpost's WriteUint8s against the LIST
// of WriteUint8 that tars2go generates.
func ublob(v []uint8) val {
	l := list("unsigned byte", v, u8)
	l.opWrite = func(w *codec.Writer, tag byte) { w.WriteUint8s(tag, v) }
	l.opRead = func(r *codec.Reader, tag byte, req bool) (any, error) {
		var x []uint8
		err := r.ReadUint8s(&x, tag, req)
		return x, err
	}
	return l
}

// dict builds a map<K,V>.
func dict[K comparable, V any](name string, m map[K]V, key func(K) val, value func(V) val) val {
	return val{
		name: fmt.Sprintf("map<%s>(len %d)", name, len(m)), want: m, ordered: len(m) < 2,
		opWrite: func(w *codec.Writer, tag byte) {
			w.WriteMapHead(tag, len(m))
			for k, v := range m {
				key(k).opWrite(w, 0)
				value(v).opWrite(w, 1)
			}
		},
		opRead: func(r *codec.Reader, tag byte, req bool) (any, error) {
			n, ok, err := r.ReadMapHead(tag, req)
			if !ok {
				return nil, err
			}
			out := make(map[K]V, n)
			var zk K
			var zv V
			for range n {
				k, err := key(zk).opRead(r, 0, true)
				if err != nil {
					return nil, err
				}
				v, err := value(zv).opRead(r, 1, true)
				if err != nil {
					return nil, err
				}
				out[k.(K)] = v.(V)
			}
			return out, nil
		},
		tgWrite: func(b *tc.Buffer, tag byte) error {
			if err := b.WriteHead(tc.MAP, tag); err != nil {
				return err
			}
			if err := b.WriteInt32(int32(len(m)), 0); err != nil {
				return err
			}
			for k, v := range m {
				if err := key(k).tgWrite(b, 0); err != nil {
					return err
				}
				if err := value(v).tgWrite(b, 1); err != nil {
					return err
				}
			}
			return nil
		},
		tgRead: func(r *tc.Reader, tag byte, req bool) (any, error) {
			have, err := r.SkipTo(tc.MAP, tag, req)
			if err != nil || !have {
				return nil, err
			}
			var length int32
			if err := r.ReadInt32(&length, 0, true); err != nil {
				return nil, err
			}
			out := make(map[K]V)
			var zk K
			var zv V
			for range length {
				k, err := key(zk).tgRead(r, 0, true)
				if err != nil {
					return nil, err
				}
				v, err := value(zv).tgRead(r, 1, true)
				if err != nil {
					return nil, err
				}
				out[k.(K)] = v.(V)
			}
			return out, nil
		},
	}
}

// primitives lists every scalar type with its edge values.
func primitives() []val {
	nan32, nan64 := float32(math.NaN()), math.NaN()
	negZero := math.Copysign(0, -1)
	vals := []val{boolean(false), boolean(true)}
	for _, v := range []int8{math.MinInt8, -1, 0, 1, math.MaxInt8} {
		vals = append(vals, i8(v))
	}
	for _, v := range []int16{math.MinInt16, math.MinInt8 - 1, math.MaxInt8 + 1, math.MaxInt16} {
		vals = append(vals, i16(v))
	}
	for _, v := range []int32{math.MinInt32, math.MinInt16 - 1, math.MaxInt16 + 1, math.MaxInt32} {
		vals = append(vals, i32(v))
	}
	for _, v := range []int64{math.MinInt64, math.MinInt32 - 1, math.MaxInt32 + 1, math.MaxInt64, 0} {
		vals = append(vals, i64(v))
	}
	for _, v := range []uint8{0, math.MaxInt8, math.MaxInt8 + 1, math.MaxUint8} {
		vals = append(vals, u8(v))
	}
	for _, v := range []uint16{0, math.MaxInt16, math.MaxInt16 + 1, math.MaxUint16} {
		vals = append(vals, u16(v))
	}
	for _, v := range []uint32{0, math.MaxInt32, math.MaxInt32 + 1, math.MaxUint32} {
		vals = append(vals, u32(v))
	}
	for _, v := range []float32{0, float32(negZero), 1.5, nan32, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, math.SmallestNonzeroFloat32} {
		vals = append(vals, f32(v))
	}
	for _, v := range []float64{0, negZero, -2.5, nan64, math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64} {
		vals = append(vals, f64(v))
	}
	for _, n := range []int{0, 1, 255, 256, 70000} {
		vals = append(vals, str(strings.Repeat("é", n/2)+strings.Repeat("x", n%2)))
	}
	vals = append(vals, str("\xff\xfe not UTF-8"), enum(6), enum(-1))
	return vals
}

// containers lists every container shape, empty and large.
func containers() []val {
	big := make([]int32, 100000)
	strs := make([]string, 1000)
	for i := range big {
		big[i] = int32(i*7919) - 1<<20
	}
	for i := range strs {
		strs[i] = strings.Repeat("s", i%300)
	}
	mib := bytes.Repeat([]byte{0, 1, 0x7F, 0x80, 0xFF}, (1<<20)/5+1)[:1<<20]
	counts := map[string]int32{}
	byInt := map[int32]string{}
	for i := range 5000 {
		counts[fmt.Sprint("k", i)] = int32(i - 2500)
		byInt[int32(i)<<16] = fmt.Sprint("v", i)
	}
	allBytes := make([]uint8, 256)
	for i := range allBytes {
		allBytes[i] = uint8(i)
	}
	return []val{
		list("int", []int32{}, i32), list("int", []int32{1, 1000}, i32), list("int", big, i32),
		list("string", []string{}, str), list("string", strs, str),
		list("long", []int64{math.MinInt64, 0, math.MaxInt64}, i64),
		list("vector<long>", [][]int64{{}, {1, 2}, {math.MaxInt64}}, func(v []int64) val { return list("long", v, i64) }),
		list("float", []float32{0, 1.5}, f32), list("bool", []bool{true, false}, boolean),
		blob([]byte{}), blob([]byte("abc")), blob(mib),
		ublob([]uint8{}), ublob(allBytes),
		dict("string,int", map[string]int32{}, str, i32), dict("string,int", map[string]int32{"a": 1}, str, i32),
		dict("string,int", counts, str, i32), dict("int,string", byInt, i32, str),
		dict("string,string", map[string]string{"a": "b"}, str, str),
		dict("string,vector<byte>", map[string][]byte{"x": {1, 2}, "y": {}}, str, blob),
		dict("int,map<int,int>", map[int32]map[int32]int32{1: {2: 3}}, i32,
			func(m map[int32]int32) val { return dict("int,int", m, i32, i32) }),
	}
}
