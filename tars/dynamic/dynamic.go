// Package dynamic builds the servant descriptors of IDL interfaces at run
// time, from a loaded .tars program, for tools that call (or serve) any
// interface without generated code: the call and bench tools, and later a
// gateway. The descriptors are those the generator emits, so argument
// conversion (JSON, TUP) behaves exactly as in generated servants; they
// have no Handlers.
package dynamic

import (
	"fmt"
	"slices"
	"strings"

	"github.com/outpost-edge/outpost/tars/idl"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Interface is one IDL interface.
type Interface struct {
	Name string // "Module.Interface"
	Desc *servant.ServiceDesc
}

// Load loads .tars files (and their includes, searched in includeDirs) and
// returns every interface they define.
func Load(files, includeDirs []string) ([]*Interface, error) {
	prog, err := idl.Load(&idl.Options{IncludeDirs: includeDirs}, files...)
	if err != nil {
		return nil, err
	}
	return Interfaces(prog), nil
}

// Interfaces returns the interfaces of a loaded program, in declaration
// order.
func Interfaces(prog *idl.Program) []*Interface {
	b := builder{structs: map[*idl.Struct]*servant.StructType{}}
	var out []*Interface
	for _, f := range prog.Files {
		for _, m := range f.Modules {
			for _, d := range m.Decls {
				if i, ok := d.(*idl.Interface); ok {
					out = append(out, b.iface(m.Name, i))
				}
			}
		}
	}
	return out
}

// Method finds function fn. iface, if not empty, names its interface
// ("Module.Interface" or just "Interface"); otherwise fn must be defined by
// exactly one interface.
func Method(ifaces []*Interface, iface, fn string) (*Interface, *servant.MethodDesc, error) {
	var found []*Interface
	var method *servant.MethodDesc
	for _, in := range ifaces {
		if iface != "" && in.Name != iface && !strings.HasSuffix(in.Name, "."+iface) {
			continue
		}
		for i := range in.Desc.Methods {
			if in.Desc.Methods[i].Name == fn {
				found = append(found, in)
				method = &in.Desc.Methods[i]
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], method, nil
	case 0:
		var names []string
		for _, in := range ifaces {
			if iface == "" || in.Name == iface || strings.HasSuffix(in.Name, "."+iface) {
				for _, m := range in.Desc.Methods {
					names = append(names, m.Name)
				}
			}
		}
		slices.Sort(names)
		if iface != "" && len(names) == 0 {
			return nil, nil, fmt.Errorf("no interface %q in the IDL", iface)
		}
		return nil, nil, fmt.Errorf("no function %q in the IDL (functions: %s)", fn, strings.Join(names, ", "))
	}
	var names []string
	for _, in := range found {
		names = append(names, in.Name)
	}
	return nil, nil, fmt.Errorf("function %q is defined by several interfaces (%s): choose one with the interface option",
		fn, strings.Join(names, ", "))
}

type builder struct {
	structs map[*idl.Struct]*servant.StructType
}

func (b *builder) iface(module string, in *idl.Interface) *Interface {
	desc := &servant.ServiceDesc{Name: module + "." + in.Name}
	for _, f := range in.Funcs {
		m := servant.MethodDesc{Name: f.Name}
		if f.Ret != nil {
			m.Ret = b.typ(f.Ret)
		}
		for _, p := range f.Params {
			m.Params = append(m.Params, servant.Param{Name: p.Name, Type: b.typ(p.Type), Out: p.Out})
		}
		desc.Methods = append(desc.Methods, m)
	}
	return &Interface{Name: desc.Name, Desc: desc}
}

var basic = map[idl.Kind]*servant.Type{
	idl.KindBool: servant.TypeBool, idl.KindByte: servant.TypeByte, idl.KindUByte: servant.TypeUByte,
	idl.KindShort: servant.TypeShort, idl.KindUShort: servant.TypeUShort, idl.KindInt: servant.TypeInt,
	idl.KindUInt: servant.TypeUInt, idl.KindLong: servant.TypeLong, idl.KindFloat: servant.TypeFloat,
	idl.KindDouble: servant.TypeDouble, idl.KindString: servant.TypeString,
}

func (b *builder) typ(t *idl.Type) *servant.Type {
	switch t.Kind {
	case idl.KindVector:
		return servant.VectorOf(b.typ(t.Elem))
	case idl.KindMap:
		return servant.MapOf(b.typ(t.Key), b.typ(t.Elem))
	case idl.KindStruct:
		return servant.StructOf(b.structType(t.Struct))
	case idl.KindEnum:
		return servant.EnumOf(t.Enum.Module().Name + "." + t.Enum.Name)
	}
	return basic[t.Kind]
}

// structType returns s's descriptor, registering it before its fields so
// that recursive structs terminate.
func (b *builder) structType(s *idl.Struct) *servant.StructType {
	if st, ok := b.structs[s]; ok {
		return st
	}
	st := &servant.StructType{Name: s.Module().Name + "." + s.Name}
	b.structs[s] = st
	fields := slices.Clone(s.Fields)
	slices.SortFunc(fields, func(a, b *idl.Field) int { return a.Tag - b.Tag })
	for _, f := range fields {
		st.Fields = append(st.Fields, servant.Field{
			Tag: byte(f.Tag), Name: f.Name, Type: b.typ(f.Type), Require: f.Require,
			Default: defaultValue(f.Type, f.Default),
		})
	}
	return st
}

// defaultValue converts an IDL default as servant.Field expects it: bool,
// int64 (enums too), float64 or string.
func defaultValue(t *idl.Type, v *idl.Value) any {
	if v == nil {
		return nil
	}
	switch t.Kind {
	case idl.KindEnum:
		if v.Member != nil {
			return int64(v.Member.Number)
		}
		n, _ := v.Int64()
		return n
	case idl.KindBool:
		return v.Bool
	case idl.KindString:
		return v.Str
	case idl.KindFloat, idl.KindDouble:
		return v.Float
	}
	n, _ := v.Int64()
	return n
}
