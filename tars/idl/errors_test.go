package idl

import (
	"strings"
	"testing"
)

// errorCases covers every diagnostic: each case is one main.tars (plus, for
// include cases, other files) and the exact list of errors expected. The
// sources also seed FuzzLoad.
var errorCases = []struct {
	name  string
	src   string
	extra map[string]string
	opts  *Options
	want  []string
}{
	// Lexical errors.
	{"invalid character", "module M { struct S { 0 require int a$; }; };",
		nil, nil, []string{`main.tars:1:38: invalid character "$"`}},
	{"non-ASCII character once", "module M { const int X = 1; }; é",
		nil, nil, []string{`main.tars:1:32: invalid character "\u00e9"`}},
	{"unterminated comment", "module M {}; /* never closed",
		nil, nil, []string{"main.tars:1:14: comment not terminated"}},
	{"unterminated string", "module M { const string S = \"abc\n; };",
		nil, nil, []string{"main.tars:1:29: string literal not terminated"}},
	{"unknown escape", `module M { const string S = "a\qb"; };`,
		nil, nil, []string{`main.tars:1:31: unknown escape sequence "\\q"`}},
	{"empty hex escape", `module M { const string S = "\x"; };`,
		nil, nil, []string{`main.tars:1:30: \x escape needs hexadecimal digits`}},
	{"octal escape out of range", `module M { const string S = "\777"; };`,
		nil, nil, []string{`main.tars:1:30: octal escape out of range`}},
	{"malformed number", "module M { const int X = 12ab; };",
		nil, nil, []string{`main.tars:1:26: malformed number "12ab"`}},
	{"malformed hex", "module M { const int X = 0x; };",
		nil, nil, []string{`main.tars:1:26: malformed number "0x"`}},
	{"malformed exponent", "module M { const double X = 1e; };",
		nil, nil, []string{`main.tars:1:29: malformed number "1e"`}},
	{"unknown directive", "#pragma once\nmodule M {};",
		nil, nil, []string{`main.tars:1:1: unknown directive "#pragma" (only #include is supported)`}},

	// Syntax errors.
	{"stray token at top level", "struct S {};",
		nil, nil, []string{"main.tars:1:1: expected 'module' or '#include', found keyword 'struct'"}},
	{"missing module name", "module { };",
		nil, nil, []string{"main.tars:1:8: expected module name, found '{'"}},
	{"keyword as name", "module M { struct int { 0 require int a; }; };",
		nil, nil, []string{`main.tars:1:19: struct name: "int" is a keyword and cannot be used as a name`}},
	{"keyword as member name", "module M { struct S { 0 require int string; }; };",
		nil, nil, []string{`main.tars:1:37: member name: "string" is a keyword and cannot be used as a name`}},
	{"missing semicolon after member", "module M { struct S { 0 require int a 1 require int b; }; };",
		nil, nil, []string{"main.tars:1:39: expected ';' after struct member, found number 1"}},
	{"missing require", "module M { struct S { 0 int a; }; };",
		nil, nil, []string{"main.tars:1:25: expected 'require' or 'optional', found keyword 'int'"}},
	{"missing tag", "module M { struct S { require int a; }; };",
		nil, nil, []string{"main.tars:1:23: expected member tag (a number), found keyword 'require'"}},
	{"missing semicolon after struct", "module M { struct S { 0 require int a; } };",
		nil, nil, []string{"main.tars:1:42: expected ';' after '}' of struct S, found '}'"}},
	{"missing module close", "module M { struct S { 0 require int a; };",
		nil, nil, []string{"main.tars:1:42: expected '}' to close module M, found end of file"}},
	{"unclosed module before next", "module M { const int X = 1;\nmodule N { const int Y = 2; };",
		nil, nil, []string{"main.tars:2:1: expected '}' to close module M, found keyword 'module'"}},
	{"bad definition", "module M { int x; };",
		nil, nil, []string{"main.tars:1:12: expected 'struct', 'enum', 'const', 'interface' or 'key', found keyword 'int'"}},
	{"unsigned long", "module M { struct S { 0 require unsigned long a; }; };",
		nil, nil, []string{"main.tars:1:42: unsigned long is not supported (TARS has no wider type to carry it)"}},
	{"unsigned float", "module M { struct S { 0 require unsigned float a; }; };",
		nil, nil, []string{"main.tars:1:42: expected 'byte', 'short' or 'int' after 'unsigned', found keyword 'float'"}},
	{"void member", "module M { struct S { 0 require void a; }; };",
		nil, nil, []string{"main.tars:1:33: void is only allowed as a method's return type"}},
	{"void parameter", "module M { interface I { void f(void a); }; };",
		nil, nil, []string{"main.tars:1:33: parameters cannot be void"}},
	{"out after routekey", "module M { interface I { void f(routekey out int a); }; };",
		nil, nil, []string{"main.tars:1:42: 'out' must come before 'routekey'"}},
	{"unclosed vector", "module M { struct S { 0 require vector<int a; }; };",
		nil, nil, []string{"main.tars:1:44: expected '>', found identifier 'a'"}},
	{"map missing comma", "module M { struct S { 0 require map<int string> a; }; };",
		nil, nil, []string{"main.tars:1:41: expected ',', found keyword 'string'"}},
	{"missing type", "module M { struct S { 0 require = 1; }; };",
		nil, nil, []string{"main.tars:1:33: expected type, found '='"}},
	{"missing default value", "module M { struct S { 0 optional int a = ; }; };",
		nil, nil, []string{"main.tars:1:42: expected value (number, string, true, false or enumerator), found ';'"}},
	{"sign without number", "module M { const int X = -a; };",
		nil, nil, []string{"main.tars:1:27: expected number after sign, found identifier 'a'"}},
	{"float out of range", "module M { const double X = 1e999; };",
		nil, nil, []string{"main.tars:1:29: const X: 1e999 is out of range for double"}},
	{"include without file", "#include module M {};",
		nil, nil, []string{"main.tars:1:10: expected quoted file name after #include, found keyword 'module'"}},
	{"include empty name", "#include \"\"\nmodule M {};",
		nil, nil, []string{"main.tars:1:10: empty file name in #include"}},
	{"enum missing comma", "module M { enum E { A B }; };",
		nil, nil, []string{"main.tars:1:23: expected ',' or '}' in enum, found identifier 'B'"}},
	{"key missing bracket", "module M { struct S { 0 require int a; }; key[S, a; };",
		nil, nil, []string{"main.tars:1:51: expected ']', found ';'"}},
	{"method missing paren", "module M { interface I { int f(int a; }; };",
		nil, nil, []string{"main.tars:1:37: expected ')', found ';'"}},
	{"method missing semicolon", "module M { interface I { int f() }; };",
		nil, nil, []string{"main.tars:1:34: expected ';' after method declaration, found '}'"}},
	{"module missing brace", "module M struct S {}; };\nmodule N { const int X = 1; };",
		nil, nil, []string{"main.tars:1:10: expected '{', found keyword 'struct'"}},
	{"struct missing brace", "module M { struct S 0 require int a; }; const int X = 1; };",
		nil, nil, []string{"main.tars:1:21: expected '{', found number 0"}},
	{"interface missing brace", "module M { interface I void f(); }; };",
		nil, nil, []string{"main.tars:1:24: expected '{', found keyword 'void'"}},
	{"enum missing brace", "module M { enum E A }; };",
		nil, nil, []string{"main.tars:1:19: expected '{', found identifier 'A'"}},
	{"map missing bracket", "module M { struct S { 0 require map int a; }; };",
		nil, nil, []string{"main.tars:1:37: expected '<', found keyword 'int'"}},
	{"map missing close", "module M { struct S { 0 require map<int, int a; }; };",
		nil, nil, []string{"main.tars:1:46: expected '>', found identifier 'a'"}},
	{"vector missing bracket", "module M { struct S { 0 require vector int a; }; };",
		nil, nil, []string{"main.tars:1:40: expected '<', found keyword 'int'"}},
	{"qualified name missing part", "module M { struct S { 0 require N:: a; }; };",
		nil, nil, []string{"main.tars:1:38: expected member name, found ';'"}},
	{"const missing assign", "module M { const int X 1; };",
		nil, nil, []string{"main.tars:1:24: expected '=', found number 1"}},

	// Names.
	{"duplicate struct", "module M { struct S {}; struct S {}; };",
		nil, nil, []string{`main.tars:1:32: definition "S" redeclared in module M (previous declaration at main.tars:1:19)`}},
	{"duplicate across reopened module", "module M { const int X = 1; };\nmodule M { enum X { A }; };",
		nil, nil, []string{`main.tars:2:17: definition "X" redeclared in module M (previous declaration at main.tars:1:22)`}},
	{"case conflict", "module M { struct point {}; struct Point {}; };",
		nil, nil, []string{`main.tars:1:36: definition "Point" conflicts with "point" at main.tars:1:19 in module M: generated Go names must differ beyond the case of the first letter`}},
	{"duplicate member", "module M { struct S { 0 require int a; 1 require int a; }; };",
		nil, nil, []string{`main.tars:1:54: member "a" redeclared in struct S (previous declaration at main.tars:1:37)`}},
	{"duplicate method", "module M { interface I { void f(); void f(int a); }; };",
		nil, nil, []string{`main.tars:1:41: method "f" redeclared in interface I (previous declaration at main.tars:1:31)`}},
	{"duplicate parameter", "module M { interface I { void f(int a, out int a); }; };",
		nil, nil, []string{`main.tars:1:48: parameter "a" redeclared in method f (previous declaration at main.tars:1:37)`}},
	{"duplicate enumerator", "module M { enum E { A, A }; };",
		nil, nil, []string{`main.tars:1:24: enumerator "A" redeclared in enum E (previous declaration at main.tars:1:21)`}},
	{"reserved prefix", "module M { struct tars_S { 0 require int tars_a; }; interface I { void tars_ping(); }; };",
		nil, nil, []string{
			`main.tars:1:19: struct "tars_S": names starting with "tars_" are reserved`,
			`main.tars:1:42: member "tars_a": names starting with "tars_" are reserved`,
			`main.tars:1:72: method "tars_ping": names starting with "tars_" are reserved`,
		}},

	// Tags.
	{"duplicate tag", "module M { struct S { 0 require int a; 0 require int b; }; };",
		nil, nil, []string{"main.tars:1:40: member b: duplicate tag 0 (also used by a at main.tars:1:37)"}},
	{"tag too large", "module M { struct S { 256 require int a; }; };",
		nil, nil, []string{"main.tars:1:23: member a: tag 256 out of range (0..255)"}},
	{"negative tag", "module M { struct S { -1 require int a; }; };",
		nil, nil, []string{"main.tars:1:23: member a: tag -1 out of range (0..255)"}},
	{"huge tag", "module M { struct S { 99999999999 require int a; }; };",
		nil, nil, []string{"main.tars:1:23: member a: tag 2147483647 out of range (0..255)"}},

	// Types.
	{"unknown type", "module M { struct S { 0 require Foo a; 1 require vector<Bar> b; }; };",
		nil, nil, []string{
			"main.tars:1:33: unknown type Foo",
			"main.tars:1:57: unknown type Bar",
		}},
	{"unknown module", "module M { struct S { 0 require N::T a; }; };",
		nil, nil, []string{`main.tars:1:33: unknown module "N" in type N::T`}},
	{"const is not a type", "module M { const int X = 1; struct S { 0 require X a; }; };",
		nil, nil, []string{"main.tars:1:50: X is a const, not a type"}},
	{"interface is not a type", "module M { interface I { void f(); }; struct S { 0 require I a; }; };",
		nil, nil, []string{"main.tars:1:60: I is a interface, not a type"}},
	{"unknown return and param types", "module M { interface I { R f(P a, out Q b); }; };",
		nil, nil, []string{
			"main.tars:1:26: unknown type R",
			"main.tars:1:30: unknown type P",
			"main.tars:1:39: unknown type Q",
		}},
	{"recursive struct", "module M { struct A { 0 require B b; }; struct B { 0 optional A a; 1 optional vector<B> ok; }; };",
		nil, nil, []string{"main.tars:1:65: struct A contains itself: A.b -> B.a -> A (use a vector to break the cycle)"}},
	{"self-containing struct", "module M { struct A { 0 optional A next; }; };",
		nil, nil, []string{"main.tars:1:36: struct A contains itself: A.next -> A (use a vector to break the cycle)"}},

	// Defaults.
	{"default on vector", "module M { struct S { 0 optional vector<int> a = 1; }; };",
		nil, nil, []string{"main.tars:1:50: member a: vector members cannot have a default value"}},
	{"default on map", "module M { struct S { 0 optional map<int,int> a = 1; }; };",
		nil, nil, []string{"main.tars:1:51: member a: map members cannot have a default value"}},
	{"default on struct", "module M { struct T {}; struct S { 0 optional T a = 1; }; };",
		nil, nil, []string{"main.tars:1:53: member a: struct members cannot have a default value"}},
	{"wrong default types", `module M { struct S {
  0 optional int a = "x";
  1 optional string b = 1;
  2 optional int c = 1.5;
  3 optional bool d = 1;
  4 optional int e = FOO;
  5 optional float f = true;
}; };`,
		nil, nil, []string{
			`main.tars:2:22: member a: "x" is not a valid int value`,
			`main.tars:3:25: member b: 1 is not a valid string value`,
			`main.tars:4:22: member c: 1.5 is not a valid int value`,
			`main.tars:5:23: member d: 1 is not a valid bool value`,
			`main.tars:6:22: member e: FOO is not a valid int value`,
			`main.tars:7:24: member f: true is not a valid float value`,
		}},
	{"integer ranges", `module M { struct S {
  0 optional byte a = 128;
  1 optional byte b = -129;
  2 optional unsigned byte c = -1;
  3 optional unsigned byte d = 256;
  4 optional short e = 0x8000;
  5 optional unsigned short f = 65536;
  6 optional int g = 2147483648;
  7 optional unsigned int h = 4294967296;
  8 optional long i = 9223372036854775808;
  9 optional long j = 99999999999999999999;
  10 optional byte ok1 = -128;
  11 optional long ok2 = -9223372036854775808;
  12 optional unsigned int ok3 = 0xFFFFFFFF;
}; };`,
		nil, nil, []string{
			"main.tars:2:23: member a: 128 is out of range for byte (-128..127)",
			"main.tars:3:23: member b: -129 is out of range for byte (-128..127)",
			"main.tars:4:32: member c: -1 is out of range for unsigned byte (0..255)",
			"main.tars:5:32: member d: 256 is out of range for unsigned byte (0..255)",
			"main.tars:6:24: member e: 0x8000 is out of range for short (-32768..32767)",
			"main.tars:7:33: member f: 65536 is out of range for unsigned short (0..65535)",
			"main.tars:8:22: member g: 2147483648 is out of range for int (-2147483648..2147483647)",
			"main.tars:9:31: member h: 4294967296 is out of range for unsigned int (0..4294967295)",
			"main.tars:10:23: member i: 9223372036854775808 is out of range for long (-9223372036854775808..9223372036854775807)",
			"main.tars:11:23: member j: 99999999999999999999 is out of range for long (-9223372036854775808..9223372036854775807)",
		}},
	{"float range", "module M { struct S { 0 optional float a = 1e39; 1 optional double b = 1e300; }; };",
		nil, nil, []string{"main.tars:1:44: member a: 1e39 is out of range for float"}},
	{"enum defaults", `module M {
  enum E { A, B };
  enum F { C };
  struct S {
    0 optional E a = C;
    1 optional E b = 1;
    2 optional E c = F::A;
    3 optional E d = M::A;
    4 optional E e = E::B;
  };
};`,
		nil, nil, []string{
			"main.tars:5:22: member a: C is not a member of enum E",
			"main.tars:6:22: member b: default for enum E must be one of its members, found 1",
			"main.tars:7:22: member c: F::A is not a member of enum E",
		}},

	// Enums.
	{"enum alias errors", "module M { enum E { A = B, B, C = Z, D = 1.5, F = N::A }; };",
		nil, nil, []string{
			"main.tars:1:25: enumerator A: alias B must name an earlier member",
			"main.tars:1:35: enumerator C: unknown member Z in enum E",
			"main.tars:1:42: enumerator D: value must be an integer or an earlier member, found 1.5",
			"main.tars:1:51: enumerator F: N::A is not a member of enum E",
		}},
	{"enum value range", "module M { enum E { A = 2147483648, B = -2147483649, C = 2147483647, D }; };",
		nil, nil, []string{
			"main.tars:1:25: enumerator A: value 2147483648 does not fit in int32",
			"main.tars:1:41: enumerator B: value -2147483649 does not fit in int32",
			"main.tars:1:70: enumerator D: value 2147483648 does not fit in int32",
		}},

	// Consts.
	{"const types", "module M { enum E { A }; struct S {}; const vector<int> V = 1; const E C = A; const S T = 1; };",
		nil, nil, []string{
			"main.tars:1:45: const V: type vector<int> is not allowed; constants are bool, numbers or strings",
			"main.tars:1:70: const C: type E is not allowed; constants are bool, numbers or strings",
			"main.tars:1:85: const T: type S is not allowed; constants are bool, numbers or strings",
		}},
	{"const value", `module M { const int X = "a"; const byte Y = 300; };`,
		nil, nil, []string{
			`main.tars:1:26: const X: "a" is not a valid int value`,
			`main.tars:1:46: const Y: 300 is out of range for byte (-128..127)`,
		}},

	// key[].
	{"key errors", `module M {
  struct S { 0 require int a; 1 require int b; };
  enum E { A };
  key[S, a, c, a];
  key[S, b];
  key[E, a];
  key[T, a];
  key[N::S, a];
  struct U {};
  key[U];
};`,
		nil, nil, []string{
			"main.tars:4:13: key[S]: struct S has no member c",
			"main.tars:4:16: key[S]: member a listed twice",
			"main.tars:5:3: key[S]: struct S already has a key (at main.tars:4:3)",
			"main.tars:6:3: key[E]: E is a enum, not a struct",
			"main.tars:7:3: unknown struct T",
			`main.tars:8:3: unknown module "N" in struct N::S`,
			"main.tars:10:3: key[U] names no members",
		}},

	// Many errors at once: recovery continues after each.
	{"recovery", `module M {
  struct S { 0 require int a b; 1 require string c; };
  struct T { 0 require X y; };
  enum E { A = };
  interface I { void f(int); int g(); };
  const int K = 1;
};
module N { struct V { 0 require M::S s; 1 require M::Nope n; }; };`,
		nil, nil, []string{
			"main.tars:2:30: expected ';' after struct member, found identifier 'b'",
			"main.tars:3:24: unknown type X",
			"main.tars:4:16: expected value (number, string, true, false or enumerator), found '}'",
			"main.tars:5:27: expected parameter name, found ')'",
			"main.tars:8:51: unknown type M::Nope",
		}},

	// Includes.
	{"include not found", "#include \"nope.tars\"\nmodule M {};", nil, nil,
		[]string{`main.tars:1:1: #include "nope.tars": file not found (searched nope.tars)`}},
	{"include cycle", "#include \"a.tars\"\nmodule M {};",
		map[string]string{"a.tars": "#include \"b.tars\"\nmodule A {};", "b.tars": "#include \"a.tars\"\nmodule B {};"}, nil,
		[]string{"b.tars:1:1: include cycle: a.tars -> b.tars -> a.tars"}},
	{"self include", "#include \"main.tars\"\nmodule M {};", nil, nil,
		[]string{"main.tars:1:1: include cycle: main.tars -> main.tars"}},
	{"type from file not included", "#include \"a.tars\"\nmodule M { struct S { 0 require B::T t; }; };",
		map[string]string{"a.tars": "module A {};", "b.tars": "module B { struct T {}; };"}, nil,
		[]string{`main.tars:2:33: unknown module "B" in type B::T`}},
	{"include depth", "#include \"a.tars\"\nmodule M {};",
		map[string]string{"a.tars": "#include \"b.tars\"\nmodule A {};", "b.tars": "#include \"c.tars\"\nmodule B {};", "c.tars": "module C {};"},
		&Options{MaxIncludeDepth: 2},
		[]string{`a.tars:1:1: #include "b.tars": includes nested more than 2 deep`}},

	// Limits.
	{"file too large", "module M { const int X = 1; };", nil, &Options{MaxFileSize: 10},
		[]string{"main.tars: file is 30 bytes, larger than the limit of 10"}},
	{"type depth", "module M { struct S { 0 require vector<vector<vector<int>>> a; }; };", nil, &Options{MaxTypeDepth: 2},
		[]string{"main.tars:1:47: types nested more than 2 deep"}},
	{"too many errors", "module M { const int A = x; const int B = x; const int C = x; };", nil, &Options{MaxErrors: 2},
		[]string{
			"main.tars:1:26: const A: x is not a valid int value",
			"main.tars:1:43: const B: x is not a valid int value",
			"main.tars:1:60: too many errors",
		}},
	{"too many files", "#include \"a.tars\"\n#include \"b.tars\"\nmodule M {};",
		map[string]string{"a.tars": "module A {};", "b.tars": "module B {};"}, &Options{MaxFiles: 2},
		[]string{"b.tars: too many files (limit 2)"}},
}

func TestErrors(t *testing.T) {
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"main.tars": tt.src}
			for k, v := range tt.extra {
				files[k] = v
			}
			_, errs := loadMem(t, files, tt.opts)
			if got := errLines(errs); !sameLines(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
