package tup

import (
	"errors"

	"github.com/outpost-edge/outpost/tars/codec"
)

// Value is the set of Go types PutValue and GetValue handle: the IDL
// scalars and string, and []byte for vector<byte>.
type Value interface {
	bool | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | float32 | float64 | string | []byte
}

// TypeName returns the version 2 type name of a Value type: "bool", "char",
// "short", "int32", "int64", "float", "double", "string" or "list<char>".
// Unsigned types use their widened name (uint8 is "short").
func TypeName[T Value]() string {
	var z T
	switch any(z).(type) {
	case bool:
		return "bool"
	case int8:
		return "char"
	case int16, uint8:
		return "short"
	case int32, uint16:
		return "int32"
	case int64, uint32:
		return "int64"
	case float32:
		return "float"
	case float64:
		return "double"
	case string:
		return "string"
	}
	return "list<char>"
}

// PutValue encodes v at tag 0 and stores it under name.
func PutValue[T Value](u *UniAttribute, name string, v T) error {
	return u.Put(name, TypeName[T](), func(w *codec.Writer) { writeValue(w, v) })
}

// GetValue decodes the value stored under name into *v.
func GetValue[T Value](u *UniAttribute, name string, v *T) error {
	return u.Get(name, func(r *codec.Reader) error { return readValue(r, v) })
}

// PutStruct stores s, framed as a nested struct at tag 0, under name.
// typeName is its version 2 name, "Module.Struct".
func PutStruct(u *UniAttribute, name, typeName string, s codec.Struct) error {
	var err error
	if perr := u.Put(name, typeName, func(w *codec.Writer) { err = w.WriteStruct(0, s) }); perr != nil {
		return perr
	}
	return err
}

// GetStruct decodes the struct stored under name into s.
func GetStruct(u *UniAttribute, name string, s codec.Struct) error {
	return u.Get(name, func(r *codec.Reader) error { return r.ReadStruct(s, 0, true) })
}

func writeValue(w *codec.Writer, v any) {
	switch x := v.(type) {
	case bool:
		w.WriteBool(0, x)
	case int8:
		w.WriteInt8(0, x)
	case int16:
		w.WriteInt16(0, x)
	case int32:
		w.WriteInt32(0, x)
	case int64:
		w.WriteInt64(0, x)
	case uint8:
		w.WriteUint8(0, x)
	case uint16:
		w.WriteUint16(0, x)
	case uint32:
		w.WriteUint32(0, x)
	case float32:
		w.WriteFloat32(0, x)
	case float64:
		w.WriteFloat64(0, x)
	case string:
		w.WriteString(0, x)
	case []byte:
		w.WriteBytes(0, x)
	}
}

func readValue(r *codec.Reader, v any) error {
	switch x := v.(type) {
	case *bool:
		return r.ReadBool(x, 0, true)
	case *int8:
		return r.ReadInt8(x, 0, true)
	case *int16:
		return r.ReadInt16(x, 0, true)
	case *int32:
		return r.ReadInt32(x, 0, true)
	case *int64:
		return r.ReadInt64(x, 0, true)
	case *uint8:
		return r.ReadUint8(x, 0, true)
	case *uint16:
		return r.ReadUint16(x, 0, true)
	case *uint32:
		return r.ReadUint32(x, 0, true)
	case *float32:
		return r.ReadFloat32(x, 0, true)
	case *float64:
		return r.ReadFloat64(x, 0, true)
	case *string:
		return r.ReadString(x, 0, true)
	case *[]byte:
		return r.ReadBytes(x, 0, true)
	}
	return errors.New("tup: unsupported value type")
}
