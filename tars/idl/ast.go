package idl

// File is one parsed .tars file.
type File struct {
	Name     string     // the path the file was read from
	Includes []*Include // #include directives, in source order
	Modules  []*Module  // module blocks, in source order
}

// Include is an #include "path" directive.
type Include struct {
	Pos  Pos
	Path string // as written
	File *File  // the included file; set by Load
}

// Module is one `module Name { ... };` block. A module may be opened several
// times, in one file or in several; Program.Namespaces merges the blocks.
type Module struct {
	Pos   Pos
	Name  string
	File  *File
	Decls []Decl // in source order
}

// Decl is a definition inside a module block: *Struct, *Enum, *Const,
// *Interface or *Key.
type Decl interface {
	Position() Pos
	// Module returns the block the definition appears in.
	Module() *Module
	declNode()
}

// NamedDecl is a Decl that introduces a name into its module: everything but
// *Key.
type NamedDecl interface {
	Decl
	DeclName() string
}

type declBase struct {
	Pos   Pos
	Name  string
	Block *Module
}

func (d *declBase) Position() Pos    { return d.Pos }
func (d *declBase) Module() *Module  { return d.Block }
func (d *declBase) DeclName() string { return d.Name }
func (d *declBase) declNode()        {}

// Struct is a struct definition.
type Struct struct {
	declBase
	Fields []*Field // in source order; Load leaves them sorted by tag
	Key    *Key     // the key[] directive naming this struct, set by Load
}

// Field is a struct member: `<tag> require|optional <type> <name> [= <default>];`.
type Field struct {
	Pos     Pos // of the name
	TagPos  Pos
	Tag     int
	Require bool
	Type    *Type
	Name    string
	Default *Value // nil when absent
}

// Key is a `key[Struct, f1, f2];` directive. Fields are resolved by Load.
type Key struct {
	Pos        Pos
	Block      *Module
	Qualifier  string // the module in key[Mod::Struct, ...], or ""
	StructName string
	FieldNames []Ident
	StructRef  *Struct  // resolved by Load
	Fields     []*Field // resolved by Load, in directive order
}

func (k *Key) Position() Pos   { return k.Pos }
func (k *Key) Module() *Module { return k.Block }
func (k *Key) declNode()       {}

// Ident is a name with its position.
type Ident struct {
	Pos  Pos
	Name string
}

// Enum is an enum definition.
type Enum struct {
	declBase
	Members []*EnumMember
}

// EnumMember is one enumerator. Value is nil when the member takes the
// previous value plus one; otherwise it is an integer or the name of an
// earlier member. Load sets Number.
type EnumMember struct {
	Pos    Pos
	Name   string
	Value  *Value
	Number int32
	Enum   *Enum
}

// Const is `const <type> NAME = <value>;`.
type Const struct {
	declBase
	Type  *Type
	Value *Value
}

// Interface is an RPC interface.
type Interface struct {
	declBase
	Funcs []*Func
}

// Func is one interface method.
type Func struct {
	Pos    Pos
	Name   string
	Ret    *Type // nil for void
	Params []*Param
}

// Param is a method parameter. Its wire tag is its 1-based position.
type Param struct {
	Pos      Pos // of the name
	Name     string
	Type     *Type
	Out      bool
	RouteKey bool // TarsCpp's routekey marker; no effect on the wire
}

// Kind classifies a Type.
type Kind int

// Type kinds. KindNamed is a reference that Load resolves to KindStruct or
// KindEnum.
const (
	KindInvalid Kind = iota
	KindBool
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
	KindNamed
	KindStruct
	KindEnum
)

var kindSpelling = [...]string{
	KindInvalid: "invalid", KindBool: "bool", KindByte: "byte",
	KindUByte: "unsigned byte", KindShort: "short", KindUShort: "unsigned short",
	KindInt: "int", KindUInt: "unsigned int", KindLong: "long", KindFloat: "float",
	KindDouble: "double", KindString: "string", KindVector: "vector",
	KindMap: "map", KindNamed: "named type", KindStruct: "struct", KindEnum: "enum",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindSpelling) {
		return kindSpelling[k]
	}
	return "invalid"
}

// IsInteger reports whether k is one of the integer kinds (not bool, not enum).
func (k Kind) IsInteger() bool { return k >= KindByte && k <= KindLong }

// IsScalar reports whether values of kind k may have IDL defaults and be
// constants' types: numbers, bool and string.
func (k Kind) IsScalar() bool { return k >= KindBool && k <= KindString }

// Type is a type expression.
type Type struct {
	Pos  Pos
	Kind Kind
	Elem *Type // vector element or map value
	Key  *Type // map key

	// For KindNamed, KindStruct and KindEnum: the name as written. Qualifier
	// is the module in Mod::Name, or "".
	Qualifier string
	Name      string

	Struct *Struct // KindStruct, set by Load
	Enum   *Enum   // KindEnum, set by Load
}

// String renders t in IDL syntax.
func (t *Type) String() string {
	switch t.Kind {
	case KindVector:
		return "vector<" + t.Elem.String() + ">"
	case KindMap:
		return "map<" + t.Key.String() + ", " + t.Elem.String() + ">"
	case KindNamed, KindStruct, KindEnum:
		if t.Qualifier != "" {
			return t.Qualifier + "::" + t.Name
		}
		return t.Name
	}
	return t.Kind.String()
}

// ValueKind classifies a literal.
type ValueKind int

// Literal kinds.
const (
	ValueInt ValueKind = iota + 1
	ValueFloat
	ValueString
	ValueBool
	ValueIdent // an enumerator name, possibly qualified
)

// Value is a literal in a default, const or enum value.
type Value struct {
	Pos  Pos
	Kind ValueKind
	Text string // the source spelling, including a sign

	Neg  bool   // ValueInt: a leading minus
	Mag  uint64 // ValueInt: magnitude; Overflow when it does not fit
	Over bool   // ValueInt: the magnitude exceeds uint64

	Float float64 // ValueFloat (and ValueInt, converted)
	Str   string  // ValueString, unescaped
	Bool  bool    // ValueBool

	Qualifier string // ValueIdent: Mod or Enum in Mod::NAME / Enum::NAME
	Ident     string // ValueIdent

	Member *EnumMember // ValueIdent naming an enumerator, set by Load
}

// Int64 returns an integer literal's value and whether it fits in int64.
func (v *Value) Int64() (int64, bool) {
	if v.Over {
		return 0, false
	}
	if v.Neg {
		if v.Mag > 1<<63 {
			return 0, false
		}
		return -int64(v.Mag), true
	}
	if v.Mag > 1<<63-1 {
		return 0, false
	}
	return int64(v.Mag), true
}
