package pipe

import (
	"encoding/binary"
	"net"

	"github.com/hashicorp/yamux"
)

// yamux frame header layout (yamux spec.md): version, type, flags (2),
// stream ID (4), length (4).
const (
	frameHeaderLen = 12
	typeData       = 0
	// tlsRecordMax is the most plaintext one TLS record carries.
	tlsRecordMax = 16 << 10
)

// frameConn sits between a yamux session and its TLS connection. yamux's
// send loop writes each data frame's 12-byte header and its body in two
// Write calls, which on TLS become a record (and a syscall) of their own
// for every header. frameConn holds a data header back and sends it in the
// same record as the start of the body. Only the session's send loop
// writes (one goroutine), so it needs no lock.
type frameConn struct {
	net.Conn
	held    bool
	scratch [tlsRecordMax]byte
}

// CoalesceFrames wraps the connection a yamux session runs on; see frameConn.
func CoalesceFrames(c net.Conn) net.Conn { return &frameConn{Conn: c} }

func (c *frameConn) Write(p []byte) (int, error) {
	if !c.held {
		if len(p) == frameHeaderLen && p[1] == typeData && binary.BigEndian.Uint32(p[8:]) > 0 {
			// A data header with a body to follow: keep it for that.
			copy(c.scratch[:], p)
			c.held = true
			return len(p), nil
		}
		return c.Conn.Write(p)
	}
	c.held = false
	// One record with the header and as much body as fits, then the rest.
	n := copy(c.scratch[frameHeaderLen:], p)
	if _, err := c.Conn.Write(c.scratch[:frameHeaderLen+n]); err != nil {
		return 0, err
	}
	if n == len(p) {
		return n, nil
	}
	m, err := c.Conn.Write(p[n:])
	return n + m, err
}

// maxWrite bounds the data one Stream.Write puts in a frame. yamux's
// receiver holds the stream's buffer lock while it reads a whole frame off
// the connection (decrypting it), so the reader on the far side cannot
// forward the previous bytes meanwhile: with large frames the two ends
// alternate instead of overlapping. 128 KiB keeps them pipelined at a
// small per-frame cost.
const maxWrite = 128 << 10

// Stream is a yamux stream whose writes go out in frames of at most
// maxWrite bytes. Its CloseWrite is the stream's half-close (yamux's Close
// sends FIN and stays readable).
type Stream struct{ *yamux.Stream }

func (s Stream) Write(p []byte) (int, error) {
	var n int
	for len(p) > 0 {
		chunk := p[:min(len(p), maxWrite)]
		m, err := s.Stream.Write(chunk)
		n += m
		if err != nil {
			return n, err
		}
		p = p[len(chunk):]
	}
	return n, nil
}

// CloseWrite half-closes the stream.
func (s Stream) CloseWrite() error { return s.Stream.Close() }
