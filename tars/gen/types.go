package gen

import (
	"strconv"

	"github.com/outpost-edge/outpost/tars/idl"
)

// goType returns the Go type of an IDL type, qualified for this file.
func (fg *fileGen) goType(t *idl.Type) string {
	switch t.Kind {
	case idl.KindVector:
		if isByteKind(t.Elem.Kind) {
			return "[]byte"
		}
		return "[]" + fg.goType(t.Elem)
	case idl.KindMap:
		if isComparable(t.Key) {
			return "map[" + fg.goType(t.Key) + "]" + fg.goType(t.Elem)
		}
		return "[]" + fg.use("servant") + ".Pair[" + fg.goType(t.Key) + ", " + fg.goType(t.Elem) + "]"
	case idl.KindStruct:
		return fg.qual(t.Struct.Module().Name) + exported(t.Struct.Name)
	case idl.KindEnum:
		return fg.qual(t.Enum.Module().Name) + exported(t.Enum.Name)
	}
	return scalarGo[t.Kind]
}

func isByteKind(k idl.Kind) bool { return k == idl.KindByte || k == idl.KindUByte }

var scalarGo = map[idl.Kind]string{
	idl.KindBool: "bool", idl.KindByte: "int8", idl.KindUByte: "uint8",
	idl.KindShort: "int16", idl.KindUShort: "uint16", idl.KindInt: "int32",
	idl.KindUInt: "uint32", idl.KindLong: "int64", idl.KindFloat: "float32",
	idl.KindDouble: "float64", idl.KindString: "string",
}

// codecName is the suffix of the codec method for a scalar kind
// (WriteInt32/ReadInt32, ...).
var codecName = map[idl.Kind]string{
	idl.KindBool: "Bool", idl.KindByte: "Int8", idl.KindUByte: "Uint8",
	idl.KindShort: "Int16", idl.KindUShort: "Uint16", idl.KindInt: "Int32",
	idl.KindUInt: "Uint32", idl.KindLong: "Int64", idl.KindFloat: "Float32",
	idl.KindDouble: "Float64", idl.KindString: "String",
}

// isComparable reports whether values of t can be Go map keys.
func isComparable(t *idl.Type) bool {
	switch t.Kind {
	case idl.KindVector, idl.KindMap:
		return false
	case idl.KindStruct:
		for _, f := range t.Struct.Fields {
			if !isComparable(f.Type) {
				return false
			}
		}
	}
	return true
}

// isOrdered reports whether t satisfies cmp.Ordered.
func isOrdered(t *idl.Type) bool {
	return t.Kind != idl.KindBool && (t.Kind.IsScalar() || t.Kind == idl.KindEnum)
}

// isNumeric reports whether t is a fixed-size number (enums included), whose
// slices can be allocated at their full length up front.
func isNumeric(t *idl.Type) bool {
	return t.Kind == idl.KindEnum || (t.Kind.IsScalar() && t.Kind != idl.KindString)
}

// descType returns the servant.Type expression describing t.
func (fg *fileGen) descType(t *idl.Type) string {
	sv := fg.use("servant")
	switch t.Kind {
	case idl.KindVector:
		return sv + ".VectorOf(" + fg.descType(t.Elem) + ")"
	case idl.KindMap:
		return sv + ".MapOf(" + fg.descType(t.Key) + ", " + fg.descType(t.Elem) + ")"
	case idl.KindStruct:
		return sv + ".StructOf(" + fg.structDescRef(t.Struct) + ")"
	case idl.KindEnum:
		return sv + ".EnumOf(" + strconv.Quote(t.Enum.Module().Name+"."+t.Enum.Name) + ")"
	}
	return sv + ".Type" + descKind[t.Kind]
}

var descKind = map[idl.Kind]string{
	idl.KindBool: "Bool", idl.KindByte: "Byte", idl.KindUByte: "UByte",
	idl.KindShort: "Short", idl.KindUShort: "UShort", idl.KindInt: "Int",
	idl.KindUInt: "UInt", idl.KindLong: "Long", idl.KindFloat: "Float",
	idl.KindDouble: "Double", idl.KindString: "String",
}

// structDescVar is the package-level variable holding a struct's descriptor.
func structDescVar(s *idl.Struct) string { return "_" + exported(s.Name) + "_tarsType" }

// structDescRef refers to a struct's descriptor from this file.
func (fg *fileGen) structDescRef(s *idl.Struct) string {
	if s.Module().Name == fg.module {
		return structDescVar(s)
	}
	return "(*" + fg.qual(s.Module().Name) + exported(s.Name) + ")(nil).TarsType()"
}

// valueExpr returns the Go expression of an IDL literal of type t.
func (fg *fileGen) valueExpr(t *idl.Type, v *idl.Value) string {
	switch {
	case t.Kind == idl.KindEnum:
		return fg.enumConst(v.Member)
	case t.Kind == idl.KindBool:
		return strconv.FormatBool(v.Bool)
	case t.Kind == idl.KindString:
		return strconv.Quote(v.Str)
	case t.Kind == idl.KindFloat || t.Kind == idl.KindDouble:
		s := strconv.FormatFloat(v.Float, 'g', -1, 64)
		return s
	}
	n, _ := v.Int64()
	return strconv.FormatInt(n, 10)
}

// descDefault returns the servant.Field Default expression of a literal.
func descDefault(t *idl.Type, v *idl.Value) string {
	switch t.Kind {
	case idl.KindEnum:
		return "int64(" + strconv.Itoa(int(v.Member.Number)) + ")"
	case idl.KindBool:
		return strconv.FormatBool(v.Bool)
	case idl.KindString:
		return strconv.Quote(v.Str)
	case idl.KindFloat, idl.KindDouble:
		return "float64(" + strconv.FormatFloat(v.Float, 'g', -1, 64) + ")"
	}
	n, _ := v.Int64()
	return "int64(" + strconv.FormatInt(n, 10) + ")"
}

// enumConst returns the Go constant of an enumerator.
func (fg *fileGen) enumConst(m *idl.EnumMember) string {
	return fg.qual(m.Enum.Module().Name) + exported(m.Enum.Name) + "_" + m.Name
}
