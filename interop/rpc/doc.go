// Package rpc checks Outpost's TARS runtime against TarsGo v1.4.5's over
// real sockets, in both directions: a TarsGo client calls every function
// of the Outpost interop server, and the Outpost client calls every
// function of a TarsGo server serving the same servant (the tars2go-style
// glue in tarsgo/Interop and the implementation in tarsgo/echoimpl),
// including failures (iRet and sResultDesc), timeouts, oneway calls and
// the context and status maps. Everything runs in one process on loopback.
//
// The tests are built without the race detector only: TarsGo v1.4.5 has
// data races of its own that any use of its runtime triggers (the gtime
// clock, TarsGo #299; AdapterProxy.servantProxy and connection.close in its
// client transport), and the race detector cannot be told to ignore a
// dependency. Outpost's side of every scenario runs under -race in the
// tars module's own tests.
package rpc
