// Package idl parses and checks TARS interface definition files (.tars).
//
// The TARS IDL is the contract between services written in C++, Java, Go and
// other languages, so Outpost must read exactly the files those toolchains
// read and reject what they reject, with better diagnostics: tars2go stops at
// the first problem and reports it without a column, which makes large IDL
// trees painful to fix. This package is a hand-written lexer and
// recursive-descent parser that recovers after a syntax error and keeps going,
// followed by a semantic pass, so that one run reports every problem it can
// find as "file:line:col: message".
//
// # Pipeline
//
// ParseFile turns one file into an AST (File) without looking at other files.
// Load reads root files, follows #include directives through include
// directories (each file is parsed once, include cycles are reported), and
// runs the semantic checker, producing a Program in which every type reference
// is resolved to its declaration and every default value, enum value and
// constant is validated. Code generators (see package gen) consume Programs.
//
// # Grammar
//
// The accepted language is the one of tars2cpp and tars2go: modules (several
// per file, and reopened across files), structs with require/optional members
// and defaults, key[...] directives, enums with explicit values and aliases,
// consts, interfaces with out parameters (and TarsCpp's routekey marker),
// nested vector<>/map<> types, unsigned byte/short/int, Module::Type
// references and C/C++ comments. The tars2go-only array syntax (T name[N]) is
// not supported.
//
// # Limits
//
// Inputs are untrusted (IDL files travel between teams and repositories), so
// Options bounds the file size, the nesting depth of types, the include depth,
// the number of files and the number of reported errors. Nothing in this
// package panics on malformed input; FuzzLoad checks that.
package idl
