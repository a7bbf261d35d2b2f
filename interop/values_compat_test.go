package interop_test

import (
	"bytes"
	"testing"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"

	"github.com/outpost-edge/outpost/tars/codec"
)

var testTags = []byte{0, 1, 14, 15, 100, 255}

// unknownFields returns encoded fields with tags in [from, to], of every
// type, to be skipped by both readers.
func unknownFields(from, to int) []byte {
	w := codec.NewWriter(nil)
	next := func() (byte, bool) {
		if from > to {
			return 0, false
		}
		from++
		return byte(from - 1), true
	}
	if t, ok := next(); ok {
		w.WriteString(t, "unknown")
	}
	if t, ok := next(); ok {
		w.WriteStructBegin(t)
		w.WriteMapHead(0, 1)
		w.WriteString(0, "k")
		w.WriteBytes(1, []byte{1, 2, 3})
		w.WriteListHead(3, 2)
		w.WriteFloat64(0, 1)
		w.WriteInt64(0, 1<<40)
		w.WriteStructEnd()
	}
	if t, ok := next(); ok {
		w.WriteFloat32(t, 2)
	}
	return w.Bytes()
}

// framed encodes v at tag inside a struct at tag 0 with unknown fields
// before and after it, then a marker at tag 1.
func opFramed(v val, tag byte) []byte {
	w := codec.NewWriter(nil)
	w.WriteStructBegin(0)
	w.WriteRaw(unknownFields(0, int(tag)-1))
	v.opWrite(w, tag)
	w.WriteRaw(unknownFields(int(tag)+1, 255))
	w.WriteStructEnd()
	w.WriteInt32(1, 0x5eed)
	return w.Bytes()
}

func tgFramed(t *testing.T, v val, tag byte) []byte {
	b := tc.NewBuffer()
	must(t, b.WriteHead(tc.StructBegin, 0))
	must(t, b.WriteBytes(unknownFields(0, int(tag)-1)))
	must(t, v.tgWrite(b, tag))
	must(t, b.WriteBytes(unknownFields(int(tag)+1, 255)))
	must(t, b.WriteHead(tc.StructEnd, 0))
	must(t, b.WriteInt32(0x5eed, 1))
	return b.ToBytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func opUnframe(v val, in []byte, tag byte) (any, error) {
	r := codec.NewReader(in)
	if _, err := r.ReadStructBegin(0, true); err != nil {
		return nil, err
	}
	got, err := v.opRead(r, tag, true)
	if err != nil {
		return nil, err
	}
	if err := r.SkipToStructEnd(); err != nil {
		return nil, err
	}
	var marker int32
	if err := r.ReadInt32(&marker, 1, true); err != nil || marker != 0x5eed {
		return nil, err
	}
	return got, nil
}

func tgUnframe(v val, in []byte, tag byte) (any, error) {
	r := tc.NewReader(in)
	if _, err := r.SkipTo(tc.StructBegin, 0, true); err != nil {
		return nil, err
	}
	got, err := v.tgRead(r, tag, true)
	if err != nil {
		return nil, err
	}
	if err := r.SkipToStructEnd(); err != nil {
		return nil, err
	}
	var marker int32
	if err := r.ReadInt32(&marker, 1, true); err != nil || marker != 0x5eed {
		return nil, err
	}
	return got, nil
}

// TestValuesBothWays: for every primitive and container, at short and
// extended tags, between unknown fields of every type inside a struct,
// Outpost and TarsGo write the same bytes (when the encoding is ordered) and
// each reads what the other wrote.
func TestValuesBothWays(t *testing.T) {
	for _, v := range append(primitives(), containers()...) {
		t.Run(v.name, func(t *testing.T) {
			tags := testTags
			if len(opFramed(v, 0)) > 1<<16 {
				tags = []byte{0, 255} // large values: the extremes suffice
			}
			for _, tag := range tags {
				op, tg := opFramed(v, tag), tgFramed(t, v, tag)
				if v.ordered && !bytes.Equal(op, tg) {
					t.Fatalf("tag %d: Outpost and TarsGo bytes differ:\n% X\n% X", tag, head(op), head(tg))
				}
				for name, got := range map[string]func() (any, error){
					"TarsGo reads Outpost":  func() (any, error) { return tgUnframe(v, op, tag) },
					"Outpost reads TarsGo":  func() (any, error) { return opUnframe(v, tg, tag) },
					"Outpost reads Outpost": func() (any, error) { return opUnframe(v, op, tag) },
				} {
					x, err := got()
					if err != nil || !same(x, v.want) {
						t.Fatalf("tag %d: %s: %v (%s)", tag, name, err, short(x))
					}
				}
			}
		})
	}
}

func head(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
