package gen

import (
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// exported turns an IDL name into an exported Go identifier.
func exported(name string) string {
	if strings.HasPrefix(name, "_") {
		return "X" + name
	}
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}

// packageName turns a module name into a Go package name. Keywords, the
// blank identifier and main (which would make a command, not a library)
// get a trailing underscore.
func packageName(module string) string {
	name := strings.ToLower(module)
	if token.IsKeyword(name) || name == "_" || name == "main" {
		name += "_"
	}
	return name
}

// structMethods are the methods generated on every struct; members that
// would get one of these names are renamed.
var structMethods = map[string]bool{
	"WriteFields": true, "ReadFields": true, "ResetDefault": true, "TarsType": true,
}

// fieldName returns the Go name of a struct member.
func fieldName(name string) string {
	n := exported(name)
	for structMethods[n] {
		n += "_"
	}
	return n
}

// bodyLocals are the identifiers in scope in generated client methods and
// handlers besides the IDL parameters, which must avoid them.
var bodyLocals = map[string]bool{
	"ctx": true, "opts": true, "c": true, "err": true, "impl": true, "in": true,
	"out": true, "args": true, "res": true, "ret": true,
}

// stdImports are the packages generated code may import, by name.
var stdImports = map[string]string{
	"cmp": "cmp", "context": "context", "maps": "maps", "slices": "slices",
	"strconv": "strconv",
	"codec":   "github.com/outpost-edge/outpost/tars/codec",
	"servant": "github.com/outpost-edge/outpost/tars/servant",
}

// paramTaken reports whether an IDL parameter may not use name as its Go
// identifier. imports are the names the file imports.
func paramTaken(name string, imports map[string]string) bool {
	_, imported := imports[name]
	return name == "_" || token.IsKeyword(name) || bodyLocals[name] || structMethods[name] || imported
}

// aliasTaken reports whether an imported module package may not use name:
// it must not shadow any identifier generated bodies use.
func aliasTaken(name string) bool {
	if token.IsKeyword(name) || bodyLocals[name] || stdImports[name] != "" {
		return true
	}
	switch name {
	case "s", "w", "r", "ok", "a", "b", "e":
		return true
	}
	// Loop variables: a letter and a depth, e.g. n0, v1, k2.
	if len(name) >= 2 && strings.ContainsRune("nikve", rune(name[0])) {
		return strings.Trim(name[1:], "0123456789") == ""
	}
	return false
}

// paramNames returns the Go names of a method's parameters: the IDL names,
// with trailing underscores where they clash with Go keywords, generated
// identifiers, imported package names, or each other.
func paramNames(names []string, imports map[string]string) []string {
	used := map[string]bool{}
	out := make([]string, len(names))
	for i, n := range names {
		for paramTaken(n, imports) || used[n] {
			n += "_"
		}
		used[n] = true
		out[i] = n
	}
	return out
}
