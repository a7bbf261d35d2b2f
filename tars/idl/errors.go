package idl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// bytes. The zero Pos means "no position".
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether p refers to a source location.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as file:line:col, omitting the parts that are unknown.
func (p Pos) String() string {
	switch {
	case !p.IsValid() && p.File == "":
		return "-"
	case !p.IsValid():
		return p.File
	case p.File == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one diagnostic.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every diagnostic of one run, sorted by position. It
// implements error; its message has one diagnostic per line.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// errorSink collects diagnostics, drops exact duplicates and stops
// collecting after max errors.
type errorSink struct {
	list ErrorList
	max  int
	full bool
	seen map[Error]bool
}

func newErrorSink(max int) *errorSink {
	return &errorSink{max: max, seen: make(map[Error]bool)}
}

func (s *errorSink) add(pos Pos, format string, args ...any) {
	if s.full {
		return
	}
	e := Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	if s.seen[e] {
		return
	}
	s.seen[e] = true
	if s.max > 0 && len(s.list) >= s.max {
		s.full = true
		s.list = append(s.list, &Error{Pos: pos, Msg: "too many errors"})
		return
	}
	s.list = append(s.list, &e)
}

// result returns the diagnostics sorted by file, line and column; the
// "too many errors" marker, if any, stays last.
func (s *errorSink) result() ErrorList {
	l := slices.Clone(s.list)
	n := len(l)
	if s.full {
		n--
	}
	slices.SortStableFunc(l[:n], func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	return l
}
