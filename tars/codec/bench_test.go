package codec_test

import (
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

// benchPoint is a small struct like Interop::Point.
type benchPoint struct {
	X, Y  int32
	Label string
}

func (p *benchPoint) WriteFields(w *codec.Writer) error {
	w.WriteInt32(0, p.X)
	w.WriteInt32(1, p.Y)
	w.WriteString(2, p.Label)
	return nil
}

func (p *benchPoint) ReadFields(r *codec.Reader) error {
	if err := r.ReadInt32(&p.X, 0, true); err != nil {
		return err
	}
	if err := r.ReadInt32(&p.Y, 1, true); err != nil {
		return err
	}
	return r.ReadStringNoCopy(&p.Label, 2, false)
}

var benchPoints = func() []benchPoint {
	ps := make([]benchPoint, 16)
	for i := range ps {
		ps[i] = benchPoint{X: int32(i * 1000), Y: -int32(i), Label: "label"}
	}
	return ps
}()

func encodeBench(w *codec.Writer) {
	w.WriteBool(0, true)
	w.WriteInt64(1, 1<<40)
	w.WriteFloat64(2, 1.5)
	w.WriteString(3, "hello, edge")
	w.WriteListHead(4, len(benchPoints))
	for i := range benchPoints {
		w.WriteStructBegin(0)
		_ = benchPoints[i].WriteFields(w)
		w.WriteStructEnd()
	}
	w.WriteBytes(5, make([]byte, 64))
	w.WriteString(200, "far")
}

// BenchmarkWriter measures the codec's encoding cost alone (no allocation).
func BenchmarkWriter(b *testing.B) {
	w := codec.NewWriter(nil)
	for b.Loop() {
		w.Reset()
		encodeBench(w)
	}
	b.SetBytes(int64(w.Len()))
}

// BenchmarkReader measures the codec's decoding cost alone: no-copy reads
// into reused values, so nothing is allocated.
func BenchmarkReader(b *testing.B) {
	w := codec.NewWriter(nil)
	encodeBench(w)
	data := w.Bytes()
	b.SetBytes(int64(len(data)))
	r := codec.NewReader(nil)
	var (
		flag bool
		l    int64
		d    float64
		s    string
		blob []byte
		p    benchPoint
	)
	for b.Loop() {
		r.Reset(data)
		err := r.ReadBool(&flag, 0, true)
		err = firstErr(err, r.ReadInt64(&l, 1, true), r.ReadFloat64(&d, 2, true), r.ReadStringNoCopy(&s, 3, true))
		n, _, err2 := r.ReadListHead(4, true)
		err = firstErr(err, err2)
		for range n {
			if ok, err := r.ReadStructBegin(0, true); !ok || err != nil {
				b.Fatal(err)
			}
			err = firstErr(err, p.ReadFields(r), r.SkipToStructEnd())
		}
		err = firstErr(err, r.ReadBytesNoCopy(&blob, 5, true), r.ReadStringNoCopy(&s, 200, true))
		if err != nil {
			b.Fatal(err)
		}
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
