package gen

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// memRead serves in-memory files to Generate.
func memRead(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := files[filepath.Clean(name)]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		prefix string
		want   []string
	}{
		{"IDL errors pass through", map[string]string{"a.tars": "module A { struct S { 0 require X x; }; };"}, "",
			[]string{"a.tars:1:33: unknown type X"}},
		{"cross-module reference without prefix",
			map[string]string{"a.tars": "module A { struct S {}; };\nmodule B { struct T { 0 require A::S s; }; };"}, "",
			[]string{"a.tars:2:33: module B refers to module A: set the import prefix (-module-prefix) so that generated packages can import each other"}},
		{"import cycle", map[string]string{"a.tars": `module A { struct S { 0 optional vector<B::T> t; }; };
module B { struct T { 0 optional vector<A::S> s; }; };`}, "x.com/g",
			[]string{"a.tars:2:41: modules A -> B -> A refer to each other, so their Go packages would import each other in a cycle; move the shared definitions into one module"}},
		{"package name clash", map[string]string{"a.tars": "module Foo {};\nmodule foo {};"}, "x.com/g",
			[]string{"a.tars:2:8: modules Foo and foo would both generate Go package foo"}},
		{"Go name clash", map[string]string{"a.tars": `module M {
  struct S {};
  struct NewS {};
  enum E { A };
  const int E_A = 1;
  interface I { void f(); };
  struct IClient {};
};`}, "",
			[]string{
				"a.tars:3:10: struct NewS: Go name NewS is already used by the definition at a.tars:2:10",
				"a.tars:5:13: const E_A: Go name E_A is already used by the definition at a.tars:4:12",
				"a.tars:7:10: struct IClient: Go name IClient is already used by the definition at a.tars:6:13",
				"a.tars:7:10: struct IClient (constructor): Go name NewIClient is already used by the definition at a.tars:6:13",
			}},
		{"member clash after renaming", map[string]string{"a.tars": "module M { struct S { 0 optional int readFields; 1 optional int ReadFields_; }; };"}, "",
			[]string{"a.tars:1:65: member ReadFields_: Go name ReadFields_ is already used by the member at a.tars:1:38"}},
		{"unorderable key member", map[string]string{"a.tars": "module M { struct S { 0 require vector<int> v; }; key[S, v]; };"}, "",
			[]string{"a.tars:1:51: key[S]: member v has type vector<int>, which the Go generator cannot order (use scalars, strings, enums or keyed structs)"}},
		{"route key of a struct type", map[string]string{"a.tars": "module M { struct S {}; interface I { void f(routekey S s); }; };"}, "",
			[]string{"a.tars:1:57: routekey parameter s has type S; a route key must be a number, bool, string or enum"}},
		{"same output file", map[string]string{
			"x/a.tars": "module M { struct S {}; };",
			"y/a.tars": "module M { struct T {}; };"}, "",
			[]string{"y/a.tars: output file m/a.tars.go would also be generated from x/a.tars; rename one of the IDL files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var roots []string
			for name := range tt.files {
				roots = append(roots, name)
			}
			slicesSort(roots)
			_, err := Generate(Options{Files: roots, ImportPrefix: tt.prefix, ReadFile: memRead(tt.files)})
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.Split(err.Error(), "\n")
			for i := range got {
				got[i] = filepath.ToSlash(got[i])
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestImportMap(t *testing.T) {
	files := map[string]string{
		"main.tars": "#include \"base.tars\"\nmodule App { struct S { 0 require Base::T t; }; };",
		"base.tars": "module Base { struct T {}; };",
	}
	out, err := Generate(Options{Files: []string{"main.tars"}, ReadFile: memRead(files),
		ImportMap: map[string]string{"Base": "example.com/shared/basepb"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Path != "app/main.tars.go" {
		t.Fatalf("files = %v", out)
	}
	src := string(out[0].Content)
	if !strings.Contains(src, `basepb "example.com/shared/basepb"`) && !strings.Contains(src, `"example.com/shared/basepb"`) {
		t.Fatalf("mapped import missing:\n%s", src)
	}
	if !strings.Contains(src, "T basepb.T `json:\"t\"`") {
		t.Fatalf("mapped type missing:\n%s", src)
	}
}

func slicesSort(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}
