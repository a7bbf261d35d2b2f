package servant

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/outpost-edge/outpost/tars/codec"
)

// JSON protocol (iVersion 5) value conventions, those of TarsCpp's
// TarsJson.h with a few lenient extensions on input:
//
//   - structs are objects keyed by IDL member names; unknown members are
//     ignored, absent or null optional members take their default, and an
//     absent required member is an error (as tars2cpp's readFromJson);
//   - numbers are JSON numbers, written exactly (int64 never goes through a
//     float64, TarsGo #267). On input integers may also be quoted, and
//     integral floats (1e3) are accepted;
//   - bool is true/false; enums are their int32 value;
//   - every vector is an array, vector<byte> and vector<unsigned byte>
//     included (vector<byte> elements are signed, -128..127). On input a
//     byte vector may also be a base64 string, which is what TarsGo's
//     encoding/json produces for vector<unsigned byte>;
//   - maps are objects. Keys of bool and number types are their decimal
//     text ("true"/"false" for bool; "1"/"0" are accepted); keys of struct,
//     vector and map types, which TarsCpp refuses, are the key's JSON text;
//   - NaN and infinities, which JSON lacks, are the strings "NaN",
//     "Infinity" and "-Infinity".

// jsonToArgs builds the positional stream of m's in-parameters from a JSON
// object keyed by parameter name.
func jsonToArgs(m *MethodDesc, body []byte) ([]byte, error) {
	obj, err := decodeJSONObject(body)
	if err != nil {
		return nil, err
	}
	w := codec.NewWriter(nil)
	for i, p := range m.Params {
		if p.Out {
			continue
		}
		v := obj[p.Name]
		if v == nil {
			return nil, fmt.Errorf("JSON argument %q missing", p.Name)
		}
		if err := writeJSONValue(w, p.Type, byte(i+1), v, p.Name); err != nil {
			return nil, err
		}
	}
	return w.Bytes(), w.Err()
}

func decodeJSONObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("JSON arguments: %w", err)
	}
	if dec.More() {
		return nil, errors.New("JSON arguments: data after the object")
	}
	return obj, nil
}

// writeJSONValue writes the decoded JSON value v, of IDL type t, at tag.
// path names the value in error messages.
func writeJSONValue(w *codec.Writer, t *Type, tag byte, v any, path string) error {
	bad := func(want string) error {
		return fmt.Errorf("JSON %s: want %s, got %s", path, want, jsonKind(v))
	}
	switch t.Kind {
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return bad("bool")
		}
		w.WriteBool(tag, b)
	case KindByte, KindUByte, KindShort, KindUShort, KindInt, KindUInt, KindLong, KindEnum:
		r := intRanges[t.Kind]
		n, err := jsonInt(v, r[0], r[1])
		if err != nil {
			return fmt.Errorf("JSON %s: %w", path, err)
		}
		w.WriteInt64(tag, n) // every integer kind compacts the same way
	case KindFloat, KindDouble:
		f, err := jsonFloat(v)
		if err != nil {
			return fmt.Errorf("JSON %s: %w", path, err)
		}
		if t.Kind == KindFloat {
			w.WriteFloat32(tag, float32(f))
		} else {
			w.WriteFloat64(tag, f)
		}
	case KindString:
		s, ok := v.(string)
		if !ok {
			return bad("string")
		}
		w.WriteString(tag, s)
	case KindVector:
		if k := t.Elem.Kind; k == KindByte || k == KindUByte {
			b, err := jsonBytes(v, k)
			if err != nil {
				return fmt.Errorf("JSON %s: %w", path, err)
			}
			if k == KindByte {
				w.WriteBytes(tag, b)
			} else {
				w.WriteUint8s(tag, b)
			}
			return nil
		}
		arr, ok := v.([]any)
		if !ok {
			return bad("array")
		}
		w.WriteListHead(tag, len(arr))
		for i, e := range arr {
			if err := writeJSONValue(w, t.Elem, 0, e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case KindMap:
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		w.WriteMapHead(tag, len(obj))
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			kp := path + "[" + strconv.Quote(k) + "]"
			key, err := jsonKeyValue(t.Key, k)
			if err != nil {
				return fmt.Errorf("JSON %s: key: %w", kp, err)
			}
			if err := writeJSONValue(w, t.Key, 0, key, kp+" key"); err != nil {
				return err
			}
			if err := writeJSONValue(w, t.Elem, 1, obj[k], kp); err != nil {
				return err
			}
		}
	case KindStruct:
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		w.WriteStructBegin(tag)
		for _, f := range t.Struct.Fields {
			fv := obj[f.Name]
			if fv == nil {
				if f.Require {
					return fmt.Errorf("JSON %s.%s: required member missing", path, f.Name)
				}
				continue
			}
			if err := writeJSONValue(w, f.Type, f.Tag, fv, path+"."+f.Name); err != nil {
				return err
			}
		}
		w.WriteStructEnd()
	default:
		return fmt.Errorf("JSON %s: invalid type descriptor (kind %d)", path, t.Kind)
	}
	return nil
}

var intRanges = map[Kind][2]int64{
	KindByte:   {math.MinInt8, math.MaxInt8},
	KindUByte:  {0, math.MaxUint8},
	KindShort:  {math.MinInt16, math.MaxInt16},
	KindUShort: {0, math.MaxUint16},
	KindInt:    {math.MinInt32, math.MaxInt32},
	KindUInt:   {0, math.MaxUint32},
	KindLong:   {math.MinInt64, math.MaxInt64},
	KindEnum:   {math.MinInt32, math.MaxInt32},
}

// jsonKeyValue turns an object key into the JSON value it stands for.
func jsonKeyValue(t *Type, k string) (any, error) {
	switch t.Kind {
	case KindString:
		return k, nil
	case KindBool:
		switch k {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a bool", k)
	case KindVector, KindMap, KindStruct:
		dec := json.NewDecoder(bytes.NewReader([]byte(k)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return json.Number(k), nil
}

// jsonInt converts a JSON number (or a quoted integer) to an integer in
// [lo, hi].
func jsonInt(v any, lo, hi int64) (int64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return 0, fmt.Errorf("want integer, got %s", jsonKind(v))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
			return 0, fmt.Errorf("%q is not an integer", s)
		}
		n = int64(f)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s out of range [%d, %d]", s, lo, hi)
	}
	return n, nil
}

func jsonFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.ParseFloat(string(x), 64)
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("want number, got %s", jsonKind(v))
}

// jsonBytes reads a byte vector from an array of numbers or a base64 string.
func jsonBytes(v any, kind Kind) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return base64.StdEncoding.DecodeString(x)
	case []any:
		lo := int64(0)
		if kind == KindByte {
			lo = math.MinInt8 // signed char; 128..255 accepted too
		}
		b := make([]byte, len(x))
		for i, e := range x {
			n, err := jsonInt(e, lo, math.MaxUint8)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			b[i] = byte(n)
		}
		return b, nil
	}
	return nil, fmt.Errorf("want array or base64 string, got %s", jsonKind(v))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
