package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
	"github.com/outpost-edge/outpost/internal/tunnel/wire"
)

// session is one connected agent: a yamux session over its TLS connection.
// The server opens streams; the agent accepts them and dials.
type session struct {
	node   string
	serial string // the node certificate it authenticated with
	remote string
	since  time.Time
	mux    *yamux.Session
}

// dial opens a stream and asks the agent to connect it to addr.
func (ss *session) dial(ctx context.Context, addr string) (net.Conn, error) {
	st, err := ss.mux.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNodeNotConnected, ss.node, err)
	}
	// The handshake honours ctx: a deadline bounds it, cancellation closes
	// the stream.
	if d, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Close() })
	err = wire.WriteRequest(st, addr)
	if err == nil {
		err = wire.ReadReply(st)
	}
	if !stop() || ctx.Err() != nil {
		_ = st.Close()
		return nil, fmt.Errorf("tunnel to %s: %w", ss.node, ctx.Err())
	}
	if err != nil {
		_ = st.Close()
		var de *wire.DialError
		if errors.As(err, &de) {
			return nil, fmt.Errorf("node %s, %s: %w", ss.node, addr, err)
		}
		return nil, fmt.Errorf("tunnel to %s: %w", ss.node, err)
	}
	_ = st.SetDeadline(time.Time{})
	return pipe.Stream{Stream: st}, nil
}
