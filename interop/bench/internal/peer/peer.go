// Package peer holds what the benchmark server and client share: the
// servant name, the TarsGo configuration, the gRPC method and its
// pass-through codec, and the bare TCP echo framing.
package peer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Obj is the TARS servant both TARS servers serve.
const Obj = "Outpost.Interop.EchoObj"

// GRPCMethod is the gRPC echo method.
const GRPCMethod = "/bench.Echo/Echo"

// TarsGoConfig is a minimal TarsGo server configuration (logpath, port).
const TarsGoConfig = `<tars>
  <application>
    <server>
      app=Outpost
      server=Bench
      logpath=%s
      logLevel=ERROR
      <Outpost.Interop.EchoObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p %d -t 600000
        servant=Outpost.Interop.EchoObj
        protocol=tars
      </Outpost.Interop.EchoObjAdapter>
    </server>
  </application>
</tars>
`

// RawCodec passes []byte messages through gRPC untouched, so that the gRPC
// reference pays for its transport and not for protobuf.
type RawCodec struct{}

func (RawCodec) Name() string { return "raw" }

func (RawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: %T", v)
	}
	return *b, nil
}

func (RawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

// WriteFrame writes a length-prefixed frame (4-byte big-endian length of
// the payload) for the bare TCP echo.
func WriteFrame(w io.Writer, buf []byte, payload []byte) ([]byte, error) {
	buf = binary.BigEndian.AppendUint32(buf[:0], uint32(len(payload)))
	buf = append(buf, payload...)
	_, err := w.Write(buf)
	return buf, err
}

// ReadFrame reads one frame into buf.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > 16<<20 {
		return nil, errors.New("frame too large")
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}
