package gen

import (
	"strconv"
	"strings"

	"github.com/outpost-edge/outpost/tars/idl"
)

// member is a struct field as the generator sees it; RPC argument and
// result structs are built from parameters with the same shape.
type member struct {
	goName  string
	idlName string
	tag     int
	require bool
	typ     *idl.Type
	def     *idl.Value

	routeKey bool    // an RPC parameter marked routekey
	pos      idl.Pos // of the IDL name, for errors
}

func (fg *fileGen) genStruct(s *idl.Struct) {
	name := exported(s.Name)
	fg.pkg.declare(fg.g, name, s.Pos, "struct "+s.Name)
	fg.pkg.declare(fg.g, "New"+name, s.Pos, "struct "+s.Name+" (constructor)")
	fg.pkg.declare(fg.g, structDescVar(s), s.Pos, "struct "+s.Name+" (descriptor)")
	var ms []member
	seen := map[string]idl.Pos{}
	for _, f := range s.Fields {
		m := member{goName: fieldName(f.Name), idlName: f.Name, tag: f.Tag, require: f.Require, typ: f.Type, def: f.Default}
		if prev, dup := seen[m.goName]; dup {
			fg.g.errorf(f.Pos, "member %s: Go name %s is already used by the member at %s", f.Name, m.goName, prev)
		}
		seen[m.goName] = f.Pos
		ms = append(ms, m)
	}

	fg.p("// %s is the TARS struct %s::%s.", name, s.Module().Name, s.Name)
	fg.p("type %s struct {", name)
	for _, m := range ms {
		fg.p("%s %s `json:%q`", m.goName, fg.goType(m.typ), m.idlName)
	}
	fg.p("}\n")

	fg.p("// New%s returns the IDL default %s.", name, name)
	fg.p("func New%s() %s {\nvar s %s\ns.ResetDefault()\nreturn s\n}\n", name, name, name)

	fg.p("// ResetDefault sets every member to its IDL default, or to the zero value.")
	fg.p("func (s *%s) ResetDefault() {", name)
	var inits []string
	for _, m := range ms {
		if m.def != nil {
			inits = append(inits, m.goName+": "+fg.valueExpr(m.typ, m.def))
		}
	}
	fg.p("*s = %s{%s}", name, strings.Join(inits, ", "))
	for _, m := range ms {
		if m.typ.Kind == idl.KindStruct {
			fg.p("s.%s.ResetDefault()", m.goName)
		}
	}
	fg.p("}\n")

	fg.genFieldCodec(name, ms, true)
	fg.genStructDesc(s, name, ms)
}

// genFieldCodec emits WriteFields and ReadFields for a struct whose members
// are ms. With defaults, ReadFields starts with ResetDefault and optional
// members are skipped on write like TarsGo does; without (RPC argument and
// result structs, all of whose members are required) neither applies.
func (fg *fileGen) genFieldCodec(name string, ms []member, defaults bool) {
	codec := fg.use("codec")
	fg.p("// WriteFields writes the members as a bare TARS field sequence, in tag order.")
	fg.p("func (s *%s) WriteFields(w *%s.Writer) error {", name, codec)
	for _, m := range ms {
		expr, tag := "s."+m.goName, strconv.Itoa(m.tag)
		if cond := fg.skipCondition(m); cond != "" && !m.require {
			fg.p("if %s {", cond)
			fg.writeValue(m.typ, expr, tag, 0)
			fg.p("}")
		} else {
			fg.writeValue(m.typ, expr, tag, 0)
		}
	}
	fg.p("return w.Err()\n}\n")

	if defaults {
		fg.p("// ReadFields resets s to its defaults, then reads a bare TARS field sequence.")
	} else {
		fg.p("// ReadFields reads a bare TARS field sequence.")
	}
	fg.p("func (s *%s) ReadFields(r *%s.Reader) error {", name, codec)
	if defaults {
		fg.p("s.ResetDefault()")
	}
	for _, m := range ms {
		fg.readValue(m.typ, "s."+m.goName, strconv.Itoa(m.tag), strconv.FormatBool(m.require), 0)
	}
	fg.p("return nil\n}\n")
}

// skipCondition returns the condition under which TarsGo writes an optional
// member, or "" if it always does (structs and enums).
func (fg *fileGen) skipCondition(m member) string {
	expr := "s." + m.goName
	switch k := m.typ.Kind; {
	case k == idl.KindVector || k == idl.KindMap:
		return "len(" + expr + ") > 0"
	case k == idl.KindStruct || k == idl.KindEnum:
		return ""
	case k == idl.KindBool:
		if m.def != nil && m.def.Bool {
			return "!" + expr
		}
		return expr
	case m.def != nil:
		return expr + " != " + fg.valueExpr(m.typ, m.def)
	case k == idl.KindString:
		return expr + ` != ""`
	}
	return expr + " != 0"
}

// genStructDesc emits the struct's runtime descriptor. Fields are filled in
// init so that structs may refer to each other in any order.
func (fg *fileGen) genStructDesc(s *idl.Struct, name string, ms []member) {
	sv := fg.use("servant")
	v := structDescVar(s)
	fg.p("var %s = &%s.StructType{Name: %q}\n", v, sv, s.Module().Name+"."+s.Name)
	fg.p("// TarsType describes %s for the RPC runtime (TUP and JSON arguments).", name)
	fg.p("func (*%s) TarsType() *%s.StructType { return %s }\n", name, sv, v)
	fg.p("func init() {")
	fg.p("%s.Fields = []%s.Field{", v, sv)
	for _, m := range ms {
		var extra string
		if m.require {
			extra += ", Require: true"
		}
		if m.def != nil {
			extra += ", Default: " + descDefault(m.typ, m.def)
		}
		fg.p("{Tag: %d, Name: %q, Type: %s%s},", m.tag, m.idlName, fg.descType(m.typ), extra)
	}
	fg.p("}\n}\n")
}
