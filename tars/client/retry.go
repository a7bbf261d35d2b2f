package client

import (
	"context"
	"errors"
	"time"

	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

type idempotentKey struct{}

// WithIdempotent marks the calls made with ctx as safe to run twice: a
// call whose endpoint fails (connection refused or lost, server overload)
// is sent again to another endpoint, within the call's deadline.
func WithIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

func idempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v
}

type retryKey struct{}

// retryState is shared by the attempts of one idempotent call: the
// endpoint the last attempt went to, avoided by the next.
type retryState struct{ last *endpointState }

// maxRetries bounds the extra attempts of an idempotent call.
const maxRetries = 2

// invokeRetrying runs an idempotent call, retrying on another endpoint
// while its deadline (fixed once, so that retries share it) allows.
func (c *Client) invokeRetrying(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
	timeout := c.opts.timeout
	if req.Timeout > 0 {
		timeout = time.Duration(req.Timeout) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rs := &retryState{}
	ctx = context.WithValue(ctx, retryKey{}, rs)
	for attempt := 0; ; attempt++ {
		req.Timeout = 0 // from the context's deadline
		resp := new(protocol.ResponsePacket)
		err := c.handler(ctx, req, resp)
		if err == nil && resp.Ret == protocol.ServerOverload && attempt < maxRetries && len(c.set.Load().states) > 1 {
			continue
		}
		if err == nil {
			if req.PacketType == protocol.PacketOneway {
				return nil, nil
			}
			return resp, nil
		}
		if attempt >= maxRetries || ctx.Err() != nil || !retryable(err) || len(c.set.Load().states) < 2 {
			return nil, err
		}
		c.log.Debug("tars client: retrying idempotent call", "obj", c.obj, "func", req.FuncName, "err", err)
	}
}

// retryable reports whether a failed call can go to another endpoint:
// it failed for its endpoint's sake, not for lack of time.
func retryable(err error) bool {
	var se *servant.Error
	if !errors.As(err, &se) || errors.Is(err, ErrClosed) {
		return false
	}
	return se.Code == protocol.ProxyConnectErr || se.Code == protocol.ServerOverload
}
