package servant

import (
	"sync"

	"github.com/outpost-edge/outpost/tars/codec"
)

// Encoding arguments and results into fresh Writers costs a chain of
// growing allocations per call; these pools keep a few grown buffers, and
// the bytes are copied out once, at their final size.

var writers = sync.Pool{New: func() any { return new(codec.Writer) }}

func getWriter() *codec.Writer {
	w := writers.Get().(*codec.Writer)
	w.Reset()
	return w
}

func putWriter(w *codec.Writer) {
	if w.Len() <= 64<<10 {
		w.Reset()
		writers.Put(w)
	}
}

var readers = sync.Pool{New: func() any { return new(codec.Reader) }}

// getReader returns a pooled Reader over b, aliasing b (no copies) when
// alias is set.
func getReader(b []byte, alias bool) *codec.Reader {
	r := readers.Get().(*codec.Reader)
	if alias {
		r.ResetNoCopy(b)
	} else {
		r.Reset(b)
	}
	return r
}

func putReader(r *codec.Reader) {
	r.Reset(nil)
	readers.Put(r)
}
