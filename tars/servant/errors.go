package servant

import (
	"errors"
	"strconv"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// Error is an RPC failure with a TARS result code: returned by an
// implementation to choose the iRet and sResultDesc of its reply, by
// Dispatch for framework failures, and by clients for a response whose Ret
// is not zero.
type Error struct {
	Code    int32  // iRet, e.g. protocol.ServerNoFuncErr or an application code
	Message string // sResultDesc
	Err     error  // the underlying cause, if any (not sent on the wire)
}

func (e *Error) Error() string {
	s := "tars: ret " + strconv.Itoa(int(e.Code))
	if name := protocol.ResultCodeName(e.Code); name != "" {
		s += " (" + name + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns an *Error with the given code and message, for
// implementations that want the caller to see a specific iRet.
func NewError(code int32, message string) *Error { return &Error{Code: code, Message: message} }

// Result returns the iRet and sResultDesc that report err: 0 and "" for
// nil, the code and message of an *Error (found with errors.As), and
// ServerUnknownErr with err's text for anything else.
func Result(err error) (code int32, desc string) {
	if err == nil {
		return protocol.ServerSuccess, ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code, e.Message
	}
	return protocol.ServerUnknownErr, err.Error()
}

// DecodeError wraps a failure to decode arguments (ServerDecodeErr), or
// returns nil for nil. Generated handlers use it.
func DecodeError(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: protocol.ServerDecodeErr, Message: "decode arguments: " + err.Error(), Err: err}
}

// EncodeError wraps a failure to encode results (ServerEncodeErr), or
// returns nil for nil. Generated handlers use it.
func EncodeError(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: protocol.ServerEncodeErr, Message: "encode results: " + err.Error(), Err: err}
}
