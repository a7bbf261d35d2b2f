package codec_test

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

// node is a generic decoded field, used to check that whatever the reader
// accepts survives a re-encode.
type node struct {
	Typ  codec.Type // TypeLong for any integer, TypeFloat, TypeDouble, TypeString4, ...
	Tag  byte
	Int  int64
	Bits uint64 // float bits (NaN-safe comparison)
	Str  string
	Kids []node
}

// decodeFields decodes fields until STRUCT_END or the end of the input,
// using the typed Read methods.
func decodeFields(r *codec.Reader) ([]node, error) {
	var out []node
	for r.Len() > 0 {
		typ, _, _, err := r.PeekHead()
		if err != nil {
			return nil, err
		}
		if typ == codec.TypeStructEnd {
			break
		}
		n, err := decodeOne(r)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func decodeOne(r *codec.Reader) (node, error) {
	typ, tag, _, err := r.PeekHead()
	if err != nil {
		return node{}, err
	}
	n := node{Typ: typ, Tag: tag}
	switch typ {
	case codec.TypeZero, codec.TypeByte, codec.TypeShort, codec.TypeInt, codec.TypeLong:
		n.Typ = codec.TypeLong
		err = r.ReadInt64(&n.Int, tag, true)
	case codec.TypeFloat:
		var f float32
		err = r.ReadFloat32(&f, tag, true)
		n.Bits = uint64(math.Float32bits(f))
	case codec.TypeDouble:
		var f float64
		err = r.ReadFloat64(&f, tag, true)
		n.Bits = math.Float64bits(f)
	case codec.TypeString1, codec.TypeString4:
		n.Typ = codec.TypeString4
		err = r.ReadString(&n.Str, tag, true)
	case codec.TypeSimpleList:
		var b []byte
		err = r.ReadBytes(&b, tag, true)
		n.Str = string(b)
	case codec.TypeList, codec.TypeMap:
		var cnt int
		if typ == codec.TypeList {
			cnt, _, err = r.ReadListHead(tag, true)
		} else {
			cnt, _, err = r.ReadMapHead(tag, true)
			cnt *= 2
		}
		for i := 0; i < cnt && err == nil; i++ {
			var k node
			k, err = decodeOne(r)
			n.Kids = append(n.Kids, k)
		}
	case codec.TypeStructBegin:
		if _, err = r.ReadStructBegin(tag, true); err == nil {
			if n.Kids, err = decodeFields(r); err == nil {
				err = r.SkipToStructEnd()
			}
		}
	case codec.TypeStructEnd: // only reached as a list or map element
		n.Tag = 0
		err = r.SkipField()
	default:
		err = r.SkipField()
		if err == nil {
			err = errors.New("SkipField accepted " + typ.String())
		}
	}
	return n, err
}

func encodeNodes(w *codec.Writer, ns []node) {
	for _, n := range ns {
		switch n.Typ {
		case codec.TypeLong:
			w.WriteInt64(n.Tag, n.Int)
		case codec.TypeFloat:
			w.WriteFloat32(n.Tag, math.Float32frombits(uint32(n.Bits)))
		case codec.TypeDouble:
			w.WriteFloat64(n.Tag, math.Float64frombits(n.Bits))
		case codec.TypeString4:
			w.WriteString(n.Tag, n.Str)
		case codec.TypeSimpleList:
			w.WriteBytes(n.Tag, []byte(n.Str))
		case codec.TypeList:
			w.WriteListHead(n.Tag, len(n.Kids))
			encodeNodes(w, n.Kids)
		case codec.TypeMap:
			w.WriteMapHead(n.Tag, len(n.Kids)/2)
			encodeNodes(w, n.Kids)
		case codec.TypeStructBegin:
			w.WriteStructBegin(n.Tag)
			encodeNodes(w, n.Kids)
			w.WriteStructEnd()
		case codec.TypeStructEnd:
			w.WriteStructEnd()
		}
	}
}

func addSeeds(f *testing.F) {
	for _, fd := range fields() {
		w := codec.NewWriter(nil)
		fd.write(w)
		f.Add(w.Bytes())
	}
}

// checkError fails unless err is nil or a *codec.Error.
func checkError(t *testing.T, err error) {
	var ce *codec.Error
	if err != nil && !errors.As(err, &ce) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

// FuzzReader decodes arbitrary input with the typed Read methods, both
// generically and as the structs of spec example 3. Whatever is accepted must
// re-encode to bytes that decode to the same values.
func FuzzReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		_, err := readTestInfo2(codec.NewReader(in))
		checkError(t, err)

		r := codec.NewReader(in)
		ns, err := decodeFields(r)
		checkError(t, err)
		if err != nil {
			return
		}
		w := codec.NewWriter(nil)
		encodeNodes(w, ns)
		if w.Err() != nil {
			t.Fatal(w.Err())
		}
		again, err := decodeFields(codec.NewReader(w.Bytes()))
		if err != nil {
			t.Fatalf("re-decode of % X: %v", w.Bytes(), err)
		}
		if !reflect.DeepEqual(ns, again) {
			t.Fatalf("round trip differs:\n%+v\n%+v", ns, again)
		}
	})
}

// FuzzSkip checks SkipField and SkipToTag against the typed decoder: they
// must accept the same inputs and consume the same bytes.
func FuzzSkip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		r := codec.NewReader(in)
		_, derr := decodeFields(r)
		decoded := r.Offset()

		s := codec.NewReader(in)
		var serr error
		for s.Len() > 0 && serr == nil {
			if typ, _, _, err := s.PeekHead(); err == nil && typ == codec.TypeStructEnd {
				break
			}
			serr = s.SkipField()
		}
		checkError(t, serr)
		if errors.Is(serr, codec.ErrDepth) {
			// Skipping counts list and map nesting; the typed decoder
			// cannot (lists have no end marker), so it may go deeper.
			return
		}
		if (derr == nil) != (serr == nil) {
			t.Fatalf("decode error %v, skip error %v", derr, serr)
		}
		if derr == nil && decoded != s.Offset() {
			t.Fatalf("decode consumed %d, skip %d", decoded, s.Offset())
		}
		// Looking for tag 255 skips everything before it.
		var v int64
		checkError(t, codec.NewReader(in).ReadInt64(&v, 255, false))
		// The input never changes.
		if !bytes.Equal(in, orig) {
			t.Fatal("input modified")
		}
	})
}
