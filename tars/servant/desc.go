package servant

import (
	"context"

	"github.com/outpost-edge/outpost/tars/codec"
)

// Kind is the IDL type of a value in a descriptor.
type Kind uint8

// IDL kinds. Enums are int32 on the wire.
const (
	KindBool Kind = iota + 1
	KindByte
	KindUByte // unsigned byte
	KindShort
	KindUShort // unsigned short
	KindInt
	KindUInt // unsigned int
	KindLong
	KindFloat
	KindDouble
	KindString
	KindVector
	KindMap
	KindStruct
	KindEnum
)

// Type describes an IDL type at run time. Generated code builds Types for
// RPC parameters and struct fields; the dispatcher uses them to convert
// TUP3 and JSON arguments. Types are immutable once built.
type Type struct {
	Kind   Kind
	Elem   *Type       // KindVector elements, KindMap values
	Key    *Type       // KindMap keys
	Struct *StructType // KindStruct
	Name   string      // KindEnum and KindStruct: "Module.Name"
}

// StructType describes a struct. Generated code allocates it first and
// fills Fields in an init function, so that structs can refer to each other
// (and to themselves through vectors).
type StructType struct {
	Name   string  // "Module.Struct"
	Fields []Field // in ascending tag order
}

// Field is a struct member.
type Field struct {
	Tag     byte
	Name    string // the IDL name
	Type    *Type
	Require bool
	// Default is the IDL default (bool, int64, float64 or string; enums as
	// int64), or nil: the value of an optional member that is absent.
	Default any
}

// Basic types, shared by generated descriptors.
var (
	TypeBool   = &Type{Kind: KindBool}
	TypeByte   = &Type{Kind: KindByte}
	TypeUByte  = &Type{Kind: KindUByte}
	TypeShort  = &Type{Kind: KindShort}
	TypeUShort = &Type{Kind: KindUShort}
	TypeInt    = &Type{Kind: KindInt}
	TypeUInt   = &Type{Kind: KindUInt}
	TypeLong   = &Type{Kind: KindLong}
	TypeFloat  = &Type{Kind: KindFloat}
	TypeDouble = &Type{Kind: KindDouble}
	TypeString = &Type{Kind: KindString}
)

// VectorOf returns the type vector<elem>.
func VectorOf(elem *Type) *Type { return &Type{Kind: KindVector, Elem: elem} }

// MapOf returns the type map<key, value>.
func MapOf(key, value *Type) *Type { return &Type{Kind: KindMap, Key: key, Elem: value} }

// StructOf returns the type of struct s.
func StructOf(s *StructType) *Type { return &Type{Kind: KindStruct, Struct: s, Name: s.Name} }

// EnumOf returns the type of the enum called name ("Module.Enum").
func EnumOf(name string) *Type { return &Type{Kind: KindEnum, Name: name} }

// Handler runs one method: it reads the in-parameters from in (positional
// tags, as in a version 1 request), calls impl, and writes the return value
// (tag 0) and out-parameters (positional tags) to out. Decode failures are
// reported with DecodeError, encode failures with EncodeError; other errors
// come from the implementation.
type Handler func(ctx context.Context, impl any, in *codec.Reader, out *codec.Writer) error

// ServiceDesc describes an IDL interface and how to dispatch its methods.
type ServiceDesc struct {
	Name    string // "Module.Interface"
	Methods []MethodDesc
}

// MethodDesc describes one method.
type MethodDesc struct {
	Name    string // the IDL name, which is the wire sFuncName
	Ret     *Type  // nil for void
	Params  []Param
	Handler Handler
}

// Param is a method parameter; its tag is its index plus one.
type Param struct {
	Name string
	Type *Type
	Out  bool
}

// Pair is one entry of an IDL map whose key type cannot be a Go map key
// (a vector, a map, or a struct containing one). Generated code represents
// such a map<K, V> as []Pair[K, V], in wire order.
type Pair[K, V any] struct {
	Key   K
	Value V
}
