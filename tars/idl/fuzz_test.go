package idl

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzInclude is available to fuzzed inputs as #include "inc.tars".
const fuzzInclude = `module Inc { struct P { 0 require int x; 1 optional string s = "d"; }; enum E { A, B = A }; };`

// FuzzLoad feeds arbitrary bytes to the whole pipeline (lexer, parser,
// include resolution, checker). It must never panic, must always report
// errors with a position in a known file, and a program it accepts must
// satisfy the invariants code generators rely on.
func FuzzLoad(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		files := map[string]string{"main.tars": string(src), "inc.tars": fuzzInclude}
		opts := &Options{ReadFile: memFS(files), MaxFileSize: 1 << 16}
		prog, err := Load(opts, "main.tars")
		if err != nil {
			for _, e := range err.(ErrorList) {
				if e.Pos.File != "main.tars" && e.Pos.File != "inc.tars" {
					t.Fatalf("error without a file: %v", e)
				}
				if e.Msg == "" {
					t.Fatalf("empty message at %v", e.Pos)
				}
			}
			return
		}
		checkInvariants(t, prog)
	})
}

// fuzzSeeds returns the seed inputs: every .tars file under testdata plus
// the sources of the error table (the corpus under testdata/fuzz/FuzzLoad
// holds further inputs, replayed by plain go test).
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	paths, _ := filepath.Glob("testdata/*.tars")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	for _, c := range errorCases {
		seeds = append(seeds, []byte(c.src))
	}
	seeds = append(seeds, []byte(`#include "inc.tars"
module M {
	const long L = -0x10;
	enum K { X = Inc::A, Y };
	struct S { 0 require Inc::P p; 1 optional Inc::E e = Inc::B; 2 optional map<Inc::P, vector<K>> m; };
	key[S, e];
	interface I { Inc::P f(routekey int a, out vector<map<string, S>> b); void g(); };
};`))
	return seeds
}

// checkInvariants verifies what Load promises about an error-free Program.
func checkInvariants(t *testing.T, prog *Program) {
	t.Helper()
	var checkType func(ty *Type)
	checkType = func(ty *Type) {
		switch ty.Kind {
		case KindInvalid, KindNamed:
			t.Fatalf("%v: unresolved type %s", ty.Pos, ty)
		case KindStruct:
			if ty.Struct == nil {
				t.Fatalf("%v: struct type without declaration", ty.Pos)
			}
		case KindEnum:
			if ty.Enum == nil {
				t.Fatalf("%v: enum type without declaration", ty.Pos)
			}
		case KindVector:
			checkType(ty.Elem)
		case KindMap:
			checkType(ty.Key)
			checkType(ty.Elem)
		}
	}
	for _, file := range prog.Files {
		for _, m := range file.Modules {
			for _, d := range m.Decls {
				switch d := d.(type) {
				case *Struct:
					last := -1
					for _, fld := range d.Fields {
						if fld.Tag <= last || fld.Tag > 255 {
							t.Fatalf("%v: tag %d after %d", fld.Pos, fld.Tag, last)
						}
						last = fld.Tag
						checkType(fld.Type)
						if fld.Default != nil && fld.Type.Kind == KindEnum && fld.Default.Member == nil {
							t.Fatalf("%v: enum default unresolved", fld.Pos)
						}
					}
				case *Const:
					checkType(d.Type)
					if !d.Type.Kind.IsScalar() {
						t.Fatalf("%v: const of type %s", d.Pos, d.Type)
					}
				case *Interface:
					for _, fn := range d.Funcs {
						if fn.Ret != nil {
							checkType(fn.Ret)
						}
						for _, p := range fn.Params {
							checkType(p.Type)
						}
					}
				case *Key:
					if d.StructRef == nil || len(d.Fields) != len(d.FieldNames) {
						t.Fatalf("%v: unresolved key", d.Pos)
					}
				}
			}
		}
	}
}
