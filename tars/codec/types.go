package codec

import "strconv"

// Type is the 4-bit type code in a field head.
type Type byte

// The type codes of the TARS encoding. Codes 14 and 15 are unused and rejected.
const (
	TypeByte        Type = 0  // int1: 1 byte, signed
	TypeShort       Type = 1  // int2: 2 bytes, signed, big-endian
	TypeInt         Type = 2  // int4: 4 bytes, signed, big-endian
	TypeLong        Type = 3  // int8: 8 bytes, signed, big-endian
	TypeFloat       Type = 4  // IEEE-754 single, big-endian
	TypeDouble      Type = 5  // IEEE-754 double, big-endian
	TypeString1     Type = 6  // 1-byte length, then the bytes
	TypeString4     Type = 7  // 4-byte big-endian length, then the bytes
	TypeMap         Type = 8  // count at tag 0, then key@0 value@1 pairs
	TypeList        Type = 9  // count at tag 0, then elements at tag 0
	TypeStructBegin Type = 10 // fields in ascending tag order up to TypeStructEnd
	TypeStructEnd   Type = 11 // no payload; always tag 0
	TypeZero        Type = 12 // no payload; the number 0 of any numeric type
	TypeSimpleList  Type = 13 // BYTE head at tag 0, count at tag 0, raw bytes
)

// MaxTag is the largest tag a field head can carry.
const MaxTag = 255

var typeNames = [...]string{
	"BYTE", "SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "STRING1", "STRING4",
	"MAP", "LIST", "STRUCT_BEGIN", "STRUCT_END", "ZERO_TAG", "SIMPLE_LIST",
}

// String returns the spec's name for the type code.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid type " + strconv.Itoa(int(t))
}

// Valid reports whether t is one of the 14 defined type codes.
func (t Type) Valid() bool { return t <= TypeSimpleList }
