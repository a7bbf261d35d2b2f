package idl

import "strconv"

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tInt    // decimal or 0x hexadecimal integer, unsigned
	tFloat  // decimal floating-point number, unsigned
	tString // double-quoted string; tok.val holds the unescaped bytes
	tInclude

	// punctuation
	tLBrace  // {
	tRBrace  // }
	tLParen  // (
	tRParen  // )
	tLBrack  // [
	tRBrack  // ]
	tLess    // <
	tGreater // > (">>" is lexed as two tokens, so vector<vector<int>> works)
	tComma   // ,
	tSemi    // ;
	tAssign  // =
	tMinus   // -
	tPlus    // +
	tColon2  // ::
	tIllegal // a byte that starts no token; already reported

	// keywords, in the order of the spec's list (plus struct)
	tVoid
	tBool
	tByte
	tShort
	tInt32 // the keyword "int"
	tLong
	tFloat32 // the keyword "float"
	tDouble
	tStringKw // the keyword "string"
	tVector
	tMap
	tModule
	tInterface
	tOut
	tRequire
	tOptional
	tFalse
	tTrue
	tEnum
	tConst
	tUnsigned
	tStruct
)

var keywords = map[string]tokKind{
	"void": tVoid, "bool": tBool, "byte": tByte, "short": tShort, "int": tInt32,
	"long": tLong, "float": tFloat32, "double": tDouble, "string": tStringKw,
	"vector": tVector, "map": tMap, "module": tModule,
	"interface": tInterface, "out": tOut, "require": tRequire,
	"optional": tOptional, "false": tFalse, "true": tTrue, "enum": tEnum,
	"const": tConst, "unsigned": tUnsigned, "struct": tStruct,
}

// IsKeyword reports whether name is a reserved word of the TARS IDL and so
// cannot name anything. "key" is not reserved: it introduces a key[...]
// directive only when a '[' follows, so it remains usable as a name (the
// interop IDL has a parameter called key).
func IsKeyword(name string) bool {
	_, ok := keywords[name]
	return ok
}

var kindNames = map[tokKind]string{
	tEOF: "end of file", tIdent: "identifier", tInt: "integer", tFloat: "number",
	tString: "string literal", tInclude: "#include",
	tLBrace: "'{'", tRBrace: "'}'", tLParen: "'('", tRParen: "')'",
	tLBrack: "'['", tRBrack: "']'", tLess: "'<'", tGreater: "'>'",
	tComma: "','", tSemi: "';'", tAssign: "'='", tMinus: "'-'", tPlus: "'+'",
	tColon2: "'::'", tIllegal: "invalid character",
}

func (k tokKind) isKeyword() bool { return k >= tVoid }

func (k tokKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	for name, kk := range keywords {
		if kk == k {
			return "'" + name + "'"
		}
	}
	return "token " + strconv.Itoa(int(k))
}

// token is one lexical token. text is the source spelling (for strings, the
// quoted form); val is the unescaped value of a string literal.
type token struct {
	kind tokKind
	pos  Pos
	text string
	val  string
}

// describe renders a token for "expected X, found Y" messages.
func (t token) describe() string {
	switch {
	case t.kind == tEOF:
		return "end of file"
	case t.kind == tIdent:
		return "identifier '" + t.text + "'"
	case t.kind.isKeyword():
		return "keyword '" + t.text + "'"
	case t.kind == tString:
		return "string " + truncate(t.text, 40)
	case t.kind == tInt || t.kind == tFloat:
		return "number " + truncate(t.text, 40)
	case t.kind == tIllegal:
		return "invalid character " + strconv.Quote(t.text)
	}
	return "'" + t.text + "'"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
