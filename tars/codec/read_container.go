package codec

import "strconv"

// ReadListHead locates a LIST field at tag and reads its element count n.
// The caller then reads n elements at tag 0 (with require set). n is at most
// the number of bytes left, since every element has a head; generated code
// should still grow slices of large element types gradually rather than
// allocating n elements up front.
func (r *Reader) ReadListHead(tag byte, require bool) (n int, present bool, err error) {
	return r.readContainerHead(TypeList, tag, require, 1)
}

// ReadMapHead locates a MAP field at tag and reads its entry count n. The
// caller then reads n pairs: each key at tag 0, then its value at tag 1.
// n is at most half the number of bytes left.
func (r *Reader) ReadMapHead(tag byte, require bool) (n int, present bool, err error) {
	return r.readContainerHead(TypeMap, tag, require, 2)
}

func (r *Reader) readContainerHead(want Type, tag byte, require bool, per int) (int, bool, error) {
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return 0, false, err
	}
	if typ != want {
		return 0, false, r.errMismatch(typ, want.String(), tag)
	}
	n, err := r.readCount(tag, per)
	return n, err == nil, err
}

// ReadStructBegin locates a STRUCT_BEGIN field at tag and enters it,
// increasing the nesting depth (ErrDepth beyond the cap). After reading the
// struct's fields, call SkipToStructEnd.
func (r *Reader) ReadStructBegin(tag byte, require bool) (present bool, err error) {
	if tag < 15 && r.off < len(r.buf) && r.buf[r.off] == tag<<4|byte(TypeStructBegin) && r.depth < r.maxDepth {
		r.off++ // fast path: the wanted STRUCT_BEGIN is next
		r.depth++
		return true, nil
	}
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return false, err
	}
	if typ != TypeStructBegin {
		return false, r.errMismatch(typ, "STRUCT_BEGIN", tag)
	}
	if err := r.enter(tag); err != nil {
		return false, err
	}
	return true, nil
}

// ReadStruct reads a nested struct at tag: STRUCT_BEGIN, s.ReadFields, then
// any unknown trailing fields up to and including STRUCT_END. If an
// optional struct is absent, s is left unchanged.
//
// As with Writer.WriteStruct, the interface call makes *s escape; decoding
// into a local variable allocates unless the caller uses ReadStructBegin,
// the concrete ReadFields and SkipToStructEnd.
func (r *Reader) ReadStruct(s Struct, tag byte, require bool) error {
	present, err := r.ReadStructBegin(tag, require)
	if !present {
		return err
	}
	if err := s.ReadFields(r); err != nil {
		return err
	}
	return r.SkipToStructEnd()
}

// readByteVector locates a vector<byte> field. A SIMPLE_LIST is returned as
// a slice aliasing the input (copied=false); the LIST-of-int8 form is
// decoded into a new slice (copied=true).
func (r *Reader) readByteVector(tag byte, require bool) (b []byte, copied, present bool, err error) {
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return nil, false, false, err
	}
	switch typ {
	case TypeSimpleList:
		b, err = r.simpleListPayload(tag)
		return b, false, err == nil, err
	case TypeList:
		n, err := r.readCount(tag, 1)
		if err != nil {
			return nil, false, false, err
		}
		b = make([]byte, n)
		for i := range b {
			var x int8
			if err := r.ReadInt8(&x, 0, true); err != nil {
				return nil, false, false, err
			}
			b[i] = byte(x)
		}
		return b, true, true, nil
	}
	return nil, false, false, r.errMismatch(typ, "vector<byte> (SIMPLE_LIST or LIST)", tag)
}

// ReadBytes reads an IDL vector<byte> into a new slice, from either a
// SIMPLE_LIST or a LIST of int8. In no-copy mode it is ReadBytesNoCopy.
func (r *Reader) ReadBytes(v *[]byte, tag byte, require bool) error {
	b, copied, ok, err := r.readByteVector(tag, require)
	if ok {
		if !copied && !r.noCopy {
			b = append(make([]byte, 0, len(b)), b...)
		}
		*v = b
	}
	return err
}

// ReadBytesNoCopy is ReadBytes without the copy when the field is a
// SIMPLE_LIST: *v then aliases the input, which must stay unmodified for as
// long as *v is used. The LIST form is always copied.
func (r *Reader) ReadBytesNoCopy(v *[]byte, tag byte, require bool) error {
	b, _, ok, err := r.readByteVector(tag, require)
	if ok {
		*v = b
	}
	return err
}

// ReadUint8s reads an IDL vector<unsigned byte>: a LIST of shorts in
// [0, 255]. A SIMPLE_LIST is accepted too (some old writers used it, see
// TarsGo #31) and copied.
func (r *Reader) ReadUint8s(v *[]uint8, tag byte, require bool) error {
	typ, present, err := r.SkipToTag(tag, require)
	if !present {
		return err
	}
	switch typ {
	case TypeSimpleList:
		b, err := r.simpleListPayload(tag)
		if err != nil {
			return err
		}
		*v = append(make([]uint8, 0, len(b)), b...)
		return nil
	case TypeList:
		n, err := r.readCount(tag, 1)
		if err != nil {
			return err
		}
		b := make([]uint8, n)
		for i := range b {
			if err := r.ReadUint8(&b[i], 0, true); err != nil {
				return err
			}
		}
		*v = b
		return nil
	}
	return r.errMismatch(typ, "vector<unsigned byte> (LIST)", tag)
}

// String returns a short description of the reader's state, for debugging.
func (r *Reader) String() string {
	return "codec.Reader{offset " + strconv.Itoa(r.off) + " of " + strconv.Itoa(len(r.buf)) +
		", depth " + strconv.Itoa(r.depth) + "}"
}
