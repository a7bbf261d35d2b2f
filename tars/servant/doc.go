// Package servant is the contract between code generated from .tars files
// (package gen) and the RPC runtime that moves packets.
//
// Generated code never touches connections, and the runtime never knows IDL
// types: they meet at three small interfaces, so that the runtime can be
// written, replaced or faked in tests without regenerating anything.
//
// # Server side
//
// For every IDL interface I the generator emits an interface IServant whose
// methods take a context.Context first and return a Go error last (out
// parameters come back as extra results), and NewIDispatcher(impl), which
// returns a Dispatcher. The runtime decodes a frame into a
// protocol.RequestPacket, answers tars_ping itself, and calls
//
//	err := d.Dispatch(ctx, req, resp)
//
// Dispatch reads req.FuncName, req.Version and req.Buffer, and writes only
// resp.Buffer (plus whatever the implementation adds to resp.Context and
// resp.Status through SetResponseContext and SetResponseStatus). Everything
// else about the response (Version, RequestID, PacketType, Ret, ResultDesc,
// the TUP packet shape, not replying to oneway calls) is the runtime's job.
// On failure Dispatch returns an error whose Result gives the iRet and
// sResultDesc to send: ServerNoFuncErr (-3) for an unknown function,
// ServerDecodeErr (-1) for undecodable arguments, ServerEncodeErr (-2), the
// code of an *Error returned by the implementation, or ServerUnknownErr (-99)
// for any other implementation error.
//
// Dispatch accepts the three argument encodings in use (§3.4 of the
// protocol reference):
//
//   - version 1 (TARS): sBuffer holds in-parameters at their 1-based
//     positional tags; the reply holds the return value at tag 0 and each
//     out-parameter at its positional tag.
//   - version 3 (TUP3): sBuffer holds an attribute map from parameter name to
//     the parameter encoded at tag 0; the reply map carries the return value
//     under both "" and "tars_ret", and out-parameters by name.
//   - version 5 (JSON): sBuffer holds {"param": value, ...}; the reply is
//     {"tars_ret": value, "outParam": value, ...}.
//
// Generated handlers only speak version 1. TUP3 and JSON are converted to and
// from positional streams here, generically, using the type descriptors
// (StructType, Type) the generator emits; see json.go for the JSON value
// conventions (those of TarsCpp's JSON protocol).
//
// The implementation can read the request (context map, status map, servant
// name...) with CurrentFromContext and RequestContext. A runtime may pass a
// context of its own type that answers Value(CurrentKey{}) with the call's
// *Current, saving an allocation per call; if that Current says the request
// buffer is owned by the call (BufferOwned), arguments are decoded in place
// instead of being copied out.
//
// # Client side
//
// For every interface I the generator emits IClient, built on an Invoker:
//
//	type Invoker interface {
//		Invoke(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error)
//	}
//
// The typed client fills Version (1), PacketType, FuncName, Buffer, Timeout
// (if set by an option), Context and Status, and leaves ServantName,
// RequestID and MessageType to the Invoker. For a oneway call
// (PacketType = PacketOneway, requested with the Oneway option) the Invoker
// returns as soon as the request is sent, with a nil response. A response
// with a non-zero Ret becomes an *Error. Per-call options carry the request
// context and status maps and can capture the response's.
//
// # Extending
//
// Asynchronous calls can be added without regenerating code: an Invoker is
// free to run requests concurrently, and an async client API only needs the
// request encoding (EncodeRequest) and response decoding (DecodeResponse)
// that Invoke uses.
package servant
