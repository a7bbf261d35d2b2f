package idl

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// lexer splits a source file into tokens. It reports malformed tokens to the
// error sink and keeps going, so the parser always sees a token stream that
// ends in tEOF.
type lexer struct {
	file string
	src  []byte
	off  int
	line int
	col  int
	errs *errorSink
}

func newLexer(file string, src []byte, errs *errorSink) *lexer {
	return &lexer{file: file, src: src, line: 1, col: 1, errs: errs}
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) peekByte(ahead int) byte {
	if l.off+ahead < len(l.src) {
		return l.src[l.off+ahead]
	}
	return 0
}

func (l *lexer) advance() {
	if l.src[l.off] == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	l.off++
}

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance()
		case c == '/' && l.peekByte(1) == '/':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
		case c == '/' && l.peekByte(1) == '*':
			start := l.pos()
			l.advance()
			l.advance()
			for {
				if l.off >= len(l.src) {
					l.errs.add(start, "comment not terminated")
					return
				}
				if l.src[l.off] == '*' && l.peekByte(1) == '/' {
					l.advance()
					l.advance()
					break
				}
				l.advance()
			}
		default:
			return
		}
	}
}

var punct = map[byte]tokKind{
	'{': tLBrace, '}': tRBrace, '(': tLParen, ')': tRParen, '[': tLBrack,
	']': tRBrack, '<': tLess, '>': tGreater, ',': tComma, ';': tSemi,
	'=': tAssign, '-': tMinus, '+': tPlus,
}

// next returns the next token.
func (l *lexer) next() token {
	l.skipSpace()
	pos := l.pos()
	start := l.off
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: pos}
	}
	c := l.src[l.off]
	switch {
	case isLetter(c):
		for l.off < len(l.src) && (isLetter(l.src[l.off]) || isDigit(l.src[l.off])) {
			l.advance()
		}
		text := string(l.src[start:l.off])
		if k, ok := keywords[text]; ok {
			return token{kind: k, pos: pos, text: text}
		}
		return token{kind: tIdent, pos: pos, text: text}
	case isDigit(c) || (c == '.' && isDigit(l.peekByte(1))):
		return l.number(pos)
	case c == '"':
		return l.string(pos)
	case c == ':' && l.peekByte(1) == ':':
		l.advance()
		l.advance()
		return token{kind: tColon2, pos: pos, text: "::"}
	case c == '#':
		return l.directive(pos)
	}
	if k, ok := punct[c]; ok {
		l.advance()
		return token{kind: k, pos: pos, text: string(c)}
	}
	_, size := utf8.DecodeRune(l.src[l.off:])
	for range size {
		l.advance()
	}
	text := string(l.src[start:l.off])
	l.errs.add(pos, "invalid character %s", strconv.QuoteToASCII(text))
	return token{kind: tIllegal, pos: pos, text: text}
}

func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// number lexes 123, 0x1F, 1.5, .5, 1e9 and 2.5E-3. A letter or digit glued
// to the end (1x, 0x, 1.5f) makes the whole run one malformed number.
func (l *lexer) number(pos Pos) token {
	start := l.off
	kind := tInt
	if l.src[l.off] == '0' && (l.peekByte(1) == 'x' || l.peekByte(1) == 'X') {
		l.advance()
		l.advance()
		for l.off < len(l.src) && isHex(l.src[l.off]) {
			l.advance()
		}
		if l.off-start == 2 {
			return l.badNumber(pos, start)
		}
	} else {
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.advance()
		}
		if l.peekByte(0) == '.' {
			kind = tFloat
			l.advance()
			for l.off < len(l.src) && isDigit(l.src[l.off]) {
				l.advance()
			}
		}
		if c := l.peekByte(0); c == 'e' || c == 'E' {
			kind = tFloat
			l.advance()
			if c := l.peekByte(0); c == '+' || c == '-' {
				l.advance()
			}
			if !isDigit(l.peekByte(0)) {
				return l.badNumber(pos, start)
			}
			for l.off < len(l.src) && isDigit(l.src[l.off]) {
				l.advance()
			}
		}
	}
	if c := l.peekByte(0); isLetter(c) || isDigit(c) || c == '.' {
		return l.badNumber(pos, start)
	}
	return token{kind: kind, pos: pos, text: string(l.src[start:l.off])}
}

func (l *lexer) badNumber(pos Pos, start int) token {
	for l.off < len(l.src) {
		c := l.src[l.off]
		if !isLetter(c) && !isDigit(c) && c != '.' {
			break
		}
		l.advance()
	}
	text := string(l.src[start:l.off])
	l.errs.add(pos, "malformed number %q", truncate(text, 40))
	return token{kind: tInt, pos: pos, text: "0"}
}

// string lexes a double-quoted literal with C escapes: \n \t \r \a \b \f \v
// \\ \" \' \? \0-\377 (octal, up to three digits) and \xHH.
func (l *lexer) string(pos Pos) token {
	start := l.off
	l.advance() // opening quote
	var val strings.Builder
	for {
		if l.off >= len(l.src) || l.src[l.off] == '\n' {
			l.errs.add(pos, "string literal not terminated")
			return token{kind: tString, pos: pos, text: string(l.src[start:l.off]), val: val.String()}
		}
		c := l.src[l.off]
		if c == '"' {
			l.advance()
			return token{kind: tString, pos: pos, text: string(l.src[start:l.off]), val: val.String()}
		}
		if c != '\\' {
			val.WriteByte(c)
			l.advance()
			continue
		}
		escPos := l.pos()
		l.advance()
		if l.off >= len(l.src) {
			continue // reported as unterminated above
		}
		e := l.src[l.off]
		if b, ok := simpleEscapes[e]; ok {
			val.WriteByte(b)
			l.advance()
			continue
		}
		switch {
		case '0' <= e && e <= '7':
			n := 0
			for i := 0; i < 3 && l.off < len(l.src) && '0' <= l.src[l.off] && l.src[l.off] <= '7'; i++ {
				n = n*8 + int(l.src[l.off]-'0')
				l.advance()
			}
			if n > 0xFF {
				l.errs.add(escPos, "octal escape out of range")
			}
			val.WriteByte(byte(n))
		case e == 'x':
			l.advance()
			n, digits := 0, 0
			for digits < 2 && l.off < len(l.src) && isHex(l.src[l.off]) {
				v, _ := strconv.ParseUint(string(l.src[l.off]), 16, 8)
				n = n*16 + int(v)
				digits++
				l.advance()
			}
			if digits == 0 {
				l.errs.add(escPos, "\\x escape needs hexadecimal digits")
			}
			val.WriteByte(byte(n))
		case e == '\n':
			continue // reported as unterminated at the top of the loop
		default:
			l.errs.add(escPos, "unknown escape sequence %s", strconv.QuoteToASCII(`\`+string(rune(e))))
			l.advance()
		}
	}
}

var simpleEscapes = map[byte]byte{
	'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v',
	'\\': '\\', '"': '"', '\'': '\'', '?': '?',
}

// directive lexes "#include". Other preprocessor directives do not exist in
// the TARS IDL.
func (l *lexer) directive(pos Pos) token {
	start := l.off
	l.advance() // '#'
	for l.off < len(l.src) && (l.src[l.off] == ' ' || l.src[l.off] == '\t') {
		l.advance()
	}
	wordStart := l.off
	for l.off < len(l.src) && isLetter(l.src[l.off]) {
		l.advance()
	}
	word := string(l.src[wordStart:l.off])
	if word == "include" {
		return token{kind: tInclude, pos: pos, text: "#include"}
	}
	text := string(l.src[start:l.off])
	l.errs.add(pos, "unknown directive %q (only #include is supported)", truncate(text, 40))
	return token{kind: tIllegal, pos: pos, text: text}
}
