package servant

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// CallOption adjusts one call made through a generated client.
type CallOption func(*callOptions)

type callOptions struct {
	context, status         map[string]string
	oneway                  bool
	timeout                 time.Duration
	respContext, respStatus *map[string]string
}

// WithContext sends m as the request's context map (business context).
func WithContext(m map[string]string) CallOption {
	return func(o *callOptions) { o.context = m }
}

// WithStatus sends m as the request's status map (framework context).
func WithStatus(m map[string]string) CallOption {
	return func(o *callOptions) { o.status = m }
}

// RouteKey sets the request's grid/route key (status STATUS_GRID_KEY), as
// TarsCpp proxies do for a parameter marked routekey in the IDL; generated
// clients add it for such parameters. The caller's status map is not
// modified.
func RouteKey(key string) CallOption {
	return func(o *callOptions) {
		m := make(map[string]string, len(o.status)+1)
		for k, v := range o.status {
			m[k] = v
		}
		m[protocol.StatusGridKey] = key
		o.status = m
	}
}

// Oneway sends the request as TARSONEWAY: no response is awaited and the
// call's results are zero values.
func Oneway() CallOption {
	return func(o *callOptions) { o.oneway = true }
}

// WithTimeout sets the call's timeout, sent to the server as iTimeout. The
// Outpost client (package client) also gives up on the call after it, or
// at the context's deadline if that is earlier; other Invokers may only
// forward it.
func WithTimeout(d time.Duration) CallOption {
	return func(o *callOptions) { o.timeout = d }
}

// ResponseContext stores the response's context map in *dst.
func ResponseContext(dst *map[string]string) CallOption {
	return func(o *callOptions) { o.respContext = dst }
}

// ResponseStatus stores the response's status map in *dst.
func ResponseStatus(dst *map[string]string) CallOption {
	return func(o *callOptions) { o.respStatus = dst }
}

// ErrNoResponse is returned when an Invoker returns neither a response nor
// an error for a two-way call.
var ErrNoResponse = errors.New("tars: invoker returned no response")

// Invoke is the body of every generated client method: it encodes args
// (fields at the parameters' positional tags), sends funcName through inv,
// and decodes the response into results (return value at tag 0,
// out-parameters at their tags). results is untouched for oneway calls.
func Invoke(ctx context.Context, inv Invoker, funcName string, args, results codec.Struct, opts ...CallOption) error {
	o := applyOptions(opts)
	// The arguments stay in a pooled Writer for the length of the call
	// rather than being copied out: Invoke returns only once req is sent
	// (see Invoker).
	w := getWriter()
	req, err := encodeRequest(w, funcName, args, o)
	if err != nil {
		putWriter(w)
		return err
	}
	resp, err := inv.Invoke(ctx, req)
	if err != nil {
		// A call that failed (timed out, say) may be being re-sent from
		// req by a runtime that has not yet seen it give up; w is left to
		// the garbage collector rather than reused under that.
		return err
	}
	putWriter(w)
	if o.oneway {
		return nil
	}
	if resp == nil {
		return ErrNoResponse
	}
	return decodeResponse(resp, results, o)
}

// noOptions is the options of a call without any, shared read-only.
var noOptions callOptions

func applyOptions(opts []CallOption) *callOptions {
	if len(opts) == 0 {
		return &noOptions
	}
	o := &callOptions{}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// EncodeRequest builds the request Invoke sends. With DecodeResponse it lets
// a runtime add asynchronous calls on top of generated argument types.
func EncodeRequest(funcName string, args codec.Struct, opts ...CallOption) (*protocol.RequestPacket, error) {
	w := getWriter()
	defer putWriter(w)
	req, err := encodeRequest(w, funcName, args, applyOptions(opts))
	if err != nil {
		return nil, err
	}
	req.Buffer = bytes.Clone(req.Buffer) // the caller keeps req beyond w
	return req, nil
}

// DecodeResponse checks a response (a non-zero Ret becomes an *Error) and
// decodes its results, as Invoke does.
func DecodeResponse(resp *protocol.ResponsePacket, results codec.Struct, opts ...CallOption) error {
	return decodeResponse(resp, results, applyOptions(opts))
}

// encodeRequest builds a request whose Buffer aliases w.
func encodeRequest(w *codec.Writer, funcName string, args codec.Struct, o *callOptions) (*protocol.RequestPacket, error) {
	if err := args.WriteFields(w); err != nil {
		return nil, err
	}
	if err := w.Err(); err != nil {
		return nil, err
	}
	req := &protocol.RequestPacket{
		Version:  protocol.VersionTars,
		FuncName: funcName,
		Buffer:   w.Bytes(),
		Context:  o.context,
		Status:   o.status,
	}
	if o.oneway {
		req.PacketType = protocol.PacketOneway
	}
	if o.timeout > 0 {
		req.Timeout = int32(min(o.timeout.Milliseconds(), 1<<31-1))
	}
	return req, nil
}

func decodeResponse(resp *protocol.ResponsePacket, results codec.Struct, o *callOptions) error {
	if o.respContext != nil {
		*o.respContext = resp.Context
	}
	if o.respStatus != nil {
		*o.respStatus = resp.Status
	}
	if resp.Ret != protocol.ServerSuccess {
		return &Error{Code: resp.Ret, Message: resp.ResultDesc}
	}
	// Results alias resp.Buffer, which the caller owns once Invoke returns.
	r := getReader(resp.Buffer, true)
	defer putReader(r)
	if err := results.ReadFields(r); err != nil {
		return &Error{Code: protocol.ClientDecodeErr, Message: "decode results: " + err.Error(), Err: err}
	}
	return nil
}
