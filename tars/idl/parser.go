package idl

import (
	"math"
	"strconv"
)

// parser is a recursive-descent parser with two tokens of lookahead. On a
// syntax error it reports once, then skips to a synchronisation point (the
// end of the member, definition or module) and continues, so one run finds
// as many errors as possible.
type parser struct {
	lex      *lexer
	errs     *errorSink
	tok      token   // current token
	ahead    []token // lookahead beyond tok
	file     *File
	block    *Module // the module being parsed
	depth    int     // type nesting depth
	maxDepth int
	// lastErr is the position of the last syntax error; a second error at the
	// same token is a consequence of the first and is not reported.
	lastErr Pos
}

// ParseFile parses one .tars file without following its includes or checking
// its semantics. It returns the AST (possibly partial) and the syntax errors.
func ParseFile(filename string, src []byte, opts *Options) (*File, ErrorList) {
	o := opts.withDefaults()
	errs := newErrorSink(o.MaxErrors)
	f := parseFile(filename, src, o, errs)
	return f, errs.result()
}

func parseFile(filename string, src []byte, o Options, errs *errorSink) *File {
	f := &File{Name: filename}
	if int64(len(src)) > o.MaxFileSize {
		errs.add(Pos{File: filename}, "file is %d bytes, larger than the limit of %d", len(src), o.MaxFileSize)
		return f
	}
	p := &parser{lex: newLexer(filename, src, errs), errs: errs, file: f, maxDepth: o.MaxTypeDepth}
	p.next()
	p.parseFile()
	return f
}

func (p *parser) next() {
	if len(p.ahead) > 0 {
		p.tok = p.ahead[0]
		p.ahead = p.ahead[1:]
		return
	}
	p.tok = p.lex.next()
}

// peek returns the token n positions after the current one (n >= 1).
func (p *parser) peek(n int) token {
	for len(p.ahead) < n {
		p.ahead = append(p.ahead, p.lex.next())
	}
	return p.ahead[n-1]
}

func (p *parser) errorf(pos Pos, format string, args ...any) {
	p.lastErr = pos
	p.errs.add(pos, format, args...)
}

// errorExpected reports that the current token is not what the grammar
// needs, unless an error was already reported at this token.
func (p *parser) errorExpected(what string) {
	if p.tok.pos == p.lastErr {
		return
	}
	if p.tok.kind == tIllegal {
		p.lastErr = p.tok.pos // the lexer already reported it
		return
	}
	p.errorf(p.tok.pos, "expected %s, found %s", what, p.tok.describe())
}

// expect consumes a token of kind k, or reports an error and returns false.
func (p *parser) expect(k tokKind) bool {
	if p.tok.kind == k {
		p.next()
		return true
	}
	p.errorExpected(k.String())
	return false
}

// syncTo skips tokens until one of stops at brace depth zero or EOF. A
// stop token that is ';' is consumed, so parsing resumes after it. Brace
// pairs inside the skipped region are jumped over; an unbalanced '}' at
// depth zero is a stop if tRBrace is listed.
func (p *parser) syncTo(stops ...tokKind) {
	depth := 0
	for p.tok.kind != tEOF {
		if depth == 0 {
			for _, s := range stops {
				if p.tok.kind == s {
					if s == tSemi {
						p.next()
					}
					return
				}
			}
		}
		switch p.tok.kind {
		case tLBrace:
			depth++
		case tRBrace:
			if depth > 0 {
				depth--
			}
		}
		p.next()
	}
}

// parseFile: { include | module } EOF.
func (p *parser) parseFile() {
	for p.tok.kind != tEOF && !p.errs.full {
		switch p.tok.kind {
		case tInclude:
			p.parseInclude()
		case tModule:
			p.parseModule()
		default:
			p.errorExpected("'module' or '#include'")
			p.next()
			p.syncTo(tModule, tInclude)
		}
	}
}

func (p *parser) parseInclude() {
	pos := p.tok.pos
	p.next()
	if p.tok.kind != tString {
		p.errorExpected("quoted file name after #include")
		return
	}
	if p.tok.val == "" {
		p.errorf(p.tok.pos, "empty file name in #include")
	} else {
		p.file.Includes = append(p.file.Includes, &Include{Pos: pos, Path: p.tok.val})
	}
	p.next()
}

// parseModule: 'module' IDENT '{' { definition } '}' ';'.
func (p *parser) parseModule() {
	m := &Module{File: p.file}
	p.next()
	m.Pos = p.tok.pos
	m.Name = p.parseName("module name")
	p.file.Modules = append(p.file.Modules, m)
	p.openBlock()
	p.block = m
	// A 'module' or '#include' here means the block was not closed; the
	// file loop takes over after closeBlock reports the missing '}'.
	for p.tok.kind != tRBrace && p.tok.kind != tEOF && p.tok.kind != tModule &&
		p.tok.kind != tInclude && !p.errs.full {
		p.parseDefinition()
	}
	p.block = nil
	p.closeBlock("module " + m.Name)
}

// openBlock consumes the '{' that opens a block. A missing one is reported
// and assumed: the body usually follows directly, and parsing it as such
// recovers better than skipping it.
func (p *parser) openBlock() { p.expect(tLBrace) }

// closeBlock consumes "};" ending a brace block named what.
func (p *parser) closeBlock(what string) {
	if p.tok.kind != tRBrace {
		p.errorExpected("'}' to close " + what)
		return
	}
	p.next()
	if p.tok.kind != tSemi {
		p.errorExpected("';' after '}' of " + what)
		return
	}
	p.next()
}

// parseName parses an identifier naming something; keywords get a specific
// message. It returns "" after an error.
func (p *parser) parseName(what string) string {
	switch {
	case p.tok.kind == tIdent:
		name := p.tok.text
		p.next()
		return name
	case p.tok.kind.isKeyword():
		p.errorf(p.tok.pos, "%s: %q is a keyword and cannot be used as a name", what, p.tok.text)
		p.next()
		return ""
	}
	p.errorExpected(what)
	return ""
}

// parseDefinition: struct | enum | const | interface | key.
func (p *parser) parseDefinition() {
	switch p.tok.kind {
	case tStruct:
		p.parseStruct()
	case tEnum:
		p.parseEnum()
	case tConst:
		p.parseConst()
	case tInterface:
		p.parseInterface()
	case tIdent:
		if p.tok.text == "key" && p.peek(1).kind == tLBrack {
			p.parseKey()
			return
		}
		fallthrough
	default:
		p.errorExpected("'struct', 'enum', 'const', 'interface' or 'key'")
		p.next()
		p.syncTo(tSemi, tRBrace, tModule, tInclude)
	}
}

func (p *parser) addDecl(d Decl) { p.block.Decls = append(p.block.Decls, d) }

// parseStruct: 'struct' IDENT '{' { member } '}' ';'.
func (p *parser) parseStruct() {
	s := &Struct{}
	s.Block = p.block
	p.next()
	s.Pos = p.tok.pos
	s.Name = p.parseName("struct name")
	p.addDecl(s)
	p.openBlock()
	for p.tok.kind != tRBrace && p.tok.kind != tEOF && !p.errs.full {
		if f := p.parseField(); f != nil {
			s.Fields = append(s.Fields, f)
		}
	}
	p.closeBlock("struct " + s.Name)
}

// parseField: ['+'|'-'] INT ('require'|'optional') type IDENT ['=' value] ';'.
func (p *parser) parseField() *Field {
	f := &Field{TagPos: p.tok.pos}
	ok := p.parseTag(f) && p.parseRequire(f)
	if ok {
		f.Type = p.parseType()
		ok = f.Type != nil
	}
	if ok {
		f.Pos = p.tok.pos
		f.Name = p.parseName("member name")
		ok = f.Name != ""
	}
	if ok && p.tok.kind == tAssign {
		p.next()
		f.Default = p.parseValue()
		ok = f.Default != nil
	}
	if ok && p.tok.kind != tSemi {
		p.errorExpected("';' after struct member")
		ok = false
	}
	p.syncTo(tSemi, tRBrace)
	if !ok {
		return nil
	}
	return f
}

func (p *parser) parseTag(f *Field) bool {
	neg := false
	if p.tok.kind == tMinus || p.tok.kind == tPlus {
		neg = p.tok.kind == tMinus
		p.next()
	}
	if p.tok.kind != tInt {
		p.errorExpected("member tag (a number)")
		return false
	}
	v, err := strconv.ParseInt(p.tok.text, 0, 64)
	switch {
	case err != nil || v > math.MaxInt32:
		f.Tag = math.MaxInt32
	case neg:
		f.Tag = -int(v)
	default:
		f.Tag = int(v)
	}
	p.next()
	return true
}

func (p *parser) parseRequire(f *Field) bool {
	switch p.tok.kind {
	case tRequire:
		f.Require = true
	case tOptional:
	default:
		p.errorExpected("'require' or 'optional'")
		return false
	}
	p.next()
	return true
}

// parseKey: 'key' '[' name { ',' IDENT } ']' ';'.
func (p *parser) parseKey() {
	k := &Key{Pos: p.tok.pos, Block: p.block}
	p.next()
	ok := p.expect(tLBrack)
	if ok {
		k.Qualifier, k.StructName = p.parseQualName("struct name")
		ok = k.StructName != ""
	}
	for ok && p.tok.kind == tComma {
		p.next()
		id := Ident{Pos: p.tok.pos}
		id.Name = p.parseName("member name in key[]")
		ok = id.Name != ""
		k.FieldNames = append(k.FieldNames, id)
	}
	if ok {
		ok = p.expect(tRBrack)
	}
	if ok && p.tok.kind != tSemi {
		p.errorExpected("';' after key[...]")
		ok = false
	}
	p.syncTo(tSemi, tRBrace)
	if ok {
		p.addDecl(k)
	}
}

// parseQualName parses IDENT ['::' IDENT]. It returns the qualifier ("" if
// none) and the name ("" after an error).
func (p *parser) parseQualName(what string) (qual, name string) {
	name = p.parseName(what)
	if name == "" || p.tok.kind != tColon2 {
		return "", name
	}
	p.next()
	return name, p.parseName(what)
}

// parseEnum: 'enum' IDENT '{' [ member { ',' member } [','] ] '}' ';'.
func (p *parser) parseEnum() {
	e := &Enum{}
	e.Block = p.block
	p.next()
	e.Pos = p.tok.pos
	e.Name = p.parseName("enum name")
	p.addDecl(e)
	p.openBlock()
	for p.tok.kind != tRBrace && p.tok.kind != tEOF && !p.errs.full {
		m := &EnumMember{Pos: p.tok.pos, Enum: e}
		m.Name = p.parseName("enumerator name")
		ok := m.Name != ""
		if ok && p.tok.kind == tAssign {
			p.next()
			m.Value = p.parseValue()
			ok = m.Value != nil
		}
		if ok {
			e.Members = append(e.Members, m)
			if p.tok.kind == tComma {
				p.next()
				continue
			}
			if p.tok.kind == tRBrace {
				break
			}
			p.errorExpected("',' or '}' in enum")
		}
		p.syncTo(tComma, tRBrace)
		if p.tok.kind == tComma {
			p.next()
		}
	}
	p.closeBlock("enum " + e.Name)
}

// parseConst: 'const' type IDENT '=' value ';'.
func (p *parser) parseConst() {
	c := &Const{}
	c.Block = p.block
	p.next()
	c.Type = p.parseType()
	ok := c.Type != nil
	if ok {
		c.Pos = p.tok.pos
		c.Name = p.parseName("constant name")
		ok = c.Name != ""
	}
	if ok {
		ok = p.expect(tAssign)
	}
	if ok {
		c.Value = p.parseValue()
		ok = c.Value != nil
	}
	if ok && p.tok.kind != tSemi {
		p.errorExpected("';' after constant")
		ok = false
	}
	p.syncTo(tSemi, tRBrace)
	if ok {
		p.addDecl(c)
	}
}

// parseInterface: 'interface' IDENT '{' { func } '}' ';'.
func (p *parser) parseInterface() {
	it := &Interface{}
	it.Block = p.block
	p.next()
	it.Pos = p.tok.pos
	it.Name = p.parseName("interface name")
	p.addDecl(it)
	p.openBlock()
	for p.tok.kind != tRBrace && p.tok.kind != tEOF && !p.errs.full {
		if fn := p.parseFunc(); fn != nil {
			it.Funcs = append(it.Funcs, fn)
		}
	}
	p.closeBlock("interface " + it.Name)
}

// parseFunc: ('void' | type) IDENT '(' [ param { ',' param } ] ')' ';'.
func (p *parser) parseFunc() *Func {
	fn := &Func{}
	ok := true
	if p.tok.kind == tVoid {
		p.next()
	} else {
		fn.Ret = p.parseType()
		ok = fn.Ret != nil
	}
	if ok {
		fn.Pos = p.tok.pos
		fn.Name = p.parseName("method name")
		ok = fn.Name != "" && p.expect(tLParen)
	}
	if ok && p.tok.kind != tRParen {
		for {
			prm := p.parseParam()
			if prm == nil {
				ok = false
				break
			}
			fn.Params = append(fn.Params, prm)
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
	}
	if ok {
		ok = p.expect(tRParen)
	}
	if ok && p.tok.kind != tSemi {
		p.errorExpected("';' after method declaration")
		ok = false
	}
	p.syncTo(tSemi, tRBrace)
	if !ok {
		return nil
	}
	return fn
}

// parseParam: ['out'] ['routekey'] type IDENT. routekey is contextual: it is
// a marker when a type follows it, and a type name otherwise.
func (p *parser) parseParam() *Param {
	prm := &Param{}
	if p.tok.kind == tOut {
		prm.Out = true
		p.next()
	}
	if p.tok.kind == tIdent && p.tok.text == "routekey" && p.routekeyIsMarker() {
		prm.RouteKey = true
		p.next()
	}
	if p.tok.kind == tOut && !prm.Out {
		p.errorf(p.tok.pos, "'out' must come before 'routekey'")
		return nil
	}
	if p.tok.kind == tVoid {
		p.errorf(p.tok.pos, "parameters cannot be void")
		return nil
	}
	prm.Type = p.parseType()
	if prm.Type == nil {
		return nil
	}
	prm.Pos = p.tok.pos
	prm.Name = p.parseName("parameter name")
	if prm.Name == "" {
		return nil
	}
	return prm
}

// routekeyIsMarker decides whether the identifier "routekey" at the current
// token is TarsCpp's parameter marker (routekey int x) rather than a type
// named routekey (routekey x).
func (p *parser) routekeyIsMarker() bool {
	n1 := p.peek(1)
	switch {
	case n1.kind.isKeyword():
		return true
	case n1.kind != tIdent:
		return false
	}
	n2 := p.peek(2)
	return n2.kind == tIdent || n2.kind == tColon2
}

// parseType parses a type expression; it returns nil after an error.
func (p *parser) parseType() *Type {
	t := &Type{Pos: p.tok.pos}
	if k, ok := basicKinds[p.tok.kind]; ok {
		t.Kind = k
		p.next()
		return t
	}
	switch p.tok.kind {
	case tUnsigned:
		return p.parseUnsigned(t)
	case tVector, tMap:
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > p.maxDepth {
			p.errorf(t.Pos, "types nested more than %d deep", p.maxDepth)
			return nil
		}
		if p.tok.kind == tVector {
			return p.parseVector(t)
		}
		return p.parseMap(t)
	case tIdent:
		t.Kind = KindNamed
		t.Qualifier, t.Name = p.parseQualName("type name")
		if t.Name == "" {
			return nil
		}
		return t
	case tVoid:
		p.errorf(p.tok.pos, "void is only allowed as a method's return type")
		return nil
	}
	p.errorExpected("type")
	return nil
}

var basicKinds = map[tokKind]Kind{
	tBool: KindBool, tByte: KindByte, tShort: KindShort, tInt32: KindInt,
	tLong: KindLong, tFloat32: KindFloat, tDouble: KindDouble, tStringKw: KindString,
}

func (p *parser) parseUnsigned(t *Type) *Type {
	p.next()
	switch p.tok.kind {
	case tByte:
		t.Kind = KindUByte
	case tShort:
		t.Kind = KindUShort
	case tInt32:
		t.Kind = KindUInt
	case tLong:
		p.errorf(p.tok.pos, "unsigned long is not supported (TARS has no wider type to carry it)")
		return nil
	default:
		p.errorExpected("'byte', 'short' or 'int' after 'unsigned'")
		return nil
	}
	p.next()
	return t
}

func (p *parser) parseVector(t *Type) *Type {
	t.Kind = KindVector
	p.next()
	if !p.expect(tLess) {
		return nil
	}
	if t.Elem = p.parseType(); t.Elem == nil {
		return nil
	}
	if !p.expect(tGreater) {
		return nil
	}
	return t
}

func (p *parser) parseMap(t *Type) *Type {
	t.Kind = KindMap
	p.next()
	if !p.expect(tLess) {
		return nil
	}
	if t.Key = p.parseType(); t.Key == nil {
		return nil
	}
	if !p.expect(tComma) {
		return nil
	}
	if t.Elem = p.parseType(); t.Elem == nil {
		return nil
	}
	if !p.expect(tGreater) {
		return nil
	}
	return t
}

// parseValue: ['-'|'+'] (INT | FLOAT) | STRING | 'true' | 'false' | name ['::' name].
func (p *parser) parseValue() *Value {
	v := &Value{Pos: p.tok.pos}
	sign := ""
	if p.tok.kind == tMinus || p.tok.kind == tPlus {
		sign = p.tok.text
		v.Neg = p.tok.kind == tMinus
		p.next()
		if p.tok.kind != tInt && p.tok.kind != tFloat {
			p.errorExpected("number after sign")
			return nil
		}
	}
	switch p.tok.kind {
	case tInt:
		v.Kind, v.Text = ValueInt, sign+p.tok.text
		mag, err := strconv.ParseUint(p.tok.text, 0, 64)
		v.Mag, v.Over = mag, err != nil
		v.Float = float64(mag)
		if v.Over {
			v.Float = math.Inf(1)
		}
		if v.Neg {
			v.Float = -v.Float
		}
	case tFloat:
		v.Kind, v.Text = ValueFloat, sign+p.tok.text
		// Out of range gives ±Inf, which the checker reports in context.
		f, _ := strconv.ParseFloat(p.tok.text, 64)
		v.Float = f
		if v.Neg {
			v.Float = -f
		}
	case tString:
		v.Kind, v.Text, v.Str = ValueString, p.tok.text, p.tok.val
	case tTrue, tFalse:
		v.Kind, v.Text, v.Bool = ValueBool, p.tok.text, p.tok.kind == tTrue
	case tIdent:
		v.Kind = ValueIdent
		v.Qualifier, v.Ident = p.parseQualName("value")
		if v.Ident == "" {
			return nil
		}
		v.Text = v.Ident
		if v.Qualifier != "" {
			v.Text = v.Qualifier + "::" + v.Ident
		}
		return v
	default:
		p.errorExpected("value (number, string, true, false or enumerator)")
		return nil
	}
	p.next()
	return v
}
