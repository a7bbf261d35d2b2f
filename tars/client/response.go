package client

import (
	"strconv"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// decodeResponse decodes a reply body into resp. A TUP reply is a
// RequestPacket whose status map carries the result code and description
// (§3.4); it is turned into the equivalent ResponsePacket.
func decodeResponse(resp *protocol.ResponsePacket, body []byte, tup bool) error {
	if !tup {
		return resp.Decode(body)
	}
	var p protocol.RequestPacket
	if err := p.Decode(body); err != nil {
		return err
	}
	*resp = protocol.ResponsePacket{
		Version: p.Version, PacketType: p.PacketType, RequestID: p.RequestID, MessageType: p.MessageType,
		Buffer: p.Buffer, Status: p.Status, Context: p.Context,
		ResultDesc: p.Status[protocol.StatusResultDesc],
	}
	if code := p.Status[protocol.StatusResultCode]; code != "" {
		n, err := strconv.ParseInt(code, 10, 32)
		if err != nil {
			n = int64(protocol.ServerUnknownErr)
		}
		resp.Ret = int32(n)
	}
	return nil
}
