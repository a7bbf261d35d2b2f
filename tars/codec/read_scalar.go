package codec

import (
	"encoding/binary"
	"math"
	"strconv"
	"unsafe"
)

// readInt locates the integer field at tag and reads it, accepting ZERO_TAG
// and the integer types up to max (narrower values are sign-extended). If
// the field is absent, or on error, it returns def: callers pass the
// variable's current value and store the result unconditionally, which
// keeps the Read methods below within the inlining budget.
func (r *Reader) readInt(tag byte, require bool, max Type, def int64) (int64, error) {
	// Fast path: the next field is the wanted one, with a one-byte head and
	// an acceptable type, and at least 8 bytes follow the head: load them
	// and keep the payload's n top bytes, sign-extended.
	if off := r.off; off+9 <= len(r.buf) && tag < 15 {
		h := r.buf[off]
		if typ := Type(h & 0x0F); h>>4 == tag && typ <= max {
			n := 1 << typ
			r.off = off + 1 + n
			return int64(binary.BigEndian.Uint64(r.buf[off+1:])) >> (64 - 8*n), nil
		} else if h == tag<<4|byte(TypeZero) {
			r.off = off + 1
			return 0, nil
		}
	}
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return def, err
	}
	v, err := r.intPayload(typ, max, tag)
	if err != nil {
		return def, err
	}
	return v, nil
}

// readUint reads an unsigned IDL type from its widened wire type and checks
// that the value fits; like readInt it returns def if the field is absent
// or on error.
func (r *Reader) readUint(tag byte, require bool, wire Type, limit, def int64) (int64, error) {
	v, err := r.readInt(tag, require, wire, def)
	if err == nil && (v < 0 || v > limit) {
		return def, &Error{Err: ErrRange, Offset: r.off, Tag: int(tag),
			Expected: "value in [0, " + strconv.FormatInt(limit, 10) + "]", Got: strconv.FormatInt(v, 10)}
	}
	return v, err
}

// ReadBool reads an int8 field at tag; any non-zero value is true.
func (r *Reader) ReadBool(v *bool, tag byte, require bool) error {
	var def int64
	if *v {
		def = 1
	}
	x, err := r.readInt(tag, require, TypeByte, def)
	*v = x != 0
	return err
}

// ReadInt8 reads the field at tag from ZERO_TAG or BYTE.
func (r *Reader) ReadInt8(v *int8, tag byte, require bool) error {
	x, err := r.readInt(tag, require, TypeByte, int64(*v))
	*v = int8(x)
	return err
}

// ReadInt16 reads the field at tag from ZERO_TAG, BYTE or SHORT.
func (r *Reader) ReadInt16(v *int16, tag byte, require bool) error {
	x, err := r.readInt(tag, require, TypeShort, int64(*v))
	*v = int16(x)
	return err
}

// ReadInt32 reads the field at tag from ZERO_TAG, BYTE, SHORT or INT. Enums
// are read with ReadInt32.
func (r *Reader) ReadInt32(v *int32, tag byte, require bool) error {
	x, err := r.readInt(tag, require, TypeInt, int64(*v))
	*v = int32(x)
	return err
}

// ReadInt64 reads the field at tag from any integer type.
func (r *Reader) ReadInt64(v *int64, tag byte, require bool) error {
	x, err := r.readInt(tag, require, TypeLong, *v)
	*v = x
	return err
}

// ReadUint8 reads an IDL unsigned byte (wire short); values outside
// [0, 255] fail with ErrRange.
func (r *Reader) ReadUint8(v *uint8, tag byte, require bool) error {
	x, err := r.readUint(tag, require, TypeShort, math.MaxUint8, int64(*v))
	*v = uint8(x)
	return err
}

// ReadUint16 reads an IDL unsigned short (wire int); values outside
// [0, 65535] fail with ErrRange.
func (r *Reader) ReadUint16(v *uint16, tag byte, require bool) error {
	x, err := r.readUint(tag, require, TypeInt, math.MaxUint16, int64(*v))
	*v = uint16(x)
	return err
}

// ReadUint32 reads an IDL unsigned int (wire long); values outside
// [0, 2^32-1] fail with ErrRange.
func (r *Reader) ReadUint32(v *uint32, tag byte, require bool) error {
	x, err := r.readUint(tag, require, TypeLong, math.MaxUint32, int64(*v))
	*v = uint32(x)
	return err
}

// ReadFloat32 reads the field at tag from FLOAT or ZERO_TAG.
func (r *Reader) ReadFloat32(v *float32, tag byte, require bool) error {
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return err
	}
	switch typ {
	case TypeZero:
		*v = 0
	case TypeFloat:
		b, err := r.take(4, tag)
		if err != nil {
			return err
		}
		*v = math.Float32frombits(binary.BigEndian.Uint32(b))
	default:
		return r.errMismatch(typ, "float (ZERO_TAG or FLOAT)", tag)
	}
	return nil
}

// ReadFloat64 reads the field at tag from DOUBLE, FLOAT or ZERO_TAG.
func (r *Reader) ReadFloat64(v *float64, tag byte, require bool) error {
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return err
	}
	switch typ {
	case TypeZero:
		*v = 0
	case TypeFloat:
		b, err := r.take(4, tag)
		if err != nil {
			return err
		}
		*v = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	case TypeDouble:
		b, err := r.take(8, tag)
		if err != nil {
			return err
		}
		*v = math.Float64frombits(binary.BigEndian.Uint64(b))
	default:
		return r.errMismatch(typ, "double (ZERO_TAG, FLOAT or DOUBLE)", tag)
	}
	return nil
}

// readString locates a STRING1 or STRING4 field and returns its bytes,
// which alias the input.
func (r *Reader) readString(tag byte, require bool) ([]byte, bool, error) {
	// Fast path: the next field is the wanted STRING1, complete.
	if off := r.off; tag < 15 && off+1 < len(r.buf) && r.buf[off] == tag<<4|byte(TypeString1) {
		if end := off + 2 + int(r.buf[off+1]); end <= len(r.buf) {
			r.off = end
			return r.buf[off+2 : end : end], true, nil
		}
	}
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return nil, false, err
	}
	if typ != TypeString1 && typ != TypeString4 {
		return nil, false, r.errMismatch(typ, "string (STRING1 or STRING4)", tag)
	}
	b, err := r.stringPayload(typ, tag)
	return b, err == nil, err
}

// ReadString reads a STRING1 or STRING4 field into a new string (or, in
// no-copy mode, into a string aliasing the input).
func (r *Reader) ReadString(v *string, tag byte, require bool) error {
	b, ok, err := r.readString(tag, require)
	if ok {
		if r.noCopy {
			*v = unsafe.String(unsafe.SliceData(b), len(b))
		} else {
			*v = string(b)
		}
	}
	return err
}

// ReadStringNoCopy is ReadString without the copy: *v aliases the input,
// which must then stay unmodified for as long as *v is used.
func (r *Reader) ReadStringNoCopy(v *string, tag byte, require bool) error {
	b, ok, err := r.readString(tag, require)
	if ok {
		*v = unsafe.String(unsafe.SliceData(b), len(b))
	}
	return err
}
