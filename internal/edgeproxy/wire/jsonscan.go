package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A fast path for the JSON the proxy reads most: lists of objects, where it
// needs each item's bytes and a few metadata fields, not a decoded object.
// It skips values by scanning brackets and strings instead of decoding
// them, and falls back to encoding/json for anything unusual (escaped keys
// and strings).

var errJSON = errors.New("wire: malformed JSON")

// skipValue returns the index just past the JSON value starting at b[i]
// (no leading whitespace), or -1 if b ends first.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return -1, nil
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if end < 0 || err != nil {
					return end, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
				if depth < 0 {
					return 0, errJSON
				}
			}
		}
		return -1, nil
	default: // number, true, false, null
		for j := i; j < len(b); j++ {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				if j == i {
					return 0, errJSON
				}
				return j, nil
			}
		}
		return -1, nil
	}
}

// skipString returns the index just past the string starting at b[i].
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return -1, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringValue decodes a JSON string literal.
func stringValue(lit []byte) (string, error) {
	if len(lit) < 2 || lit[0] != '"' {
		return "", errJSON
	}
	inner := lit[1 : len(lit)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), nil
	}
	var s string
	err := json.Unmarshal(lit, &s)
	return s, err
}

// eachMember calls fn with each key and raw value of the JSON object obj.
func eachMember(obj []byte, fn func(key string, val []byte) error) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errJSON
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		end, err := skipValue(obj, i)
		if err != nil || end < 0 || obj[i] != '"' {
			return errJSON
		}
		key, err := stringValue(obj[i:end])
		if err != nil {
			return err
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return errJSON
		}
		i = skipSpace(obj, i+1)
		end, err = skipValue(obj, i)
		if err != nil || end < 0 {
			return errJSON
		}
		if err := fn(key, obj[i:end]); err != nil {
			return err
		}
		i = skipSpace(obj, end)
		if i >= len(obj) {
			return errJSON
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return nil
		default:
			return errJSON
		}
	}
}

// jsonMetaFast is JSONMeta without decoding the object.
func jsonMetaFast(obj []byte) (TypeMeta, Meta, error) {
	var tm TypeMeta
	var m Meta
	str := func(v []byte, dst *string) error {
		if len(v) > 0 && v[0] == 'n' { // null
			return nil
		}
		s, err := stringValue(v)
		*dst = s
		return err
	}
	err := eachMember(obj, func(key string, val []byte) error {
		switch key {
		case "kind":
			return str(val, &tm.Kind)
		case "apiVersion":
			return str(val, &tm.APIVersion)
		case "metadata":
			if len(val) > 0 && val[0] == 'n' {
				return nil
			}
			return eachMember(val, func(key string, val []byte) error {
				switch key {
				case "name":
					return str(val, &m.Name)
				case "namespace":
					return str(val, &m.Namespace)
				case "uid":
					return str(val, &m.UID)
				case "resourceVersion":
					return str(val, &m.ResourceVersion)
				}
				return nil
			})
		}
		return nil
	})
	return tm, m, err
}

// jsonStream reads JSON values from a reader, holding only the value being
// read.
type jsonStream struct {
	r   io.Reader
	buf []byte
	pos int
	eof bool
}

// fill reads more input, keeping buf[pos:]; false at the end of input.
func (s *jsonStream) fill() (bool, error) {
	if s.eof {
		return false, nil
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.buf, s.pos = s.buf[:n], 0
	}
	if cap(s.buf)-len(s.buf) < 16<<10 {
		nb := make([]byte, len(s.buf), 2*cap(s.buf)+32<<10)
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err == io.EOF {
		s.eof = true
		return n > 0, nil
	}
	return true, err
}

// next skips whitespace and returns the next byte without consuming it.
func (s *jsonStream) next() (byte, error) {
	for {
		s.pos = skipSpace(s.buf, s.pos)
		if s.pos < len(s.buf) {
			return s.buf[s.pos], nil
		}
		more, err := s.fill()
		if err != nil {
			return 0, err
		}
		if !more {
			return 0, io.ErrUnexpectedEOF
		}
	}
}

func (s *jsonStream) expect(c byte) error {
	got, err := s.next()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("wire: JSON: want %q, got %q", c, got)
	}
	s.pos++
	return nil
}

// value returns the next value's bytes, valid until the next call.
func (s *jsonStream) value() ([]byte, error) {
	if _, err := s.next(); err != nil {
		return nil, err
	}
	for {
		end, err := skipValue(s.buf, s.pos)
		if err != nil {
			return nil, err
		}
		if end >= 0 {
			v := s.buf[s.pos:end]
			s.pos = end
			if len(v) > MaxObjectSize {
				return nil, errTooLarge
			}
			return v, nil
		}
		if len(s.buf)-s.pos > MaxObjectSize {
			return nil, errTooLarge
		}
		more, err := s.fill()
		if err != nil {
			return nil, err
		}
		if !more {
			return nil, io.ErrUnexpectedEOF
		}
	}
}

// readJSONListFast is ReadJSONList on the fast path.
func readJSONListFast(r io.Reader, v ListVisitor) error {
	s := &jsonStream{r: r, buf: make([]byte, 0, 64<<10)}
	if err := s.expect('{'); err != nil {
		return err
	}
	var head ListHead
	sendHead := v.headOnce(&head)
	if c, err := s.next(); err != nil {
		return err
	} else if c == '}' {
		s.pos++
		return sendHead()
	}
	for {
		kv, err := s.value()
		if err != nil {
			return err
		}
		key, err := stringValue(kv)
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		switch key {
		case "items":
			c, err := s.next()
			if err != nil {
				return err
			}
			if c == 'n' { // null
				if _, err := s.value(); err != nil {
					return err
				}
				break
			}
			if err := s.expect('['); err != nil {
				return err
			}
			if err := sendHead(); err != nil {
				return err
			}
			if c, err := s.next(); err != nil {
				return err
			} else if c == ']' {
				s.pos++
				break
			}
			for {
				item, err := s.value()
				if err != nil {
					return err
				}
				if v.Item != nil {
					if err := v.Item(bytes.Clone(item)); err != nil {
						return err
					}
				}
				c, err := s.next()
				if err != nil {
					return err
				}
				s.pos++
				if c == ']' {
					break
				}
				if c != ',' {
					return errJSON
				}
			}
		default:
			val, err := s.value()
			if err != nil {
				return err
			}
			switch key {
			case "kind":
				if head.Type.Kind, err = stringValue(val); err != nil {
					return err
				}
			case "apiVersion":
				if head.Type.APIVersion, err = stringValue(val); err != nil {
					return err
				}
			case "metadata":
				var lm jsonListMeta
				if err := json.Unmarshal(val, &lm); err != nil {
					return err
				}
				lm.setIn(&head)
			}
		}
		c, err := s.next()
		if err != nil {
			return err
		}
		s.pos++
		if c == '}' {
			return sendHead()
		}
		if c != ',' {
			return errJSON
		}
	}
}
