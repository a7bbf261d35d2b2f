// Package protocol defines the TARS RPC packets, their framing on a stream
// and the constants shared with other TARS implementations.
//
// A TARS connection carries frames: a 4-byte big-endian length that counts
// itself and the body, then a RequestPacket or ResponsePacket encoded as a
// bare field sequence (no STRUCT_BEGIN/END; see package codec). Requests are
// multiplexed on one connection and matched to responses by RequestID.
//
// The packet types are written by hand rather than generated from
// RequestF.tars so that the runtime's hottest path has no indirection, and so
// that decoding can be lenient the way the reference recommends: some peers
// (TarsJava before PR #113) omit the required status map, so a missing field
// of either packet reads as its zero value instead of failing. Encoding, in
// turn, always writes every required field, including empty maps.
//
// Frames are bounded: a length below 4 or above the receiver's maximum
// (DefaultMaxPacketLen, 10 MiB, as in TarsGo and TarsCpp) is rejected before
// any body is read, and FrameReader never buffers more than one frame.
//
// Package tup (a subpackage) implements the TUP attribute maps carried in
// the Buffer of version 2 and 3 packets.
package protocol
