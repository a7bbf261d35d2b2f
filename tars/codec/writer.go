package codec

import (
	"encoding/binary"
	"math"
)

// Writer encodes TARS fields by appending to a byte slice.
//
// Writing to memory cannot fail, so the Write methods return nothing. The
// only values that cannot be encoded at all (strings, byte slices and
// counts beyond the wire's 32-bit limits) set a sticky error reported by Err
// and are otherwise dropped. The zero Writer is ready to use.
type Writer struct {
	buf []byte
	err error

	keys      []any // scratch *[]K slices for SortedKeys
	keysInUse []int // indexes into keys, innermost last
}

// NewWriter returns a Writer that appends to buf[:0], reusing its capacity.
func NewWriter(buf []byte) *Writer { return &Writer{buf: buf[:0]} }

// Reset empties the Writer, keeping its buffer's capacity, and clears Err.
func (w *Writer) Reset() { w.buf, w.err, w.keysInUse = w.buf[:0], nil, w.keysInUse[:0] }

// Bytes returns the encoded bytes. They alias the Writer's buffer and are
// valid until the next write or Reset.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of bytes written.
func (w *Writer) Len() int { return len(w.buf) }

// Err returns the first error recorded by a write (always wraps ErrTooLarge),
// or nil.
func (w *Writer) Err() error { return w.err }

// Grow ensures room for n more bytes without reallocating.
func (w *Writer) Grow(n int) {
	if cap(w.buf)-len(w.buf) < n {
		nb := make([]byte, len(w.buf), 2*cap(w.buf)+n)
		copy(nb, w.buf)
		w.buf = nb
	}
}

// WriteRaw appends p verbatim, without a head. It is meant for bytes that
// are already encoded fields.
func (w *Writer) WriteRaw(p []byte) { w.buf = append(w.buf, p...) }

// WriteHead writes a field head: one byte for tags below 15, two otherwise.
func (w *Writer) WriteHead(typ Type, tag byte) { w.buf = appendHead(w.buf, typ, tag) }

// WriteBool writes v as int8: false as ZERO_TAG, true as BYTE 1.
func (w *Writer) WriteBool(tag byte, v bool) {
	if v {
		w.WriteHead(TypeByte, tag)
		w.buf = append(w.buf, 1)
	} else {
		w.WriteHead(TypeZero, tag)
	}
}

// WriteInt8 writes v compacted (ZERO_TAG for 0).
func (w *Writer) WriteInt8(tag byte, v int8) { w.WriteInt64(tag, int64(v)) }

// WriteInt16 writes v in the narrowest integer type that holds it.
func (w *Writer) WriteInt16(tag byte, v int16) { w.WriteInt64(tag, int64(v)) }

// WriteInt32 writes v in the narrowest integer type that holds it. Enums are
// written with WriteInt32.
func (w *Writer) WriteInt32(tag byte, v int32) { w.WriteInt64(tag, int64(v)) }

// WriteInt64 writes v in the narrowest integer type that holds it: ZERO_TAG
// for 0, then BYTE, SHORT, INT or LONG.
func (w *Writer) WriteInt64(tag byte, v int64) {
	typ, n := intType(v)
	buf := w.buf
	if l := len(buf); tag < 15 && cap(buf)-l >= 9 {
		// Fast path: one capacity check for head and payload. Store the
		// head and all eight bytes of v shifted so that its low n bytes
		// come first, big-endian, then keep the 1+n bytes.
		b := buf[l : l+9]
		b[0] = tag<<4 | byte(typ)
		binary.BigEndian.PutUint64(b[1:], uint64(v)<<(64-8*n))
		w.buf = buf[:l+1+n]
		return
	}
	buf = appendHead(buf, typ, tag)
	w.buf = binary.BigEndian.AppendUint64(buf, uint64(v)<<(64-8*n))[:len(buf)+n]
}

// intType returns the narrowest integer type holding v and its payload size.
func intType(v int64) (Type, int) {
	switch {
	case v == 0:
		return TypeZero, 0
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return TypeByte, 1
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return TypeShort, 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return TypeInt, 4
	}
	return TypeLong, 8
}

func appendHead(buf []byte, typ Type, tag byte) []byte {
	if tag < 15 {
		return append(buf, tag<<4|byte(typ))
	}
	return append(buf, 0xF0|byte(typ), tag)
}

// WriteUint8 writes an IDL unsigned byte, widened to short.
func (w *Writer) WriteUint8(tag byte, v uint8) { w.WriteInt64(tag, int64(v)) }

// WriteUint16 writes an IDL unsigned short, widened to int.
func (w *Writer) WriteUint16(tag byte, v uint16) { w.WriteInt64(tag, int64(v)) }

// WriteUint32 writes an IDL unsigned int, widened to long.
func (w *Writer) WriteUint32(tag byte, v uint32) { w.WriteInt64(tag, int64(v)) }

// WriteFloat32 writes v as FLOAT; floats are never compacted.
func (w *Writer) WriteFloat32(tag byte, v float32) {
	w.buf = binary.BigEndian.AppendUint32(appendHead(w.buf, TypeFloat, tag), math.Float32bits(v))
}

// WriteFloat64 writes v as DOUBLE; doubles are never compacted.
func (w *Writer) WriteFloat64(tag byte, v float64) {
	w.buf = binary.BigEndian.AppendUint64(appendHead(w.buf, TypeDouble, tag), math.Float64bits(v))
}

// WriteString writes v as STRING1 if it is at most 255 bytes long and as
// STRING4 otherwise. The bytes are not checked for UTF-8.
func (w *Writer) WriteString(tag byte, v string) {
	buf := w.buf
	switch {
	case len(v) <= math.MaxUint8 && tag < 15:
		buf = append(buf, tag<<4|byte(TypeString1), byte(len(v)))
	case len(v) <= math.MaxUint8:
		buf = append(buf, 0xF0|byte(TypeString1), tag, byte(len(v)))
	case uint64(len(v)) <= math.MaxUint32:
		buf = binary.BigEndian.AppendUint32(appendHead(buf, TypeString4, tag), uint32(len(v)))
	default:
		w.fail(tag, "string longer than 4 GiB")
		return
	}
	w.buf = append(buf, v...)
}

// WriteBytes writes an IDL vector<byte> as a SIMPLE_LIST.
func (w *Writer) WriteBytes(tag byte, v []byte) {
	if uint64(len(v)) > math.MaxInt32 {
		w.fail(tag, "byte vector longer than 2 GiB")
		return
	}
	w.buf = append(appendHead(w.buf, TypeSimpleList, tag), byte(TypeByte)) // nested head: BYTE at tag 0
	w.WriteInt64(0, int64(len(v)))
	w.buf = append(w.buf, v...)
}

// WriteUint8s writes an IDL vector<unsigned byte>: a LIST whose elements are
// compacted shorts (0 as ZERO_TAG, 1-127 as BYTE, 128-255 as SHORT), as
// tars2go and tars2cpp do. It is not a SIMPLE_LIST.
func (w *Writer) WriteUint8s(tag byte, v []uint8) {
	if !w.WriteListHead(tag, len(v)) {
		return
	}
	for _, b := range v {
		w.WriteInt64(0, int64(b))
	}
}

// WriteListHead writes a LIST head and the element count n. The caller then
// writes n elements at tag 0. It reports false (and sets Err) if n does not
// fit the wire's int32 count.
func (w *Writer) WriteListHead(tag byte, n int) bool {
	if uint64(n) > math.MaxInt32 {
		w.fail(tag, "list count beyond int32")
		return false
	}
	w.WriteHead(TypeList, tag)
	w.WriteInt64(0, int64(n))
	return true
}

// WriteMapHead writes a MAP head and the entry count n. The caller then
// writes n pairs: each key at tag 0, then its value at tag 1. It reports
// false (and sets Err) if n does not fit the wire's int32 count.
func (w *Writer) WriteMapHead(tag byte, n int) bool {
	if uint64(n) > math.MaxInt32 {
		w.fail(tag, "map count beyond int32")
		return false
	}
	w.WriteHead(TypeMap, tag)
	w.WriteInt64(0, int64(n))
	return true
}

// WriteStructBegin writes STRUCT_BEGIN at tag. The struct's fields follow in
// ascending tag order, then WriteStructEnd.
func (w *Writer) WriteStructBegin(tag byte) { w.WriteHead(TypeStructBegin, tag) }

// WriteStructEnd writes STRUCT_END (always at tag 0: the byte 0x0B).
func (w *Writer) WriteStructEnd() { w.buf = append(w.buf, byte(TypeStructEnd)) }

// WriteStruct writes s framed as a nested struct at tag: STRUCT_BEGIN, the
// fields written by s.WriteFields, STRUCT_END.
//
// The call through the Struct interface makes *s escape to the heap. Where
// s is a copy (a map key or value, a range variable), call
// WriteStructBegin, the concrete WriteFields and WriteStructEnd instead;
// that allocates nothing.
func (w *Writer) WriteStruct(tag byte, s Struct) error {
	w.WriteStructBegin(tag)
	if err := s.WriteFields(w); err != nil {
		return err
	}
	w.WriteStructEnd()
	return nil
}

func (w *Writer) fail(tag byte, msg string) {
	if w.err == nil {
		w.err = &Error{Err: ErrTooLarge, Offset: len(w.buf), Tag: int(tag), Msg: msg}
	}
}
