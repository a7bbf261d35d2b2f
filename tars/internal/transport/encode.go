package transport

import (
	"sync"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

var writerPool = sync.Pool{New: func() any { return new(codec.Writer) }}

// Frame is an encoded frame in a pooled buffer.
type Frame struct{ w *codec.Writer }

// Encode encodes s as one frame into a pooled buffer. It fails if the
// frame would exceed maxLen bytes (<= 0 means protocol.DefaultMaxPacketLen).
// Release the frame once its bytes have been queued.
func Encode(s codec.Struct, maxLen int) (Frame, error) {
	w := writerPool.Get().(*codec.Writer)
	w.Reset()
	f := Frame{w}
	if err := protocol.WriteFrame(w, s); err != nil {
		f.Release()
		return Frame{}, err
	}
	if maxLen <= 0 {
		maxLen = protocol.DefaultMaxPacketLen
	}
	if w.Len() > maxLen {
		n := w.Len()
		f.Release()
		return Frame{}, &protocol.FrameLengthError{Length: uint32(min(n, 1<<32-1)), Max: maxLen}
	}
	return f, nil
}

// Bytes returns the frame, valid until Release.
func (f Frame) Bytes() []byte { return f.w.Bytes() }

// Release returns the buffer to the pool (unless it grew past 256 KiB).
func (f Frame) Release() {
	if f.w != nil && f.w.Len() <= 256<<10 {
		f.w.Reset()
		writerPool.Put(f.w)
	}
}
