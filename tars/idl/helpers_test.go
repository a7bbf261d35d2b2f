package idl

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// memFS returns a ReadFile over in-memory files keyed by cleaned path.
func memFS(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		src, ok := files[filepath.Clean(name)]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return []byte(src), nil
	}
}

// loadMem loads root (default "main.tars") from in-memory files.
func loadMem(t testing.TB, files map[string]string, opts *Options, roots ...string) (*Program, ErrorList) {
	t.Helper()
	o := Options{}
	if opts != nil {
		o = *opts
	}
	o.ReadFile = memFS(files)
	if len(roots) == 0 {
		roots = []string{"main.tars"}
	}
	prog, err := Load(&o, roots...)
	if err == nil {
		return prog, nil
	}
	list, ok := err.(ErrorList)
	if !ok {
		t.Fatalf("Load returned %T, want ErrorList", err)
	}
	return prog, list
}

// mustLoad loads src as main.tars and fails the test on any error.
func mustLoad(t testing.TB, src string) *Program {
	t.Helper()
	prog, errs := loadMem(t, map[string]string{"main.tars": src}, nil)
	if errs != nil {
		t.Fatalf("unexpected errors:\n%v", errs)
	}
	return prog
}

func errLines(l ErrorList) []string {
	var out []string
	for _, e := range l {
		out = append(out, e.Error())
	}
	return out
}

func sameLines(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// decl returns the named definition of module mod, failing if absent.
func decl[T NamedDecl](t testing.TB, p *Program, mod, name string) T {
	t.Helper()
	ns := p.Namespace(mod)
	if ns == nil {
		t.Fatalf("no module %s", mod)
	}
	d, ok := ns.Lookup(name).(T)
	if !ok {
		t.Fatalf("%s::%s is %T", mod, name, ns.Lookup(name))
	}
	return d
}
