package idl

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestIncludeResolution(t *testing.T) {
	files := map[string]string{
		"svc/main.tars": `#include "a.tars"
#include "b.tars"
module Main { struct S { 0 require A::TA a; 1 require B::TB b; 2 require Common::C c; }; };`,
		"svc/a.tars":         "#include \"common/c.tars\"\nmodule A { struct TA { 0 require Common::C c; }; };",
		"inc1/b.tars":        "#include \"common/c.tars\"\nmodule B { struct TB { 0 require Common::C c; }; };",
		"inc2/b.tars":        "this file is shadowed by inc1/b.tars",
		"inc2/common/c.tars": "module Common { struct C { 0 require int x; }; };",
	}
	var reads []string
	read := memFS(files)
	opts := &Options{IncludeDirs: []string{"inc1", "inc2"}, ReadFile: func(name string) ([]byte, error) {
		reads = append(reads, name)
		return read(name)
	}}
	prog, err := Load(opts, "svc/main.tars")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range prog.Files {
		names = append(names, f.Name)
	}
	want := "inc2/common/c.tars svc/a.tars inc1/b.tars svc/main.tars"
	if got := strings.Join(names, " "); got != filepath.FromSlash(want) {
		t.Errorf("files = %s, want %s", got, want)
	}
	if len(prog.Roots) != 1 || prog.Roots[0] != prog.Files[3] {
		t.Errorf("roots = %v", prog.Roots)
	}
	// c.tars is parsed once although two files include it; the only repeated
	// reads are failed probes next to the including files.
	count := map[string]int{}
	for _, r := range reads {
		count[r]++
	}
	if count[filepath.FromSlash("inc2/common/c.tars")] != 1 {
		t.Errorf("reads = %v", reads)
	}
	s := decl[*Struct](t, prog, "Main", "S")
	if s.Fields[2].Type.Struct != decl[*Struct](t, prog, "Common", "C") {
		t.Error("Common::C not resolved")
	}
	if !prog.Visible(prog.Roots[0], prog.Files[0]) || prog.Visible(prog.Files[0], prog.Roots[0]) {
		t.Error("Visible")
	}
}

func TestRootsOnce(t *testing.T) {
	files := map[string]string{"a.tars": "#include \"b.tars\"\nmodule A {};", "b.tars": "module B {};"}
	prog, errs := loadMem(t, files, nil, "a.tars", "./a.tars", "b.tars")
	if errs != nil || len(prog.Roots) != 2 || len(prog.Files) != 2 {
		t.Fatalf("roots %d, files %d, %v", len(prog.Roots), len(prog.Files), errs)
	}
}

func TestNotIncluded(t *testing.T) {
	files := map[string]string{
		"main.tars": "module M { struct S { 0 require B::T t; }; };",
		"b.tars":    "module B { struct T {}; };",
	}
	_, errs := loadMem(t, files, nil, "b.tars", "main.tars")
	want := []string{"main.tars:1:33: type B::T is defined in b.tars, which main.tars does not #include"}
	if !sameLines(errLines(errs), want) {
		t.Fatalf("got %v", errLines(errs))
	}
}

// A module reopened in an included file shares one namespace; unqualified
// names resolve across the files.
func TestModuleAcrossFiles(t *testing.T) {
	files := map[string]string{
		"main.tars": "#include \"base.tars\"\nmodule M { struct S { 0 require Base b; 1 optional Kind k = SECOND; }; };",
		"base.tars": "module M { struct Base {}; enum Kind { FIRST, SECOND }; };",
	}
	prog, errs := loadMem(t, files, nil)
	if errs != nil {
		t.Fatal(errs)
	}
	if ns := prog.Namespace("M"); len(ns.Blocks) != 2 || ns.Blocks[0].File.Name != "base.tars" {
		t.Fatalf("blocks = %+v", ns.Blocks)
	}
}

func TestLoadFileErrors(t *testing.T) {
	_, err := Load(&Options{ReadFile: memFS(nil)}, "missing.tars")
	if err == nil || err.Error() != "missing.tars: cannot read file: file does not exist" {
		t.Errorf("missing root: %v", err)
	}
	_, err = Load(nil)
	if err == nil || err.Error() != "-: no input files" {
		t.Errorf("no files: %v", err)
	}
	boom := errors.New("permission denied")
	_, err = Load(&Options{ReadFile: func(name string) ([]byte, error) {
		if name == "main.tars" {
			return []byte("#include \"x.tars\"\nmodule M {};"), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: boom}
	}}, "main.tars")
	if err == nil || err.Error() != `main.tars:1:1: cannot read #include "x.tars": permission denied` {
		t.Errorf("unreadable include: %v", err)
	}
}

func TestLoadFromDisk(t *testing.T) {
	prog, err := Load(nil, "testdata/Interop.tars")
	if err != nil {
		t.Fatal(err)
	}
	e := decl[*Struct](t, prog, "Interop", "Everything")
	if last := e.Fields[len(e.Fields)-1]; last.Tag != 255 || last.Name != "lastTag" {
		t.Errorf("last field = %+v", last)
	}
	if c := decl[*Enum](t, prog, "Interop", "Color"); c.Members[3].Name != "ALIAS" || c.Members[3].Number != 5 {
		t.Errorf("ALIAS = %+v", c.Members[3])
	}
	if _, err := Load(nil, "testdata/does-not-exist.tars"); err == nil {
		t.Error("expected error")
	}
}
