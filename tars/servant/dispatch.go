package servant

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// NewDispatcher returns a Dispatcher that serves desc's methods with impl,
// which must implement the interface the desc's handlers expect (generated
// NewXDispatcher functions guarantee it at compile time).
func NewDispatcher(desc *ServiceDesc, impl any) Dispatcher {
	d := &dispatcher{desc: desc, impl: impl, methods: make(map[string]*MethodDesc, len(desc.Methods))}
	for i := range desc.Methods {
		d.methods[desc.Methods[i].Name] = &desc.Methods[i]
	}
	return d
}

type dispatcher struct {
	desc    *ServiceDesc
	impl    any
	methods map[string]*MethodDesc
}

// PanicError is the cause of the ServerUnknownErr reported when an
// implementation panics: Dispatch recovers, so one bad request cannot take
// the server down (TarsGo #137).
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprint("panic: ", e.Value) }

func (d *dispatcher) Dispatch(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) (err error) {
	m := d.methods[req.FuncName]
	if m == nil {
		return &Error{Code: protocol.ServerNoFuncErr,
			Message: "no function " + strconv.Quote(req.FuncName) + " in " + d.desc.Name}
	}
	var in []byte
	switch req.Version {
	case protocol.VersionTars:
		in = req.Buffer
	case protocol.VersionTUP3:
		in, err = tupToArgs(m, req.Buffer)
	case protocol.VersionJSON:
		in, err = jsonToArgs(m, req.Buffer)
	default:
		return &Error{Code: protocol.ServerDecodeErr,
			Message: "unsupported protocol version " + strconv.Itoa(int(req.Version))}
	}
	if err != nil {
		return DecodeError(err)
	}
	defer func() {
		if r := recover(); r != nil {
			p := &PanicError{Value: r, Stack: debug.Stack()}
			err = &Error{Code: protocol.ServerUnknownErr, Message: p.Error(), Err: p}
		}
	}()
	c := CurrentFromContext(ctx)
	if c == nil || c.Request != req || c.Response != resp {
		c = nil
		ctx = NewContext(ctx, req, resp)
	}
	// Arguments may alias the request's buffer when the runtime owns it,
	// and always may alias a TUP or JSON conversion.
	alias := (c != nil && c.BufferOwned) || req.Version != protocol.VersionTars
	in2 := getReader(in, alias)
	defer putReader(in2)
	out := getWriter()
	defer putWriter(out)
	if err := m.Handler(ctx, d.impl, in2, out); err != nil {
		return err
	}
	if err := out.Err(); err != nil {
		return EncodeError(err)
	}
	switch req.Version {
	case protocol.VersionTUP3:
		resp.Buffer, err = resultsToTUP(m, out.Bytes())
	case protocol.VersionJSON:
		resp.Buffer, err = resultsToJSON(m, out.Bytes())
	default:
		resp.Buffer = append(resp.Buffer[:0], out.Bytes()...)
	}
	return EncodeError(err)
}
