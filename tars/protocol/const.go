package protocol

// Protocol versions, carried in the packets' Version field (iVersion).
const (
	VersionTars int16 = 1 // binary TARS RPC (TARSVERSION)
	VersionTUP2 int16 = 2 // old TUP: map<string, map<string, vector<byte>>>
	VersionTUP3 int16 = 3 // TUP3: map<string, vector<byte>> (TUPVERSION)
	VersionXML  int16 = 4 // XML, TarsCpp only; not supported here
	VersionJSON int16 = 5 // JSON arguments in Buffer (JSONVERSION)
)

// Packet types, carried in PacketType (cPacketType).
const (
	PacketNormal int8 = 0 // TARSNORMAL: the server replies
	PacketOneway int8 = 1 // TARSONEWAY: the server must not reply
)

// Message type bits, or'ed in MessageType (iMessageType).
const (
	MessageTypeNull    int32 = 0x00  // no flags
	MessageTypeHash    int32 = 0x01  // hash call
	MessageTypeGrid    int32 = 0x02  // gray release / grid
	MessageTypeDyed    int32 = 0x04  // dyed message; see StatusDyedKey
	MessageTypeSample  int32 = 0x08  // stat sampling
	MessageTypeAsync   int32 = 0x10  // asynchronous call
	MessageTypeSetName int32 = 0x80  // call by set; see StatusSetNameValue
	MessageTypeTrace   int32 = 0x100 // call-chain trace; see StatusTraceKey
)

// Reserved keys of the Status map.
const (
	StatusDyedKey      = "STATUS_DYED_KEY"
	StatusGridKey      = "STATUS_GRID_KEY"
	StatusResultCode   = "STATUS_RESULT_CODE" // TUP responses, when non-zero
	StatusResultDesc   = "STATUS_RESULT_DESC" // TUP responses
	StatusSetNameValue = "STATUS_SETNAME_VALUE"
	StatusTraceKey     = "STATUS_TRACE_KEY"
)

// Well-known names.
const (
	// FuncPing is the keep-alive function; servers answer it with success
	// without dispatching.
	FuncPing = "tars_ping"
	// ResultDescReconnect in a push (RequestID 0) asks the client to open a
	// new connection and close this one gracefully.
	ResultDescReconnect = "_reconnect_"
	// TUPReturnKey is the attribute under which TUP and JSON responses carry
	// the return value (TUP also under the empty name).
	TUPReturnKey = "tars_ret"
)

// Result codes carried in ResponsePacket.Ret (iRet), as defined in BaseF.tars.
const (
	ServerSuccess       int32 = 0   // TARSSERVERSUCCESS
	ServerDecodeErr     int32 = -1  // TARSSERVERDECODEERR: server failed to decode
	ServerEncodeErr     int32 = -2  // TARSSERVERENCODEERR: server failed to encode
	ServerNoFuncErr     int32 = -3  // TARSSERVERNOFUNCERR: no such function
	ServerNoServantErr  int32 = -4  // TARSSERVERNOSERVANTERR: no such servant
	ServerResetGrid     int32 = -5  // TARSSERVERRESETGRID: grid state mismatch
	ServerQueueTimeout  int32 = -6  // TARSSERVERQUEUETIMEOUT: expired in the queue or before dispatch
	InvokeTimeout       int32 = -7  // TARSINVOKETIMEOUT / TARSASYNCCALLTIMEOUT: client-side timeout
	AsyncCallTimeout    int32 = -7  // TARSASYNCCALLTIMEOUT, same as InvokeTimeout
	ProxyConnectErr     int32 = -8  // TARSPROXYCONNECTERR
	ServerOverload      int32 = -9  // TARSSERVEROVERLOAD: server queue full
	AdapterNull         int32 = -10 // TARSADAPTERNULL: no route (no endpoints, or all dead)
	InvokeByInvalidESet int32 = -11 // TARSINVOKEBYINVALIDESET: illegal call under set rules
	ClientDecodeErr     int32 = -12 // TARSCLIENTDECODEERR
	SendRequestErr      int32 = -13 // TARSSENDREQUESTERR
	ServerUnknownErr    int32 = -99 // TARSSERVERUNKNOWNERR
	MinValidResultCode  int32 = -99 // TarsCpp clients reject responses with a lower Ret
)

// ResultCodeName returns the BaseF.tars name of a result code, or "" for a
// code it does not define (such as the 1 TarsGo servers use for errors).
func ResultCodeName(code int32) string {
	switch code {
	case ServerSuccess:
		return "TARSSERVERSUCCESS"
	case ServerDecodeErr:
		return "TARSSERVERDECODEERR"
	case ServerEncodeErr:
		return "TARSSERVERENCODEERR"
	case ServerNoFuncErr:
		return "TARSSERVERNOFUNCERR"
	case ServerNoServantErr:
		return "TARSSERVERNOSERVANTERR"
	case ServerResetGrid:
		return "TARSSERVERRESETGRID"
	case ServerQueueTimeout:
		return "TARSSERVERQUEUETIMEOUT"
	case InvokeTimeout:
		return "TARSINVOKETIMEOUT"
	case ProxyConnectErr:
		return "TARSPROXYCONNECTERR"
	case ServerOverload:
		return "TARSSERVEROVERLOAD"
	case AdapterNull:
		return "TARSADAPTERNULL"
	case InvokeByInvalidESet:
		return "TARSINVOKEBYINVALIDESET"
	case ClientDecodeErr:
		return "TARSCLIENTDECODEERR"
	case SendRequestErr:
		return "TARSSENDREQUESTERR"
	case ServerUnknownErr:
		return "TARSSERVERUNKNOWNERR"
	}
	return ""
}
