package client

import (
	"context"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// Handler performs one call: it sends req and fills resp with the reply
// (for a oneway call it returns once req is written and leaves resp
// alone). It returns an error only when no reply was received; a reply
// with a non-zero Ret is not an error at this level.
type Handler func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error

// Interceptor wraps a Handler, for metrics, tracing, logging, retries or
// adding context and status entries. req belongs to the caller again once
// the outermost Handler returns (typed clients reuse req.Buffer, see
// servant.Invoker): an interceptor that sends after returning, such as a
// hedged second attempt, must send a copy.
type Interceptor func(next Handler) Handler

func chain(h Handler, ics []Interceptor) Handler {
	for i := len(ics) - 1; i >= 0; i-- {
		h = ics[i](h)
	}
	return h
}
