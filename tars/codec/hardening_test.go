package codec_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

func TestMalformedInput(t *testing.T) {
	readInt := func(tag byte) func(*codec.Reader) error {
		return func(r *codec.Reader) error { var v int32; return r.ReadInt32(&v, tag, true) }
	}
	listHead := func(r *codec.Reader) error { _, _, err := r.ReadListHead(1, true); return err }
	mapHead := func(r *codec.Reader) error { _, _, err := r.ReadMapHead(1, true); return err }
	readBytes := func(r *codec.Reader) error { var v []byte; return r.ReadBytes(&v, 1, true) }
	readStr := func(r *codec.Reader) error { var v string; return r.ReadString(&v, 1, true) }
	skip := func(r *codec.Reader) error { return r.SkipField() }
	cases := []struct {
		name string
		in   []byte
		op   func(*codec.Reader) error
		want error
	}{
		{"truncated extended head", []byte{0xF2}, readInt(20), codec.ErrTruncated},
		{"truncated int payload", []byte{0x12, 0, 0}, readInt(1), codec.ErrTruncated},
		{"truncated skipped payload", []byte{0x03, 0, 0}, readInt(1), codec.ErrTruncated},
		{"type 14 read", []byte{0x1E}, readInt(1), codec.ErrInvalidType},
		{"type 15 skipped", []byte{0x0F, 0x1C}, readInt(1), codec.ErrInvalidType},
		{"type 14 skipped in list", []byte{0x09, 0x00, 0x01, 0x0E}, skip, codec.ErrInvalidType},
		{"negative list count", []byte{0x19, 0x00, 0xFF}, listHead, codec.ErrBadLength},
		{"list count beyond input", []byte{0x19, 0x02, 0x7F, 0xFF, 0xFF, 0xFF}, listHead, codec.ErrBadLength},
		{"list count needs N bytes", []byte{0x19, 0x00, 0x03, 0x0C, 0x0C}, listHead, codec.ErrBadLength},
		{"list count as LONG", []byte{0x19, 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0x0C}, listHead, codec.ErrTypeMismatch},
		{"list count at tag 1", []byte{0x19, 0x10, 0x01, 0x0C}, listHead, codec.ErrTypeMismatch},
		{"list count missing", []byte{0x19}, listHead, codec.ErrTruncated},
		{"map count needs 2N bytes", []byte{0x18, 0x00, 0x02, 0x0C, 0x1C, 0x0C}, mapHead, codec.ErrBadLength},
		{"negative map count skipped", []byte{0x08, 0x00, 0x80, 0x1C}, readInt(1), codec.ErrBadLength},
		{"string4 length beyond input", []byte{0x17, 0xFF, 0xFF, 0xFF, 0xFF, 0x61}, readStr, codec.ErrBadLength},
		{"string1 length beyond input", []byte{0x16, 0x05, 0x61}, readStr, codec.ErrBadLength},
		{"string from list", []byte{0x19, 0x0C}, readStr, codec.ErrTypeMismatch},
		{"simple list bad sub-head", []byte{0x1D, 0x01, 0x00, 0x01, 0x61}, readBytes, codec.ErrTypeMismatch},
		{"simple list negative count", []byte{0x1D, 0x00, 0x00, 0xFE}, readBytes, codec.ErrBadLength},
		{"simple list count beyond input", []byte{0x1D, 0x00, 0x02, 0x00, 0x00, 0x10, 0x00}, readBytes, codec.ErrBadLength},
		{"struct without end", []byte{0x0A, 0x10, 0x01}, skip, codec.ErrTruncated},
		{"struct begin for int", []byte{0x1A, 0x0B}, readInt(1), codec.ErrTypeMismatch},
		{"empty input skip", nil, skip, codec.ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.op(codec.NewReader(c.in))
			var ce *codec.Error
			if !errors.Is(err, c.want) || !errors.As(err, &ce) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestDepthCap(t *testing.T) {
	nest := func(open []byte, n int) []byte {
		b := bytes.Repeat(open, n)
		return append(b, 0x1C)
	}
	cases := map[string][]byte{
		"structs": nest([]byte{0x0A}, 150),
		"lists":   nest([]byte{0x09, 0x00, 0x01}, 150),
		"maps":    nest([]byte{0x08, 0x00, 0x01, 0x0C}, 150),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			var v int32
			err := codec.NewReader(in).ReadInt32(&v, 1, false)
			if !errors.Is(err, codec.ErrDepth) {
				t.Fatalf("got %v", err)
			}
			// A raised cap gets past the depth check (and then finds the
			// input truncated).
			r := codec.NewReader(in)
			r.SetMaxDepth(200)
			if err := r.ReadInt32(&v, 1, false); errors.Is(err, codec.ErrDepth) {
				t.Fatalf("cap 200: %v", err)
			}
		})
	}
	// ReadStructBegin counts too.
	r := codec.NewReader(bytes.Repeat([]byte{0x0A}, 5))
	r.SetMaxDepth(3)
	for i := 0; i < 3; i++ {
		if _, err := r.ReadStructBegin(0, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.ReadStructBegin(0, true); !errors.Is(err, codec.ErrDepth) {
		t.Fatalf("got %v", err)
	}
}

func TestWriterTooLarge(t *testing.T) {
	w := codec.NewWriter(nil)
	if w.WriteListHead(1, 1<<31) || !errors.Is(w.Err(), codec.ErrTooLarge) || w.Len() != 0 {
		t.Fatalf("list of 2^31: %v len %d", w.Err(), w.Len())
	}
	w.Reset()
	if w.Err() != nil {
		t.Fatal("Reset kept the error")
	}
}
