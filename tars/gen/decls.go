package gen

import (
	"strings"

	"github.com/outpost-edge/outpost/tars/idl"
)

func (fg *fileGen) genConst(c *idl.Const) {
	name := exported(c.Name)
	fg.pkg.declare(fg.g, name, c.Pos, "const "+c.Name)
	fg.p("// %s is the TARS constant %s::%s.", name, c.Module().Name, c.Name)
	fg.p("const %s %s = %s\n", name, fg.goType(c.Type), fg.valueExpr(c.Type, c.Value))
}

func (fg *fileGen) genEnum(e *idl.Enum) {
	name := exported(e.Name)
	fg.pkg.declare(fg.g, name, e.Pos, "enum "+e.Name)
	fg.p("// %s is the TARS enum %s::%s, an int32 on the wire.", name, e.Module().Name, e.Name)
	fg.p("type %s int32\n", name)
	if len(e.Members) > 0 {
		fg.p("// Enumerators of %s.", name)
		fg.p("const (")
		for _, m := range e.Members {
			c := name + "_" + m.Name
			fg.pkg.declare(fg.g, c, m.Pos, "enumerator "+e.Name+"::"+m.Name)
			comment := ""
			if m.Value != nil && m.Value.Member != nil {
				comment = " // = " + m.Value.Member.Name
			}
			fg.p("%s %s = %d%s", c, name, m.Number, comment)
		}
		fg.p(")\n")
	}
	fg.p("// String returns the IDL name of e (the first, for aliased values).")
	fg.p("func (e %s) String() string {", name)
	if len(e.Members) > 0 {
		fg.p("switch e {")
		seen := map[int32]bool{}
		for _, m := range e.Members {
			if !seen[m.Number] {
				seen[m.Number] = true
				fg.p("case %s_%s:\nreturn %q", name, m.Name, m.Name)
			}
		}
		fg.p("}")
	}
	fg.p("return %q + %s.Itoa(int(e)) + \")\"\n}\n", name+"(", fg.use("strconv"))
}

// compareFunc names the generated comparison function of a keyed struct.
func (fg *fileGen) compareFunc(s *idl.Struct) string {
	return fg.qual(s.Module().Name) + "Compare" + exported(s.Name)
}

// genKey emits CompareS for key[S, m1, m2...]: the ordering TarsCpp derives
// from the directive, usable with slices.SortFunc and used to write maps
// keyed by S in a deterministic order.
func (fg *fileGen) genKey(k *idl.Key) {
	s := k.StructRef
	name := exported(s.Name)
	fn := "Compare" + name
	fg.pkg.declare(fg.g, fn, k.Pos, "key["+s.Name+"]")
	var names []string
	for _, f := range k.Fields {
		names = append(names, f.Name)
	}
	fg.p("// %s orders %s values by their key[%s] members, returning -1, 0 or +1.", fn, name, strings.Join(names, ", "))
	fg.p("func %s(a, b %s) int {", fn, name)
	for _, f := range k.Fields {
		a, b := "a."+fieldName(f.Name), "b."+fieldName(f.Name)
		switch t := f.Type; {
		case t.Kind == idl.KindBool:
			fg.p("if %s != %s {\nif %s {\nreturn 1\n}\nreturn -1\n}", a, b, a)
		case isOrdered(t):
			fg.p("if c := %s.Compare(%s, %s); c != 0 {\nreturn c\n}", fg.use("cmp"), a, b)
		case t.Kind == idl.KindStruct && t.Struct.Key != nil:
			fg.p("if c := %s(%s, %s); c != 0 {\nreturn c\n}", fg.compareFunc(t.Struct), a, b)
		default:
			fg.g.errorf(k.Pos, "key[%s]: member %s has type %s, which the Go generator cannot order (use scalars, strings, enums or keyed structs)", k.StructName, f.Name, t)
		}
	}
	fg.p("return 0\n}\n")
}
