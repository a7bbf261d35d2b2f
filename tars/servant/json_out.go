package servant

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// resultsToJSON turns a handler's positional output into the JSON reply
// {"tars_ret": ret, "out": value, ...} (conventions in json_in.go).
func resultsToJSON(m *MethodDesc, out []byte) ([]byte, error) {
	r := codec.NewReader(out)
	b := append(make([]byte, 0, 2*len(out)+16), '{')
	var err error
	if m.Ret != nil {
		b = appendJSONString(b, protocol.TUPReturnKey)
		b = append(b, ':')
		if b, err = appendTarsValue(b, r, m.Ret, 0, true, nil); err != nil {
			return nil, err
		}
	}
	for i, p := range m.Params {
		if !p.Out {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p.Name)
		b = append(b, ':')
		if b, err = appendTarsValue(b, r, p.Type, byte(i+1), true, nil); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendTarsValue reads the field at tag, of IDL type t, and appends it as
// JSON. An absent optional field is written as def (or its type's zero).
func appendTarsValue(b []byte, r *codec.Reader, t *Type, tag byte, require bool, def any) ([]byte, error) {
	switch t.Kind {
	case KindBool:
		v, _ := def.(bool)
		if err := r.ReadBool(&v, tag, require); err != nil {
			return nil, err
		}
		return strconv.AppendBool(b, v), nil
	case KindByte, KindUByte, KindShort, KindUShort, KindInt, KindUInt, KindLong, KindEnum:
		v, err := readInt(r, t.Kind, tag, require, def)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(b, v, 10), nil
	case KindFloat:
		d, _ := def.(float64)
		v := float32(d)
		if err := r.ReadFloat32(&v, tag, require); err != nil {
			return nil, err
		}
		return appendJSONFloat(b, float64(v), 32), nil
	case KindDouble:
		v, _ := def.(float64)
		if err := r.ReadFloat64(&v, tag, require); err != nil {
			return nil, err
		}
		return appendJSONFloat(b, v, 64), nil
	case KindString:
		v, _ := def.(string)
		if err := r.ReadString(&v, tag, require); err != nil {
			return nil, err
		}
		return appendJSONString(b, v), nil
	case KindVector:
		return appendTarsVector(b, r, t, tag, require)
	case KindMap:
		return appendTarsMap(b, r, t, tag, require)
	case KindStruct:
		present, err := r.ReadStructBegin(tag, require)
		if err != nil {
			return nil, err
		}
		if !present {
			return appendZeroJSON(b, t, nil), nil
		}
		b = append(b, '{')
		for i, f := range t.Struct.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Name)
			b = append(b, ':')
			if b, err = appendTarsValue(b, r, f.Type, f.Tag, f.Require, f.Default); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), r.SkipToStructEnd()
	}
	return nil, fmt.Errorf("invalid type descriptor (kind %d)", t.Kind)
}

// readInt reads an integer kind with the reader method of its width, so
// that wire values too wide for the IDL type are rejected.
func readInt(r *codec.Reader, k Kind, tag byte, require bool, def any) (int64, error) {
	d, _ := def.(int64)
	var err error
	switch k {
	case KindByte:
		v := int8(d)
		err = r.ReadInt8(&v, tag, require)
		d = int64(v)
	case KindUByte:
		v := uint8(d)
		err = r.ReadUint8(&v, tag, require)
		d = int64(v)
	case KindShort:
		v := int16(d)
		err = r.ReadInt16(&v, tag, require)
		d = int64(v)
	case KindUShort:
		v := uint16(d)
		err = r.ReadUint16(&v, tag, require)
		d = int64(v)
	case KindInt, KindEnum:
		v := int32(d)
		err = r.ReadInt32(&v, tag, require)
		d = int64(v)
	case KindUInt:
		v := uint32(d)
		err = r.ReadUint32(&v, tag, require)
		d = int64(v)
	default:
		err = r.ReadInt64(&d, tag, require)
	}
	return d, err
}

func appendTarsVector(b []byte, r *codec.Reader, t *Type, tag byte, require bool) ([]byte, error) {
	switch t.Elem.Kind {
	case KindByte, KindUByte:
		var v []byte
		var err error
		if t.Elem.Kind == KindByte {
			err = r.ReadBytesNoCopy(&v, tag, require)
		} else {
			err = r.ReadUint8s(&v, tag, require)
		}
		if err != nil {
			return nil, err
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if t.Elem.Kind == KindByte {
				b = strconv.AppendInt(b, int64(int8(x)), 10)
			} else {
				b = strconv.AppendUint(b, uint64(x), 10)
			}
		}
		return append(b, ']'), nil
	}
	n, _, err := r.ReadListHead(tag, require)
	if err != nil {
		return nil, err
	}
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendTarsValue(b, r, t.Elem, 0, true, nil); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendTarsMap writes a map as an object with keys sorted, so that the
// output does not depend on the encoder's iteration order.
func appendTarsMap(b []byte, r *codec.Reader, t *Type, tag byte, require bool) ([]byte, error) {
	n, _, err := r.ReadMapHead(tag, require)
	if err != nil {
		return nil, err
	}
	type entry struct{ key, value []byte }
	entries := make([]entry, 0, min(n, 64))
	for range n {
		k, err := appendTarsValue(nil, r, t.Key, 0, true, nil)
		if err != nil {
			return nil, err
		}
		if t.Key.Kind != KindString { // the key's JSON text becomes a string
			k = appendJSONString(nil, string(k))
		}
		v, err := appendTarsValue(nil, r, t.Elem, 1, true, nil)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{k, v})
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return cmp.Compare(string(x.key), string(y.key)) })
	b = append(b, '{')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, e.key...), ':'), e.value...)
	}
	return append(b, '}'), nil
}

// appendZeroJSON writes the value an absent field of type t has: def, or
// the type's zero (an object of defaults for a struct).
func appendZeroJSON(b []byte, t *Type, def any) []byte {
	switch t.Kind {
	case KindBool:
		v, _ := def.(bool)
		return strconv.AppendBool(b, v)
	case KindFloat:
		v, _ := def.(float64)
		return appendJSONFloat(b, float64(float32(v)), 32)
	case KindDouble:
		v, _ := def.(float64)
		return appendJSONFloat(b, v, 64)
	case KindString:
		v, _ := def.(string)
		return appendJSONString(b, v)
	case KindVector:
		return append(b, "[]"...)
	case KindMap:
		return append(b, "{}"...)
	case KindStruct:
		b = append(b, '{')
		for i, f := range t.Struct.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Name)
			b = append(b, ':')
			b = appendZeroJSON(b, f.Type, f.Default)
		}
		return append(b, '}')
	}
	v, _ := def.(int64)
	return strconv.AppendInt(b, v, 10)
}

func appendJSONFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// appendJSONString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as with encoding/json; HTML characters are not escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
