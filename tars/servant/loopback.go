package servant

import (
	"context"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// Loopback returns an Invoker that serves requests in process with d, the
// way a runtime would after a network round trip: the response echoes the
// request's version, id and packet type, a Dispatch error becomes Ret and
// ResultDesc, and oneway requests get no response. It is meant for tests
// and for calling a servant that lives in the same process.
func Loopback(d Dispatcher) Invoker { return loopback{d} }

type loopback struct{ d Dispatcher }

func (l loopback) Invoke(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
	resp := &protocol.ResponsePacket{
		Version:     req.Version,
		PacketType:  req.PacketType,
		RequestID:   req.RequestID,
		MessageType: req.MessageType,
	}
	if err := l.d.Dispatch(ctx, req, resp); err != nil {
		resp.Ret, resp.ResultDesc = Result(err)
		resp.Buffer = nil
	}
	if req.PacketType == protocol.PacketOneway {
		return nil, nil
	}
	return resp, nil
}
