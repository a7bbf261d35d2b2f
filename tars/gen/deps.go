package gen

import (
	"slices"
	"strings"

	"github.com/outpost-edge/outpost/tars/idl"
)

// walkTypes calls fn for every type a definition mentions, nested types
// included, and for the enum of every enumerator used as a default.
func walkTypes(d idl.Decl, fn func(t *idl.Type)) {
	var visit func(t *idl.Type)
	visit = func(t *idl.Type) {
		if t == nil {
			return
		}
		fn(t)
		visit(t.Key)
		visit(t.Elem)
	}
	switch d := d.(type) {
	case *idl.Struct:
		for _, f := range d.Fields {
			visit(f.Type)
			if f.Default != nil && f.Default.Member != nil {
				fn(&idl.Type{Pos: f.Default.Pos, Kind: idl.KindEnum, Enum: f.Default.Member.Enum})
			}
		}
	case *idl.Interface:
		for _, f := range d.Funcs {
			visit(f.Ret)
			for _, p := range f.Params {
				visit(p.Type)
			}
		}
	case *idl.Key:
		for _, f := range d.Fields {
			visit(f.Type)
		}
	}
}

// moduleOf returns the module defining a struct or enum type, or "".
func moduleOf(t *idl.Type) string {
	switch t.Kind {
	case idl.KindStruct:
		return t.Struct.Module().Name
	case idl.KindEnum:
		return t.Enum.Module().Name
	}
	return ""
}

// checkDeps reports references the Go packages cannot express: to another
// module when there is no import path for it, and cycles of modules
// referring to each other, whose Go packages would import each other.
func (g *generator) checkDeps() {
	type edge struct {
		to  string
		pos idl.Pos
	}
	deps := map[string][]edge{}
	for _, f := range g.prog.Files {
		for _, m := range f.Modules {
			for _, d := range m.Decls {
				walkTypes(d, func(t *idl.Type) {
					to := moduleOf(t)
					if to == "" || to == m.Name || slices.ContainsFunc(deps[m.Name], func(e edge) bool { return e.to == to }) {
						return
					}
					deps[m.Name] = append(deps[m.Name], edge{to, t.Pos})
					if g.pkgs[to].importPath == "" && !g.pkgs[m.Name].external {
						g.errorf(t.Pos, "module %s refers to module %s: set the import prefix (-module-prefix) so that generated packages can import each other", m.Name, to)
					}
				})
			}
		}
	}
	// Depth-first search; a back edge closes a cycle, reported at the
	// reference that closes it.
	state := map[string]int{} // 0 new, 1 on stack, 2 done
	var stack []string
	var visit func(mod string)
	visit = func(mod string) {
		state[mod] = 1
		stack = append(stack, mod)
		for _, e := range deps[mod] {
			switch state[e.to] {
			case 1:
				i := slices.Index(stack, e.to)
				cycle := append(slices.Clone(stack[i:]), e.to)
				g.errorf(e.pos, "modules %s refer to each other, so their Go packages would import each other in a cycle; move the shared definitions into one module",
					strings.Join(cycle, " -> "))
			case 0:
				visit(e.to)
			}
		}
		stack = stack[:len(stack)-1]
		state[mod] = 2
	}
	for _, ns := range g.prog.Namespaces {
		if state[ns.Name] == 0 {
			visit(ns.Name)
		}
	}
}
