package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"path"
	"slices"
	"strings"

	"github.com/outpost-edge/outpost/tars/idl"
)

// fileGen accumulates one generated Go file.
type fileGen struct {
	g       *generator
	pkg     *goPackage
	file    *idl.File
	module  string
	body    bytes.Buffer
	used    map[string]bool   // import names actually referenced
	imports map[string]string // import name -> path, std and modules
	aliases map[string]string // module -> import name
}

// generateFile emits the definitions file f makes in module mod.
func (g *generator) generateFile(f *idl.File, mod string, pkg *goPackage) *File {
	fg := &fileGen{g: g, pkg: pkg, file: f, module: mod, used: map[string]bool{},
		imports: map[string]string{}, aliases: map[string]string{}}
	for name, p := range stdImports {
		fg.imports[name] = p
	}
	var decls []idl.Decl
	for _, m := range f.Modules {
		if m.Name == mod {
			decls = append(decls, m.Decls...)
		}
	}
	fg.planImports(decls)
	for _, d := range decls {
		switch d := d.(type) {
		case *idl.Const:
			fg.genConst(d)
		case *idl.Enum:
			fg.genEnum(d)
		case *idl.Struct:
			fg.genStruct(d)
		case *idl.Interface:
			fg.genInterface(d)
		case *idl.Key:
			fg.genKey(d)
		}
	}
	return fg.finish()
}

// planImports fixes the import name of every other module the definitions
// refer to, before any code (and any parameter name) is generated.
func (fg *fileGen) planImports(decls []idl.Decl) {
	var mods []string
	for _, d := range decls {
		walkTypes(d, func(t *idl.Type) {
			if m := moduleOf(t); m != "" && m != fg.module && !slices.Contains(mods, m) {
				mods = append(mods, m)
			}
		})
	}
	slices.Sort(mods)
	for _, m := range mods {
		pkg := fg.g.pkgs[m] // checkDeps ensured pkg.importPath is set
		alias := pkg.name
		for aliasTaken(alias) || fg.imports[alias] != "" {
			alias += "_"
		}
		fg.imports[alias] = pkg.importPath
		fg.aliases[m] = alias
	}
}

// p writes one formatted line of Go to the body.
func (fg *fileGen) p(format string, args ...any) {
	fmt.Fprintf(&fg.body, format, args...)
	fg.body.WriteByte('\n')
}

// use marks a standard import as needed and returns its name.
func (fg *fileGen) use(name string) string {
	fg.used[name] = true
	return name
}

// qual returns the qualifier ("" or "alias.") for a definition of module mod.
func (fg *fileGen) qual(mod string) string {
	if mod == fg.module {
		return ""
	}
	alias := fg.aliases[mod]
	fg.used[alias] = true
	return alias + "."
}

func (fg *fileGen) finish() *File {
	var out bytes.Buffer
	base := path.Base(strings.ReplaceAll(fg.file.Name, `\`, "/"))
	fmt.Fprintf(&out, "%s\n// Source: %s\n\n", Header, base)
	if !fg.pkg.documented {
		fg.pkg.documented = true
		fmt.Fprintf(&out, "// Package %s is the Go binding of TARS module %s.\n", fg.pkg.name, fg.module)
	}
	fmt.Fprintf(&out, "package %s\n\n", fg.pkg.name)
	var names []string
	for n := range fg.used {
		if fg.imports[n] != "" {
			names = append(names, n)
		}
	}
	// Standard library first, then the rest, each sorted by path.
	isStd := func(n string) bool { return !strings.Contains(fg.imports[n], ".") }
	slices.SortFunc(names, func(a, b string) int {
		if isStd(a) != isStd(b) {
			if isStd(a) {
				return -1
			}
			return 1
		}
		return strings.Compare(fg.imports[a], fg.imports[b])
	})
	if len(names) > 0 {
		out.WriteString("import (\n")
		for i, n := range names {
			if i > 0 && isStd(names[i-1]) && !isStd(n) {
				out.WriteByte('\n')
			}
			p := fg.imports[n]
			if path.Base(p) == n {
				fmt.Fprintf(&out, "\t%q\n", p)
			} else {
				fmt.Fprintf(&out, "\t%s %q\n", n, p)
			}
		}
		out.WriteString(")\n\n")
	}
	out.Write(fg.body.Bytes())
	src, err := format.Source(out.Bytes())
	if err != nil {
		fg.g.errorf(idl.Pos{File: fg.file.Name}, "internal error: generated code for module %s does not parse: %v", fg.module, err)
		return nil
	}
	name := strings.TrimSuffix(base, ".tars") + ".tars.go"
	return &File{Path: fg.pkg.name + "/" + name, Content: src}
}
