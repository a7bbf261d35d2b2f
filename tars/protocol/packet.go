package protocol

import (
	"bytes"

	"github.com/outpost-edge/outpost/tars/codec"
)

// RequestPacket is the RPC request (RequestF.tars, tags 1-10). The field
// comments give the IDL names.
type RequestPacket struct {
	Version     int16             // 1 iVersion: VersionTars, VersionTUP3, VersionJSON, ...
	PacketType  int8              // 2 cPacketType: PacketNormal or PacketOneway
	MessageType int32             // 3 iMessageType: MessageType* bits
	RequestID   int32             // 4 iRequestId: echoed in the response; 0 is reserved for push
	ServantName string            // 5 sServantName, e.g. "TestApp.HelloGo.SayHelloObj"
	FuncName    string            // 6 sFuncName: the IDL function name
	Buffer      []byte            // 7 sBuffer: the encoded arguments
	Timeout     int32             // 8 iTimeout: the client's timeout in milliseconds
	Context     map[string]string // 9 context: business context
	Status      map[string]string // 10 status: framework context (Status* keys)
}

// ResponsePacket is the RPC response (RequestF.tars, tags 1-9).
type ResponsePacket struct {
	Version     int16             // 1 iVersion: echoes the request
	PacketType  int8              // 2 cPacketType
	RequestID   int32             // 3 iRequestId: echoes the request
	MessageType int32             // 4 iMessageType
	Ret         int32             // 5 iRet: a result code such as ServerSuccess
	Buffer      []byte            // 6 sBuffer: return value at tag 0, out-parameters at theirs
	Status      map[string]string // 7 status: always written
	ResultDesc  string            // 8 sResultDesc: written only when non-empty
	Context     map[string]string // 9 context: written only when non-empty
}

var (
	_ codec.Struct = (*RequestPacket)(nil)
	_ codec.Struct = (*ResponsePacket)(nil)
)

// WriteFields writes all ten fields as a bare sequence.
func (p *RequestPacket) WriteFields(w *codec.Writer) error {
	w.WriteInt16(1, p.Version)
	w.WriteInt8(2, p.PacketType)
	w.WriteInt32(3, p.MessageType)
	w.WriteInt32(4, p.RequestID)
	w.WriteString(5, p.ServantName)
	w.WriteString(6, p.FuncName)
	w.WriteBytes(7, p.Buffer)
	w.WriteInt32(8, p.Timeout)
	writeStringMap(w, 9, p.Context)
	writeStringMap(w, 10, p.Status)
	return w.Err()
}

// ReadFields resets p and reads its fields; absent fields stay zero. The
// Context and Status maps already in p are cleared and reused, so a packet
// decoded again and again allocates no maps; do not keep references to them
// across decodes. Whether strings and Buffer alias the input is up to r
// (see codec.Reader.ResetNoCopy).
func (p *RequestPacket) ReadFields(r *codec.Reader) error {
	*p = RequestPacket{Context: p.Context, Status: p.Status}
	var f fieldReader
	f.int16(r, &p.Version, 1)
	f.int8(r, &p.PacketType, 2)
	f.int32(r, &p.MessageType, 3)
	f.int32(r, &p.RequestID, 4)
	f.string(r, &p.ServantName, 5)
	f.string(r, &p.FuncName, 6)
	f.bytes(r, &p.Buffer, 7)
	f.int32(r, &p.Timeout, 8)
	f.stringMap(r, &p.Context, 9)
	f.stringMap(r, &p.Status, 10)
	return f.err
}

// WriteFields writes the fields as a bare sequence: tags 1-7 always, 8 and
// 9 only when non-empty (as TarsGo does).
func (p *ResponsePacket) WriteFields(w *codec.Writer) error {
	w.WriteInt16(1, p.Version)
	w.WriteInt8(2, p.PacketType)
	w.WriteInt32(3, p.RequestID)
	w.WriteInt32(4, p.MessageType)
	w.WriteInt32(5, p.Ret)
	w.WriteBytes(6, p.Buffer)
	writeStringMap(w, 7, p.Status)
	if p.ResultDesc != "" {
		w.WriteString(8, p.ResultDesc)
	}
	if len(p.Context) != 0 {
		writeStringMap(w, 9, p.Context)
	}
	return w.Err()
}

// ReadFields resets p and reads its fields; absent fields stay zero. The
// Context and Status maps already in p are cleared and reused, so a packet
// decoded again and again allocates no maps; do not keep references to them
// across decodes. Whether strings and Buffer alias the input is up to r
// (see codec.Reader.ResetNoCopy).
func (p *ResponsePacket) ReadFields(r *codec.Reader) error {
	*p = ResponsePacket{Context: p.Context, Status: p.Status}
	var f fieldReader
	f.int16(r, &p.Version, 1)
	f.int8(r, &p.PacketType, 2)
	f.int32(r, &p.RequestID, 3)
	f.int32(r, &p.MessageType, 4)
	f.int32(r, &p.Ret, 5)
	f.bytes(r, &p.Buffer, 6)
	f.stringMap(r, &p.Status, 7)
	f.string(r, &p.ResultDesc, 8)
	f.stringMap(r, &p.Context, 9)
	return f.err
}

// Decode decodes a frame body (the bytes after the length) into p. Nothing
// in p aliases body: the body is copied once and the strings, maps and
// Buffer share that copy (which stays alive while any of them does).
func (p *RequestPacket) Decode(body []byte) error { return p.DecodeNoCopy(bytes.Clone(body)) }

// DecodeNoCopy is Decode without the copy: Buffer and every string alias
// body, which must then stay unmodified while p is in use.
func (p *RequestPacket) DecodeNoCopy(body []byte) error {
	var r codec.Reader
	r.ResetNoCopy(body)
	if err := p.ReadFields(&r); err != nil {
		return err
	}
	return skipRest(&r)
}

// Decode decodes a frame body (the bytes after the length) into p. Nothing
// in p aliases body: the body is copied once and the strings, maps and
// Buffer share that copy (which stays alive while any of them does).
func (p *ResponsePacket) Decode(body []byte) error { return p.DecodeNoCopy(bytes.Clone(body)) }

// DecodeNoCopy is Decode without the copy: Buffer and every string alias
// body, which must then stay unmodified while p is in use.
func (p *ResponsePacket) DecodeNoCopy(body []byte) error {
	var r codec.Reader
	r.ResetNoCopy(body)
	if err := p.ReadFields(&r); err != nil {
		return err
	}
	return skipRest(&r)
}
