package codec

import (
	"encoding/binary"
	"strconv"
)

// DefaultMaxDepth is the default cap on struct and container nesting.
const DefaultMaxDepth = 100

// Reader decodes TARS fields from a byte slice. It never modifies the input,
// and only the NoCopy methods return values that alias it.
//
// Methods return *Error for malformed input and never panic. After an error
// the Reader's position is unspecified; Reset it before reuse.
type Reader struct {
	buf      []byte
	off      int
	depth    int
	maxDepth int
	noCopy   bool
}

// NewReader returns a Reader positioned at the start of b.
func NewReader(b []byte) *Reader { return &Reader{buf: b, maxDepth: DefaultMaxDepth} }

// NewReaderNoCopy is NewReader in no-copy mode (see ResetNoCopy).
func NewReaderNoCopy(b []byte) *Reader {
	return &Reader{buf: b, maxDepth: DefaultMaxDepth, noCopy: true}
}

// Reset makes r read b from its start, copying strings and byte vectors
// out of it. The depth limit is kept.
func (r *Reader) Reset(b []byte) { r.reset(b, false) }

// ResetNoCopy makes r read b from its start in no-copy mode: ReadString and
// ReadBytes then behave like ReadStringNoCopy and ReadBytesNoCopy, so
// decoded values alias b. Use it when b is never modified afterwards, for
// example a private copy of a frame: one copy of the input then replaces
// one allocation per string, at the price of keeping all of b alive while
// any decoded string is.
func (r *Reader) ResetNoCopy(b []byte) { r.reset(b, true) }

func (r *Reader) reset(b []byte, noCopy bool) {
	r.buf, r.off, r.depth, r.noCopy = b, 0, 0, noCopy
	if r.maxDepth == 0 {
		r.maxDepth = DefaultMaxDepth
	}
}

// SetMaxDepth sets the nesting cap; n <= 0 restores DefaultMaxDepth.
func (r *Reader) SetMaxDepth(n int) {
	if n <= 0 {
		n = DefaultMaxDepth
	}
	r.maxDepth = n
}

// Depth returns the current nesting depth: the number of structs entered
// with ReadStructBegin and not yet left with SkipToStructEnd.
func (r *Reader) Depth() int { return r.depth }

// Offset returns the position of the next unread byte.
func (r *Reader) Offset() int { return r.off }

// Len returns the number of unread bytes.
func (r *Reader) Len() int { return len(r.buf) - r.off }

// PeekHead decodes the head at the current position without consuming it.
// n is the head's size (1 or 2). At the end of the input it returns
// ErrTruncated.
func (r *Reader) PeekHead() (typ Type, tag byte, n int, err error) {
	if r.off >= len(r.buf) {
		return 0, 0, 0, r.errTruncated(NoTag, "field head")
	}
	h := r.buf[r.off]
	typ, tag = Type(h&0x0F), h>>4
	if tag < 15 {
		return typ, tag, 1, nil
	}
	if r.off+1 >= len(r.buf) {
		return 0, 0, 0, r.errTruncated(NoTag, "extended tag byte")
	}
	return typ, r.buf[r.off+1], 2, nil
}

// ReadHead decodes and consumes the head at the current position.
func (r *Reader) ReadHead() (typ Type, tag byte, err error) {
	typ, tag, n, err := r.PeekHead()
	r.off += n
	return typ, tag, err
}

// SkipToTag finds the field with the given tag and consumes its head,
// returning its wire type. Fields with smaller tags are skipped. At a larger
// tag, at STRUCT_END or at the end of the input the field is absent: nothing
// more is consumed, present is false, and err wraps ErrRequiredMissing if
// require is set. Generated code uses it to switch on the wire type.
func (r *Reader) SkipToTag(tag byte, require bool) (typ Type, present bool, err error) {
	// Fast paths: the next field is the wanted one, with a one-byte head;
	// or an optional field is absent at the end of its struct (an optional
	// member equal to its default, the common case).
	if r.off < len(r.buf) && tag < 15 {
		h := r.buf[r.off]
		if h>>4 == tag && Type(h&0x0F) != TypeStructEnd {
			r.off++
			return Type(h & 0x0F), true, nil
		}
		if h == byte(TypeStructEnd) && !require {
			return 0, false, nil
		}
	}
	return r.skipToTagSlow(tag, require)
}

func (r *Reader) skipToTagSlow(tag byte, require bool) (Type, bool, error) {
	for r.off < len(r.buf) {
		typ, cur, n, err := r.PeekHead()
		if err != nil {
			return 0, false, err
		}
		if typ == TypeStructEnd || cur > tag {
			if require {
				return 0, false, r.errMissing(tag, typ.String()+" at tag "+strconv.Itoa(int(cur)))
			}
			return 0, false, nil
		}
		r.off += n
		if cur == tag {
			return typ, true, nil
		}
		if err := r.skipPayload(typ, cur); err != nil {
			return 0, false, err
		}
	}
	if require {
		return 0, false, r.errMissing(tag, "end of input")
	}
	return 0, false, nil
}

// SkipField skips one whole field (head and payload) at the current position.
func (r *Reader) SkipField() error {
	typ, tag, err := r.ReadHead()
	if err != nil {
		return err
	}
	return r.skipPayload(typ, tag)
}

// SkipToStructEnd skips the remaining fields of the current struct and
// consumes its STRUCT_END, leaving the nesting level entered by
// ReadStructBegin.
func (r *Reader) SkipToStructEnd() error {
	for {
		// Fast path: STRUCT_END is next (no unknown trailing fields).
		if r.off < len(r.buf) && r.buf[r.off] == byte(TypeStructEnd) {
			r.off++
			if r.depth > 0 {
				r.depth--
			}
			return nil
		}
		typ, tag, err := r.ReadHead()
		if err != nil {
			return err
		}
		if typ == TypeStructEnd {
			if r.depth > 0 {
				r.depth--
			}
			return nil
		}
		if err := r.skipPayload(typ, tag); err != nil {
			return err
		}
	}
}

// skipPayload consumes the payload of a field whose head has been read.
func (r *Reader) skipPayload(typ Type, tag byte) error {
	switch typ {
	case TypeByte:
		return r.advance(1, tag)
	case TypeShort:
		return r.advance(2, tag)
	case TypeInt, TypeFloat:
		return r.advance(4, tag)
	case TypeLong, TypeDouble:
		return r.advance(8, tag)
	case TypeString1, TypeString4:
		_, err := r.stringPayload(typ, tag)
		return err
	case TypeSimpleList:
		_, err := r.simpleListPayload(tag)
		return err
	case TypeStructEnd, TypeZero:
		return nil
	case TypeMap, TypeList, TypeStructBegin:
		if err := r.enter(tag); err != nil {
			return err
		}
		var err error
		if typ == TypeStructBegin {
			err = r.SkipToStructEnd() // also leaves the level
		} else {
			err = r.skipElements(typ, tag)
			r.depth--
		}
		return err
	}
	return r.errInvalidType(typ, tag)
}

func (r *Reader) skipElements(typ Type, tag byte) error {
	per := 1
	if typ == TypeMap {
		per = 2
	}
	n, err := r.readCount(tag, per)
	if err != nil {
		return err
	}
	for i := 0; i < n*per; i++ {
		if err := r.SkipField(); err != nil {
			return err
		}
	}
	return nil
}

// enter increments the nesting depth, failing beyond the cap.
func (r *Reader) enter(tag byte) error {
	if r.maxDepth == 0 {
		r.maxDepth = DefaultMaxDepth
	}
	if r.depth >= r.maxDepth {
		return &Error{Err: ErrDepth, Offset: r.off, Tag: int(tag),
			Msg: "limit " + strconv.Itoa(r.maxDepth)}
	}
	r.depth++
	return nil
}

// advance consumes n payload bytes.
func (r *Reader) advance(n int, tag byte) error {
	if n > len(r.buf)-r.off {
		return r.errTruncated(int(tag), strconv.Itoa(n)+" payload bytes")
	}
	r.off += n
	return nil
}

// take consumes and returns n bytes, which alias the input.
func (r *Reader) take(n int, tag byte) ([]byte, error) {
	if n > len(r.buf)-r.off {
		return nil, r.errTruncated(int(tag), strconv.Itoa(n)+" payload bytes")
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b, nil
}

// readCount reads the count field (an integer at tag 0) of a LIST, MAP or
// SIMPLE_LIST and checks it against the remaining input: every counted unit
// needs at least per bytes.
func (r *Reader) readCount(tag byte, per int) (int, error) {
	start := r.off
	v, err := r.readInt(0, true, TypeInt, 0)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Tag, e.Msg = int(tag), "reading the count"
			if e.Err == ErrRequiredMissing { // the count is not optional data
				e.Err, e.Expected = ErrTypeMismatch, "count at tag 0"
				if r.off >= len(r.buf) {
					e.Err = ErrTruncated
				}
			}
		}
		return 0, err
	}
	if v < 0 || v > int64((len(r.buf)-r.off)/per) {
		return 0, &Error{Err: ErrBadLength, Offset: start, Tag: int(tag),
			Expected: "count in [0, " + strconv.Itoa((len(r.buf)-r.off)/per) + "]",
			Got:      strconv.FormatInt(v, 10)}
	}
	return int(v), nil
}

// intPayload reads the payload of an integer field whose head has type typ,
// accepting ZERO_TAG and the integer types up to max.
func (r *Reader) intPayload(typ, max Type, tag byte) (int64, error) {
	if typ == TypeZero {
		return 0, nil
	}
	if typ > max {
		return 0, r.errMismatch(typ, intExpected[max], tag)
	}
	b, err := r.take(1<<typ, tag)
	if err != nil {
		return 0, err
	}
	switch typ {
	case TypeByte:
		return int64(int8(b[0])), nil
	case TypeShort:
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case TypeInt:
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

var intExpected = [...]string{
	TypeByte:  "int8 (ZERO_TAG or BYTE)",
	TypeShort: "int16 (ZERO_TAG, BYTE or SHORT)",
	TypeInt:   "int32 (ZERO_TAG, BYTE, SHORT or INT)",
	TypeLong:  "int64 (ZERO_TAG or BYTE..LONG)",
}

// stringPayload reads the length and bytes of a STRING1 or STRING4 payload.
func (r *Reader) stringPayload(typ Type, tag byte) ([]byte, error) {
	var n int
	if typ == TypeString1 {
		b, err := r.take(1, tag)
		if err != nil {
			return nil, err
		}
		n = int(b[0])
	} else {
		b, err := r.take(4, tag)
		if err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint32(b))
	}
	if n > len(r.buf)-r.off {
		return nil, &Error{Err: ErrBadLength, Offset: r.off, Tag: int(tag),
			Expected: "string of at most " + strconv.Itoa(len(r.buf)-r.off) + " bytes",
			Got:      strconv.Itoa(n)}
	}
	return r.take(n, tag)
}

// simpleListPayload reads a SIMPLE_LIST payload: the BYTE sub-head, the
// count and the raw bytes, which alias the input.
func (r *Reader) simpleListPayload(tag byte) ([]byte, error) {
	start := r.off
	typ, cur, err := r.ReadHead()
	if err != nil {
		return nil, err
	}
	if typ != TypeByte || cur != 0 {
		return nil, &Error{Err: ErrTypeMismatch, Offset: start, Tag: int(tag),
			Expected: "SIMPLE_LIST sub-head BYTE at tag 0",
			Got:      typ.String() + " at tag " + strconv.Itoa(int(cur))}
	}
	n, err := r.readCount(tag, 1)
	if err != nil {
		return nil, err
	}
	return r.take(n, tag)
}

func (r *Reader) errTruncated(tag int, want string) error {
	return &Error{Err: ErrTruncated, Offset: r.off, Tag: tag, Expected: want,
		Got: strconv.Itoa(len(r.buf)-r.off) + " bytes left"}
}

func (r *Reader) errMissing(tag byte, got string) error {
	return &Error{Err: ErrRequiredMissing, Offset: r.off, Tag: int(tag),
		Expected: "field at tag " + strconv.Itoa(int(tag)), Got: got}
}

// errMismatch reports a field whose head (already consumed) has type typ.
func (r *Reader) errMismatch(typ Type, want string, tag byte) error {
	if !typ.Valid() {
		return r.errInvalidType(typ, tag)
	}
	return &Error{Err: ErrTypeMismatch, Offset: r.off, Tag: int(tag), Expected: want, Got: typ.String()}
}

func (r *Reader) errInvalidType(typ Type, tag byte) error {
	return &Error{Err: ErrInvalidType, Offset: r.off, Tag: int(tag), Got: typ.String()}
}
