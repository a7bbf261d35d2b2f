package transport

import (
	"sync"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

var writerPool = sync.Pool{New: func() any { return new(codec.Writer) }}

// EncodeFrame encodes s as one frame into a pooled buffer and passes it to
// send (which must not keep it). It fails, without calling send, if the
// frame would exceed maxLen bytes (<= 0 means protocol.DefaultMaxPacketLen).
func EncodeFrame(s codec.Struct, maxLen int, send func(frame []byte) error) error {
	w := writerPool.Get().(*codec.Writer)
	defer func() {
		if w.Len() <= 256<<10 {
			w.Reset()
			writerPool.Put(w)
		}
	}()
	w.Reset()
	if err := protocol.WriteFrame(w, s); err != nil {
		return err
	}
	if maxLen <= 0 {
		maxLen = protocol.DefaultMaxPacketLen
	}
	if w.Len() > maxLen {
		return &protocol.FrameLengthError{Length: uint32(min(w.Len(), 1<<32-1)), Max: maxLen}
	}
	return send(w.Bytes())
}
