package server

import (
	"context"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// Handler serves one request: it fills resp.Buffer (and may add to
// resp.Context and resp.Status) or returns an error whose servant.Result
// gives the reply's iRet and sResultDesc. The innermost Handler is the
// servant's Dispatcher.Dispatch. ctx carries the call (servant.Current)
// and the request's deadline. resp.Buffer arrives holding an empty buffer
// the runtime lends and takes back once the reply is encoded: append to it
// or replace it, but do not keep it after returning.
type Handler func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error

// Interceptor wraps a Handler, for metrics, tracing, logging or access
// control. It may inspect or change the request before calling next, the
// response or error after it, or answer without calling next.
type Interceptor func(next Handler) Handler

// chain returns h wrapped by ics, the first interceptor outermost.
func chain(h Handler, ics []Interceptor) Handler {
	for i := len(ics) - 1; i >= 0; i-- {
		h = ics[i](h)
	}
	return h
}
