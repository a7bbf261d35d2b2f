package idl

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestModulesReopenedAndSeveralPerFile(t *testing.T) {
	p := mustLoad(t, `
module A { struct S { 0 require int x; }; };
module B { const int K = 1; };
module A { struct T { 0 require S s; }; };   // reopened: sees S unqualified
`)
	var names []string
	for _, ns := range p.Namespaces {
		names = append(names, ns.Name+":"+string(rune('0'+len(ns.Blocks))))
	}
	if got := strings.Join(names, " "); got != "A:2 B:1" {
		t.Fatalf("namespaces = %s", got)
	}
	tt := decl[*Struct](t, p, "A", "T")
	if tt.Fields[0].Type.Kind != KindStruct || tt.Fields[0].Type.Struct != decl[*Struct](t, p, "A", "S") {
		t.Fatalf("S not resolved: %+v", tt.Fields[0].Type)
	}
}

func TestStructMembersAndDefaults(t *testing.T) {
	p := mustLoad(t, `
module M {
	enum Color { RED, GREEN };
	struct S {
		3 optional string s = "a\"b\\c\n\t\x41\101\0";
		0 require int i = -0x10;
		1 optional long l = -9223372036854775808;
		2 optional double d = -1.5e3;
		4 optional float f = .25;
		5 optional bool b = true;
		6 optional bool nb = false;
		7 optional Color c = GREEN;
		8 optional Color c2 = Color::RED;
		9 optional Color c3 = M::GREEN;
		10 optional unsigned int ui = 4294967295;
		11 optional double whole = 7;
		12 require vector<int> v;
		13 optional short plus = +5;
	};
};`)
	s := decl[*Struct](t, p, "M", "S")
	var tags []int
	for _, f := range s.Fields {
		tags = append(tags, f.Tag)
	}
	if !slices.IsSorted(tags) || len(tags) != 14 {
		t.Fatalf("fields not sorted by tag: %v", tags)
	}
	byName := map[string]*Field{}
	for _, f := range s.Fields {
		byName[f.Name] = f
	}
	if v := byName["s"].Default.Str; v != "a\"b\\c\n\tAA\x00" {
		t.Errorf("string default = %q", v)
	}
	if n, ok := byName["i"].Default.Int64(); !ok || n != -16 || !byName["i"].Require {
		t.Errorf("i default = %d %v", n, ok)
	}
	if n, ok := byName["l"].Default.Int64(); !ok || n != math.MinInt64 {
		t.Errorf("l default = %d %v", n, ok)
	}
	if v := byName["d"].Default.Float; v != -1500 {
		t.Errorf("d default = %v", v)
	}
	if v := byName["f"].Default.Float; v != 0.25 {
		t.Errorf("f default = %v", v)
	}
	if !byName["b"].Default.Bool || byName["nb"].Default.Bool {
		t.Errorf("bool defaults wrong")
	}
	for name, want := range map[string]string{"c": "GREEN", "c2": "RED", "c3": "GREEN"} {
		if m := byName[name].Default.Member; m == nil || m.Name != want {
			t.Errorf("%s default member = %v, want %s", name, m, want)
		}
	}
	if n, _ := byName["ui"].Default.Int64(); n != 4294967295 || byName["ui"].Type.Kind != KindUInt {
		t.Errorf("ui = %d %v", n, byName["ui"].Type.Kind)
	}
	if v := byName["whole"].Default; v.Kind != ValueInt || v.Float != 7 {
		t.Errorf("whole = %+v", v)
	}
	if byName["v"].Default != nil || byName["v"].Type.String() != "vector<int>" {
		t.Errorf("v = %+v", byName["v"])
	}
	if n, _ := byName["plus"].Default.Int64(); n != 5 {
		t.Errorf("plus = %d", n)
	}
}

func TestEnumValuesAndAliases(t *testing.T) {
	p := mustLoad(t, `
module M {
	enum E { A, B = 5, C, D = B, F, G = -3, H = 0x10, I = E::A, J = M::C, K = 2147483647, };
	enum Empty {};
};`)
	e := decl[*Enum](t, p, "M", "E")
	want := map[string]int32{"A": 0, "B": 5, "C": 6, "D": 5, "F": 6, "G": -3, "H": 16, "I": 0, "J": 6, "K": math.MaxInt32}
	for _, m := range e.Members {
		if m.Number != want[m.Name] {
			t.Errorf("%s = %d, want %d", m.Name, m.Number, want[m.Name])
		}
	}
	if len(e.Members) != len(want) {
		t.Errorf("%d members", len(e.Members))
	}
	if d := e.Members[3]; d.Value.Member == nil || d.Value.Member.Name != "B" {
		t.Errorf("alias D not resolved to B: %+v", d.Value)
	}
}

func TestConsts(t *testing.T) {
	p := mustLoad(t, `
module M {
	const bool B = true;
	const byte Y = -128;
	const unsigned byte UY = 255;
	const short S = 0x7fff;
	const int I = -1;
	const long L = 0x7FFFFFFFFFFFFFFF;
	const float F = 3.5;
	const double D = 1e-300;
	const string STR = "x";
};`)
	for name, kind := range map[string]Kind{"B": KindBool, "Y": KindByte, "UY": KindUByte, "S": KindShort,
		"I": KindInt, "L": KindLong, "F": KindFloat, "D": KindDouble, "STR": KindString} {
		if c := decl[*Const](t, p, "M", name); c.Type.Kind != kind || c.Value == nil {
			t.Errorf("%s: kind %v", name, c.Type.Kind)
		}
	}
}

func TestKey(t *testing.T) {
	p := mustLoad(t, `
module M {
	struct P { 0 require int x; 1 require int y; 2 optional string label; };
	key[P, y, x];
};
module M { struct Q { 0 require int a; }; key[M::Q, a]; };`)
	s := decl[*Struct](t, p, "M", "P")
	if s.Key == nil || len(s.Key.Fields) != 2 || s.Key.Fields[0].Name != "y" || s.Key.Fields[1].Name != "x" {
		t.Fatalf("key = %+v", s.Key)
	}
	if q := decl[*Struct](t, p, "M", "Q"); q.Key == nil || q.Key.Qualifier != "M" {
		t.Fatalf("qualified key = %+v", q.Key)
	}
}

func TestKeyInOtherModuleConflicts(t *testing.T) {
	_, errs := loadMem(t, map[string]string{"main.tars": `
module M { struct P { 0 require int x; }; key[P, x]; };
module N { key[M::P, x]; };`}, nil)
	want := []string{"main.tars:3:12: key[P]: struct P is in module M; key[] must be in the same module"}
	if !sameLines(errLines(errs), want) {
		t.Fatalf("got %v", errLines(errs))
	}
}

func TestInterface(t *testing.T) {
	p := mustLoad(t, `
module M {
	struct S { 0 require int a; };
	interface I {
		void ping();
		int add(int a, int b, out int sum);
		S get(routekey string id, out vector<S> all, out map<string, S> byName);
		void route(routekey routekey r);   // a type named routekey, marked
		void plain(routekey r2);           // a type named routekey
	};
	struct routekey {};
	interface J { bool key(string key); };
};`)
	it := decl[*Interface](t, p, "M", "I")
	if len(it.Funcs) != 5 {
		t.Fatalf("%d funcs", len(it.Funcs))
	}
	ping, add, get, route, plain := it.Funcs[0], it.Funcs[1], it.Funcs[2], it.Funcs[3], it.Funcs[4]
	if ping.Ret != nil || len(ping.Params) != 0 {
		t.Errorf("ping = %+v", ping)
	}
	if add.Ret.Kind != KindInt || len(add.Params) != 3 || add.Params[0].Out || !add.Params[2].Out {
		t.Errorf("add = %+v", add)
	}
	if get.Ret.Kind != KindStruct || !get.Params[0].RouteKey || get.Params[1].Type.String() != "vector<S>" ||
		get.Params[2].Type.String() != "map<string, S>" {
		t.Errorf("get = %+v", get)
	}
	if !route.Params[0].RouteKey || route.Params[0].Type.Name != "routekey" {
		t.Errorf("route = %+v", route.Params[0])
	}
	if plain.Params[0].RouteKey || plain.Params[0].Type.Name != "routekey" || plain.Params[0].Name != "r2" {
		t.Errorf("plain = %+v", plain.Params[0])
	}
	if k := decl[*Interface](t, p, "M", "J").Funcs[0]; k.Name != "key" || k.Params[0].Name != "key" {
		t.Errorf("key as names = %+v", k)
	}
}

func TestNestedTypes(t *testing.T) {
	p := mustLoad(t, `
module M {
	struct S { 0 require int a; };
	struct T {
		0 require vector<map<string, vector<S>>> a;
		1 require map<vector<byte>, map<int, vector<vector<long>>>> b;
		2 require vector<unsigned byte> c;
		3 require map<unsigned short, unsigned int> d;
		4 require map<S, vector<S> > e;
	};
};`)
	want := []string{
		"vector<map<string, vector<S>>>",
		"map<vector<byte>, map<int, vector<vector<long>>>>",
		"vector<unsigned byte>",
		"map<unsigned short, unsigned int>",
		"map<S, vector<S>>",
	}
	for i, f := range decl[*Struct](t, p, "M", "T").Fields {
		if got := f.Type.String(); got != want[i] {
			t.Errorf("field %d: %s, want %s", i, got, want[i])
		}
	}
	if e := decl[*Struct](t, p, "M", "T").Fields[4].Type; e.Key.Struct == nil || e.Elem.Elem.Struct == nil {
		t.Errorf("map<S, vector<S>> not resolved")
	}
}

func TestComments(t *testing.T) {
	p := mustLoad(t, `// leading
/* block
   comment */ module /* inline */ M // trailing
{
	struct S { 0 require int a; /* between */ 1 require int b; // end
	};
	const string URL = "http://x/*not a comment*/"; // "//" inside strings stays
};/**/`)
	if c := decl[*Const](t, p, "M", "URL"); c.Value.Str != "http://x/*not a comment*/" {
		t.Fatalf("URL = %q", c.Value.Str)
	}
	if n := len(decl[*Struct](t, p, "M", "S").Fields); n != 2 {
		t.Fatalf("%d fields", n)
	}
}

func TestPositions(t *testing.T) {
	p := mustLoad(t, "module M {\n  struct S {\n    7 optional int abc = 1;\n  };\n};")
	s := decl[*Struct](t, p, "M", "S")
	f := s.Fields[0]
	for what, got := range map[string]Pos{"struct": s.Pos, "tag": f.TagPos, "name": f.Pos, "type": f.Type.Pos, "default": f.Default.Pos} {
		want := map[string]string{"struct": "main.tars:2:10", "tag": "main.tars:3:5", "name": "main.tars:3:20",
			"type": "main.tars:3:16", "default": "main.tars:3:26"}[what]
		if got.String() != want {
			t.Errorf("%s at %s, want %s", what, got, want)
		}
	}
}

func TestParseFileAlone(t *testing.T) {
	f, errs := ParseFile("x.tars", []byte(`#include "y.tars"
module M { struct S { 0 require Other::T t; }; };`), nil)
	if errs != nil {
		t.Fatal(errs)
	}
	if len(f.Includes) != 1 || f.Includes[0].Path != "y.tars" || f.Includes[0].File != nil {
		t.Fatalf("includes = %+v", f.Includes)
	}
	if ty := f.Modules[0].Decls[0].(*Struct).Fields[0].Type; ty.Kind != KindNamed || ty.Qualifier != "Other" || ty.Name != "T" {
		t.Fatalf("type = %+v", ty)
	}
}

func TestMisc(t *testing.T) {
	if !IsKeyword("unsigned") || IsKeyword("key") || IsKeyword("routekey") {
		t.Error("IsKeyword")
	}
	if s := (Pos{}).String(); s != "-" {
		t.Error(s)
	}
	if s := (Pos{File: "a"}).String(); s != "a" {
		t.Error(s)
	}
	if s := (Pos{Line: 1, Col: 2}).String(); s != "1:2" {
		t.Error(s)
	}
	l := ErrorList{{Pos{File: "a", Line: 1, Col: 1}, "x"}, {Pos{File: "a", Line: 2, Col: 1}, "y"}}
	if l.Error() != "a:1:1: x\na:2:1: y" || ErrorList(nil).Err() != nil || ErrorList(nil).Error() != "no errors" {
		t.Error(l.Error())
	}
	for k := KindInvalid; k <= KindEnum; k++ {
		if k.String() == "" {
			t.Error(k)
		}
	}
	if Kind(99).String() != "invalid" {
		t.Error("Kind(99)")
	}
}
