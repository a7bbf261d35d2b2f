package servant

import (
	"context"
	"net"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// Dispatcher serves one servant object: it decodes a request's arguments,
// calls the implementation and encodes the results into resp.Buffer. It is
// safe for concurrent use. See the package documentation for the details of
// the contract.
type Dispatcher interface {
	Dispatch(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error
}

// Invoker sends a request to a servant object and waits for its response
// (or, for a oneway request, only until it is sent, returning a nil
// response). It must be safe for concurrent use. The request, and its
// Buffer in particular, is the caller's again once Invoke returns without
// error: the typed clients encode arguments into a pooled buffer and reuse
// it, so an Invoker (or client interceptor) must not keep req.Buffer beyond
// a successful call. After an error the buffer is not reused, since a
// runtime may still be re-sending a call it has not yet seen time out.
type Invoker interface {
	Invoke(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error)
}

// Current describes the call being served. Dispatch stores it in the
// context passed to the implementation.
type Current struct {
	Request    *protocol.RequestPacket
	Response   *protocol.ResponsePacket
	RemoteAddr net.Addr // the client's address, when the runtime knows it
	// BufferOwned tells Dispatch that Request.Buffer belongs to this call
	// alone and is never modified, so decoded arguments may alias it
	// instead of being copied out.
	BufferOwned bool
	// Conn is the caller's connection, for servants that push messages
	// to it later (a watch); nil when the runtime cannot push.
	Conn PushConn
}

// PushConn is a client connection a servant can send server pushes on:
// ResponsePackets with request id 0, which TARS clients hand to their
// push callback.
type PushConn interface {
	// Push queues resp (its RequestID is set to 0) for sending. It fails
	// once the connection is closed.
	Push(resp *protocol.ResponsePacket) error
	// Done is closed when the connection closes.
	Done() <-chan struct{}
}

// CurrentKey is the context key under which the *Current of a dispatched
// call is stored. A runtime with its own context type answers
// Value(CurrentKey{}) with the call's *Current, and Dispatch then uses that
// context as it is instead of wrapping it.
type CurrentKey struct{}

// NewContext returns ctx carrying the call req/resp, for CurrentFromContext.
func NewContext(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) context.Context {
	return context.WithValue(ctx, CurrentKey{}, &Current{Request: req, Response: resp})
}

// CurrentFromContext returns the call being served, or nil outside a
// dispatched call.
func CurrentFromContext(ctx context.Context) *Current {
	c, _ := ctx.Value(CurrentKey{}).(*Current)
	return c
}

// RequestContext returns the context map of the request being served (nil
// outside a dispatched call). It must not be modified.
func RequestContext(ctx context.Context) map[string]string {
	if c := CurrentFromContext(ctx); c != nil && c.Request != nil {
		return c.Request.Context
	}
	return nil
}

// RequestStatus returns the status map of the request being served (nil
// outside a dispatched call). It must not be modified.
func RequestStatus(ctx context.Context) map[string]string {
	if c := CurrentFromContext(ctx); c != nil && c.Request != nil {
		return c.Request.Status
	}
	return nil
}

// SetResponseContext adds key=value to the response's context map. It
// reports false outside a dispatched call.
func SetResponseContext(ctx context.Context, key, value string) bool {
	c := CurrentFromContext(ctx)
	if c == nil || c.Response == nil {
		return false
	}
	if c.Response.Context == nil {
		c.Response.Context = map[string]string{}
	}
	c.Response.Context[key] = value
	return true
}

// SetResponseStatus adds key=value to the response's status map. It reports
// false outside a dispatched call.
func SetResponseStatus(ctx context.Context, key, value string) bool {
	c := CurrentFromContext(ctx)
	if c == nil || c.Response == nil {
		return false
	}
	if c.Response.Status == nil {
		c.Response.Status = map[string]string{}
	}
	c.Response.Status[key] = value
	return true
}
