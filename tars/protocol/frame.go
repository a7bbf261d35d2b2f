package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/outpost-edge/outpost/tars/codec"
)

// HeaderLen is the size of the frame length prefix.
const HeaderLen = 4

// DefaultMaxPacketLen is the default bound on a frame's length (the prefix
// included), as in TarsGo (server maxPackageLength) and TarsCpp.
const DefaultMaxPacketLen = 10 << 20

// ErrFrameLength reports a frame length below HeaderLen or above the limit.
var ErrFrameLength = errors.New("tars protocol: bad frame length")

// FrameLengthError gives the details of an ErrFrameLength.
type FrameLengthError struct {
	Length uint32 // the length read from the prefix
	Max    int    // the limit in force
}

func (e *FrameLengthError) Error() string {
	return fmt.Sprintf("tars protocol: bad frame length %d (must be in [%d, %d])", e.Length, HeaderLen, e.Max)
}

// Unwrap returns ErrFrameLength.
func (e *FrameLengthError) Unwrap() error { return ErrFrameLength }

// WriteFrame appends one frame holding s (a packet, encoded bare) to w.
func WriteFrame(w *codec.Writer, s codec.Struct) error {
	start := w.Len()
	w.WriteRaw([]byte{0, 0, 0, 0})
	if err := s.WriteFields(w); err != nil {
		return err
	}
	n := w.Len() - start
	if uint64(n) > math.MaxUint32 {
		return &FrameLengthError{Length: math.MaxUint32, Max: math.MaxUint32}
	}
	binary.BigEndian.PutUint32(w.Bytes()[start:], uint32(n))
	return nil
}

// FrameLength inspects the start of b. It returns 0 and no error when fewer
// than HeaderLen bytes are available, the total frame length (prefix
// included) when they are, and a *FrameLengthError if that length is below
// HeaderLen or above max (max <= 0 means DefaultMaxPacketLen). A frame is
// complete once len(b) reaches the returned length.
func FrameLength(b []byte, max int) (int, error) {
	if len(b) < HeaderLen {
		return 0, nil
	}
	if max <= 0 {
		max = DefaultMaxPacketLen
	}
	n := binary.BigEndian.Uint32(b)
	if n < HeaderLen || uint64(n) > uint64(max) {
		return 0, &FrameLengthError{Length: n, Max: max}
	}
	return int(n), nil
}

// SplitFrame takes the first frame off b. If b does not yet hold a whole
// frame it returns ok=false and no error; the caller reads more input.
// body aliases b.
func SplitFrame(b []byte, max int) (body, rest []byte, ok bool, err error) {
	n, err := FrameLength(b, max)
	if err != nil || n == 0 || len(b) < n {
		return nil, b, false, err
	}
	return b[HeaderLen:n:n], b[n:], true, nil
}

// FrameReader reads frames from a stream, never buffering more than one
// frame (bounded by its maximum length) at a time.
type FrameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	hdr [HeaderLen]byte
}

// NewFrameReader returns a FrameReader over r accepting frames of at most
// max bytes (max <= 0 means DefaultMaxPacketLen). If r is already a
// *bufio.Reader it is used directly.
func NewFrameReader(r io.Reader, max int) *FrameReader {
	if max <= 0 {
		max = DefaultMaxPacketLen
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &FrameReader{r: br, max: max}
}

// Next reads the next frame and returns its body, which is valid until the
// following call. It returns io.EOF at a clean end of stream,
// io.ErrUnexpectedEOF inside a frame, and a *FrameLengthError for a bad
// length (after which the connection should be closed).
func (f *FrameReader) Next() ([]byte, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return nil, err
	}
	n, err := FrameLength(f.hdr[:], f.max)
	if err != nil {
		return nil, err
	}
	size := n - HeaderLen
	if cap(f.buf) < size {
		// Grow with the data rather than trusting the prefix, so that a peer
		// announcing a large frame and sending little costs little memory.
		f.buf = make([]byte, 0, min(size, max(2*cap(f.buf), 4096)))
	}
	f.buf = f.buf[:0]
	for len(f.buf) < size {
		if len(f.buf) == cap(f.buf) {
			f.buf = append(f.buf, 0)[:len(f.buf)]
		}
		chunk := f.buf[len(f.buf):min(cap(f.buf), size)]
		m, err := io.ReadFull(f.r, chunk)
		f.buf = f.buf[:len(f.buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return f.buf, nil
}
