package idl

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checker is the semantic pass. It resolves names, computes enum values,
// validates tags, defaults and constants, and sorts struct members by tag.
// Every problem is reported; a definition with errors is still checked as
// far as possible.
type checker struct {
	prog *Program
	errs *errorSink
}

func check(prog *Program, errs *errorSink) {
	c := &checker{prog: prog, errs: errs}
	c.collect()
	for _, f := range prog.Files {
		for _, m := range f.Modules {
			for _, d := range m.Decls {
				if e, ok := d.(*Enum); ok {
					c.checkEnum(e)
				}
			}
		}
	}
	for _, f := range prog.Files {
		for _, m := range f.Modules {
			for _, d := range m.Decls {
				switch d := d.(type) {
				case *Struct:
					c.checkStruct(d)
				case *Const:
					c.checkConst(d)
				case *Interface:
					c.checkInterface(d)
				}
			}
		}
	}
	// Keys last: they need the struct members resolved.
	for _, f := range prog.Files {
		for _, m := range f.Modules {
			for _, d := range m.Decls {
				if k, ok := d.(*Key); ok {
					c.checkKey(k)
				}
			}
		}
	}
	c.checkRecursion()
}

func (c *checker) errorf(pos Pos, format string, args ...any) {
	c.errs.add(pos, format, args...)
}

// checkName reports names the IDL reserves.
func (c *checker) checkName(pos Pos, what, name string) {
	if strings.HasPrefix(name, "tars_") {
		c.errorf(pos, "%s %q: names starting with \"tars_\" are reserved", what, name)
	}
}

// goExported returns name with its first letter upper-cased, the spelling
// Go code generators give exported identifiers.
func goExported(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}

// nameSet detects duplicate names and names that differ only in the case of
// the first letter, which collide once generated Go code exports them.
type nameSet struct {
	c     *checker
	what  string // "member", "method", ...
	where string // " in struct S", ...
	byGo  map[string]nameEntry
}

type nameEntry struct {
	name string
	pos  Pos
}

func (c *checker) newNameSet(what, where string) *nameSet {
	return &nameSet{c: c, what: what, where: where, byGo: map[string]nameEntry{}}
}

// add records a name and reports whether it is new.
func (s *nameSet) add(pos Pos, name string) bool {
	if name == "" {
		return false
	}
	key := goExported(name)
	prev, dup := s.byGo[key]
	switch {
	case !dup:
		s.byGo[key] = nameEntry{name, pos}
		return true
	case prev.name == name:
		s.c.errorf(pos, "%s %q redeclared%s (previous declaration at %s)", s.what, name, s.where, prev.pos)
	default:
		s.c.errorf(pos, "%s %q conflicts with %q at %s%s: generated Go names must differ beyond the case of the first letter",
			s.what, name, prev.name, prev.pos, s.where)
	}
	return false
}

// collect builds the namespaces and reports duplicate definitions.
func (c *checker) collect() {
	sets := map[string]*nameSet{}
	for _, f := range c.prog.Files {
		for _, m := range f.Modules {
			if m.Name == "" {
				continue
			}
			c.checkName(m.Pos, "module", m.Name)
			ns := c.prog.byName[m.Name]
			if ns == nil {
				ns = &Namespace{Name: m.Name, decls: map[string]NamedDecl{}}
				c.prog.byName[m.Name] = ns
				c.prog.Namespaces = append(c.prog.Namespaces, ns)
				sets[m.Name] = c.newNameSet("definition", " in module "+m.Name)
			}
			ns.Blocks = append(ns.Blocks, m)
			for _, d := range m.Decls {
				nd, ok := d.(NamedDecl)
				if !ok || nd.DeclName() == "" {
					continue
				}
				c.checkName(nd.Position(), declKind(nd), nd.DeclName())
				if sets[m.Name].add(nd.Position(), nd.DeclName()) {
					ns.decls[nd.DeclName()] = nd
				}
			}
		}
	}
}

func declKind(d Decl) string {
	switch d.(type) {
	case *Struct:
		return "struct"
	case *Enum:
		return "enum"
	case *Const:
		return "const"
	case *Interface:
		return "interface"
	}
	return "key"
}

// lookup finds the definition qual::name (or name in module from) as seen
// from the block from. It reports unknown modules, unknown names and names
// declared in files that are not included.
func (c *checker) lookup(pos Pos, from *Module, qual, name, what string) NamedDecl {
	modName := from.Name
	spelled := name
	if qual != "" {
		modName = qual
		spelled = qual + "::" + name
	}
	ns := c.prog.byName[modName]
	if ns == nil {
		c.errorf(pos, "unknown module %q in %s %s", qual, what, spelled)
		return nil
	}
	d := ns.decls[name]
	if d == nil {
		c.errorf(pos, "unknown %s %s", what, spelled)
		return nil
	}
	if !c.prog.Visible(from.File, d.Module().File) {
		c.errorf(pos, "%s %s is defined in %s, which %s does not #include", what, spelled, d.Module().File.Name, from.File.Name)
		return nil
	}
	return d
}

// resolveType resolves named types inside t. It reports whether t is
// usable (no unresolved parts).
func (c *checker) resolveType(t *Type, from *Module) bool {
	switch t.Kind {
	case KindVector:
		return c.resolveType(t.Elem, from)
	case KindMap:
		k := c.resolveType(t.Key, from)
		return c.resolveType(t.Elem, from) && k
	case KindNamed:
		d := c.lookup(t.Pos, from, t.Qualifier, t.Name, "type")
		switch d := d.(type) {
		case *Struct:
			t.Kind, t.Struct = KindStruct, d
		case *Enum:
			t.Kind, t.Enum = KindEnum, d
		case nil:
		default:
			c.errorf(t.Pos, "%s is a %s, not a type", t, declKind(d))
		}
		return t.Kind != KindNamed
	}
	return true
}

func (c *checker) checkEnum(e *Enum) {
	names := c.newNameSet("enumerator", " in enum "+e.Name)
	earlier := map[string]*EnumMember{}
	next := int64(0)
	for _, m := range e.Members {
		c.checkName(m.Pos, "enumerator", m.Name)
		isNew := names.add(m.Pos, m.Name)
		v := next
		if m.Value != nil {
			v = c.enumValue(e, m, earlier, next)
		} else if next > 1<<31-1 {
			c.errorf(m.Pos, "enumerator %s: value %d does not fit in int32", m.Name, next)
			v = 0
		}
		m.Number = int32(v)
		next = v + 1
		if isNew {
			earlier[m.Name] = m
		}
	}
}

// enumValue evaluates an explicit enumerator value: an integer, or an
// earlier member of the same enum (optionally qualified by the enum or its
// module). It returns fallback after reporting an error.
func (c *checker) enumValue(e *Enum, m *EnumMember, earlier map[string]*EnumMember, fallback int64) int64 {
	v := m.Value
	switch v.Kind {
	case ValueInt:
		n, ok := v.Int64()
		if !ok || n < -1<<31 || n > 1<<31-1 {
			c.errorf(v.Pos, "enumerator %s: value %s does not fit in int32", m.Name, v.Text)
			return fallback
		}
		return n
	case ValueIdent:
		if v.Qualifier != "" && v.Qualifier != e.Name && v.Qualifier != e.Block.Name {
			c.errorf(v.Pos, "enumerator %s: %s is not a member of enum %s", m.Name, v.Text, e.Name)
			return fallback
		}
		ref := earlier[v.Ident]
		if ref == nil || ref == m {
			later := slices.ContainsFunc(e.Members, func(x *EnumMember) bool { return x.Name == v.Ident })
			if later {
				c.errorf(v.Pos, "enumerator %s: alias %s must name an earlier member", m.Name, v.Text)
			} else {
				c.errorf(v.Pos, "enumerator %s: unknown member %s in enum %s", m.Name, v.Text, e.Name)
			}
			return fallback
		}
		v.Member = ref
		return int64(ref.Number)
	}
	c.errorf(v.Pos, "enumerator %s: value must be an integer or an earlier member, found %s", m.Name, v.Text)
	return fallback
}

func (c *checker) checkStruct(s *Struct) {
	names := c.newNameSet("member", " in struct "+s.Name)
	tags := map[int]*Field{}
	for _, f := range s.Fields {
		c.checkName(f.Pos, "member", f.Name)
		names.add(f.Pos, f.Name)
		switch prev := tags[f.Tag]; {
		case f.Tag < 0 || f.Tag > 255:
			c.errorf(f.TagPos, "member %s: tag %d out of range (0..255)", f.Name, f.Tag)
		case prev != nil:
			c.errorf(f.TagPos, "member %s: duplicate tag %d (also used by %s at %s)", f.Name, f.Tag, prev.Name, prev.Pos)
		default:
			tags[f.Tag] = f
		}
		if c.resolveType(f.Type, s.Block) && f.Default != nil {
			c.checkValue(f.Type, f.Default, "member "+f.Name)
		}
	}
	slices.SortStableFunc(s.Fields, func(a, b *Field) int { return cmp.Compare(a.Tag, b.Tag) })
}

func (c *checker) checkConst(k *Const) {
	if !c.resolveType(k.Type, k.Block) {
		return
	}
	if !k.Type.Kind.IsScalar() {
		c.errorf(k.Type.Pos, "const %s: type %s is not allowed; constants are bool, numbers or strings", k.Name, k.Type)
		return
	}
	c.checkValue(k.Type, k.Value, "const "+k.Name)
}

// intRange is the range of each integer kind.
var intRange = map[Kind][2]int64{
	KindByte:   {-1 << 7, 1<<7 - 1},
	KindUByte:  {0, 1<<8 - 1},
	KindShort:  {-1 << 15, 1<<15 - 1},
	KindUShort: {0, 1<<16 - 1},
	KindInt:    {-1 << 31, 1<<31 - 1},
	KindUInt:   {0, 1<<32 - 1},
	KindLong:   {-1 << 63, 1<<63 - 1},
}

// checkValue validates a default or constant value against its type.
func (c *checker) checkValue(t *Type, v *Value, what string) {
	mismatch := func() {
		c.errorf(v.Pos, "%s: %s is not a valid %s value", what, v.Text, t)
	}
	switch k := t.Kind; {
	case k == KindVector || k == KindMap || k == KindStruct:
		c.errorf(v.Pos, "%s: %s members cannot have a default value", what, k)
	case k == KindBool:
		if v.Kind != ValueBool {
			mismatch()
		}
	case k == KindString:
		if v.Kind != ValueString {
			mismatch()
		}
	case k.IsInteger():
		if v.Kind != ValueInt {
			mismatch()
			return
		}
		n, ok := v.Int64()
		if r := intRange[k]; !ok || n < r[0] || n > r[1] {
			c.errorf(v.Pos, "%s: %s is out of range for %s (%d..%d)", what, v.Text, t, r[0], r[1])
		}
	case k == KindFloat || k == KindDouble:
		if v.Kind != ValueInt && v.Kind != ValueFloat {
			mismatch()
			return
		}
		limit := 1.7976931348623157e308
		if k == KindFloat {
			limit = 3.4028234663852886e38
		}
		if v.Float > limit || v.Float < -limit {
			c.errorf(v.Pos, "%s: %s is out of range for %s", what, v.Text, t)
		}
	case k == KindEnum:
		c.checkEnumValue(t.Enum, v, what)
	}
}

// checkEnumValue resolves NAME, Enum::NAME or Module::NAME to a member of e.
func (c *checker) checkEnumValue(e *Enum, v *Value, what string) {
	if v.Kind != ValueIdent {
		c.errorf(v.Pos, "%s: default for enum %s must be one of its members, found %s", what, e.Name, v.Text)
		return
	}
	if v.Qualifier == "" || v.Qualifier == e.Name || v.Qualifier == e.Block.Name {
		for _, m := range e.Members {
			if m.Name == v.Ident {
				v.Member = m
				return
			}
		}
	}
	c.errorf(v.Pos, "%s: %s is not a member of enum %s", what, v.Text, e.Name)
}

func (c *checker) checkInterface(it *Interface) {
	funcs := c.newNameSet("method", " in interface "+it.Name)
	for _, fn := range it.Funcs {
		c.checkName(fn.Pos, "method", fn.Name)
		funcs.add(fn.Pos, fn.Name)
		if fn.Ret != nil {
			c.resolveType(fn.Ret, it.Block)
		}
		params := map[string]*Param{}
		for _, p := range fn.Params {
			c.checkName(p.Pos, "parameter", p.Name)
			if prev := params[p.Name]; prev != nil {
				c.errorf(p.Pos, "parameter %q redeclared in method %s (previous declaration at %s)", p.Name, fn.Name, prev.Pos)
			} else {
				params[p.Name] = p
			}
			c.resolveType(p.Type, it.Block)
		}
		if len(fn.Params) > 255 {
			c.errorf(fn.Pos, "method %s has %d parameters; at most 255 fit in tags", fn.Name, len(fn.Params))
		}
	}
}

func (c *checker) checkKey(k *Key) {
	d := c.lookup(k.Pos, k.Block, k.Qualifier, k.StructName, "struct")
	if d == nil {
		return
	}
	s, ok := d.(*Struct)
	if !ok {
		c.errorf(k.Pos, "key[%s]: %s is a %s, not a struct", k.StructName, k.StructName, declKind(d))
		return
	}
	if s.Block.Name != k.Block.Name {
		c.errorf(k.Pos, "key[%s]: struct %s is in module %s; key[] must be in the same module", k.StructName, s.Name, s.Block.Name)
		return
	}
	if s.Key != nil {
		c.errorf(k.Pos, "key[%s]: struct %s already has a key (at %s)", k.StructName, s.Name, s.Key.Pos)
		return
	}
	if len(k.FieldNames) == 0 {
		c.errorf(k.Pos, "key[%s] names no members", k.StructName)
		return
	}
	k.StructRef = s
	s.Key = k
	seen := map[string]bool{}
	for _, id := range k.FieldNames {
		i := slices.IndexFunc(s.Fields, func(f *Field) bool { return f.Name == id.Name })
		switch {
		case i < 0:
			c.errorf(id.Pos, "key[%s]: struct %s has no member %s", k.StructName, s.Name, id.Name)
		case seen[id.Name]:
			c.errorf(id.Pos, "key[%s]: member %s listed twice", k.StructName, id.Name)
		default:
			seen[id.Name] = true
			k.Fields = append(k.Fields, s.Fields[i])
		}
	}
}

// checkRecursion reports structs that contain themselves by value (through
// struct-typed members, not through vectors or maps), which no language
// can lay out.
func (c *checker) checkRecursion() {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[*Struct]int{}
	var path []*Field // struct-typed members on the current DFS path
	var owners []*Struct
	var visit func(s *Struct)
	visit = func(s *Struct) {
		state[s] = visiting
		for _, f := range s.Fields {
			if f.Type.Kind != KindStruct {
				continue
			}
			path, owners = append(path, f), append(owners, s)
			switch target := f.Type.Struct; state[target] {
			case visiting:
				start := slices.Index(owners, target)
				var steps []string
				for i := start; i < len(path); i++ {
					steps = append(steps, owners[i].Name+"."+path[i].Name)
				}
				c.errorf(f.Pos, "struct %s contains itself: %s -> %s (use a vector to break the cycle)",
					target.Name, strings.Join(steps, " -> "), target.Name)
			case unvisited:
				visit(target)
			}
			path, owners = path[:len(path)-1], owners[:len(owners)-1]
		}
		state[s] = done
	}
	for _, f := range c.prog.Files {
		for _, m := range f.Modules {
			for _, d := range m.Decls {
				if s, ok := d.(*Struct); ok && state[s] == unvisited {
					visit(s)
				}
			}
		}
	}
}
