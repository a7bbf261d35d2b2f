package codec

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors classify every *Error; test them with errors.Is.
var (
	// ErrTruncated: the input ended inside a head, payload, or struct.
	ErrTruncated = errors.New("truncated input")
	// ErrTypeMismatch: the field has a wire type the target cannot hold.
	ErrTypeMismatch = errors.New("type mismatch")
	// ErrInvalidType: a head carries type code 14 or 15.
	ErrInvalidType = errors.New("invalid type code")
	// ErrRequiredMissing: a required field is absent.
	ErrRequiredMissing = errors.New("required field missing")
	// ErrBadLength: a count or length is negative or exceeds the input left.
	ErrBadLength = errors.New("bad length")
	// ErrRange: a value does not fit the target type (e.g. an unsigned byte
	// encoded as the short 300).
	ErrRange = errors.New("value out of range")
	// ErrDepth: structs or containers nest deeper than the reader allows.
	ErrDepth = errors.New("nesting too deep")
	// ErrTooLarge: a value cannot be represented on the wire (writer side).
	ErrTooLarge = errors.New("value too large to encode")
)

// NoTag is the Tag of an Error that is not about a particular field.
const NoTag = -1

// Error describes a decoding (or, rarely, encoding) failure.
type Error struct {
	Err      error  // one of the sentinel errors above
	Offset   int    // byte offset in the input where the problem was found
	Tag      int    // tag of the field concerned, or NoTag
	Expected string // what the reader wanted, e.g. "int32 (ZERO_TAG..INT)"
	Got      string // what it found, e.g. "STRING1"
	Msg      string // extra detail
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tars codec: ")
	b.WriteString(e.Err.Error())
	b.WriteString(" at offset ")
	b.WriteString(strconv.Itoa(e.Offset))
	if e.Tag != NoTag {
		b.WriteString(", tag ")
		b.WriteString(strconv.Itoa(e.Tag))
	}
	if e.Expected != "" {
		b.WriteString(": expected ")
		b.WriteString(e.Expected)
	}
	if e.Got != "" {
		b.WriteString(", got ")
		b.WriteString(e.Got)
	}
	if e.Msg != "" {
		b.WriteString(" (")
		b.WriteString(e.Msg)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the sentinel classifying the error.
func (e *Error) Unwrap() error { return e.Err }
