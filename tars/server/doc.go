// Package server serves TARS servants over TCP and TLS.
//
// A Server owns adapters, one per listening endpoint; an adapter serves one
// or more servant objects ("App.Server.Obj"), each a servant.Dispatcher
// such as the one a generated NewXDispatcher returns:
//
//	srv := server.New(server.WithVersion("1.0.0"))
//	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 10000 -t 60000")
//	ad.Handle("Hello.Greeter.GreeterObj", hello.NewGreeterDispatcher(impl))
//	go srv.Serve()
//	...
//	srv.Shutdown(ctx)
//
// The choices below are the ones where existing TARS servers go wrong (§7
// and §13 of the protocol reference):
//
//   - Bounded work. TarsGo starts a goroutine per request and never reports
//     overload; a full queue blocks its reader. Here each adapter runs at
//     most MaxInFlight handlers at once and queues at most QueueCap more;
//     a request that finds the queue full is answered -9
//     (TARSSERVEROVERLOAD) at once, and one that waited longer than
//     QueueTimeout is answered -6 without running.
//   - Deadlines. A request whose iTimeout has already passed when it would
//     be dispatched is answered -6; otherwise the handler's ctx carries the
//     remaining deadline (receive time + iTimeout), so downstream calls
//     inherit it.
//   - Result codes. An unknown servant is -4, an unknown function -3,
//     undecodable arguments -1, and a handler's *servant.Error gives its
//     code and message (TarsGo answers 1 for all of these).
//   - Robustness. A malformed frame closes only its connection; a panicking
//     handler is answered -99; frames longer than MaxPacketLen (10 MiB by
//     default) are refused and connections idle for longer than the
//     endpoint's -t (or IdleTimeout) are closed.
//   - One port, every protocol version. TARS (1), TUP3 (3, answered with a
//     RequestPacket-shaped reply as TarsCpp does, errors in the status map)
//     and JSON (5) requests are told apart per packet, and several servants
//     may share an adapter (TarsGo #87).
//   - Graceful shutdown. Shutdown stops accepting, sends the "_reconnect_"
//     push (request id 0) on every connection so clients move away, lets
//     in-flight requests finish until its context ends, then closes.
//
// Requests on a connection are read by one goroutine per connection and
// run concurrently on the adapter's pool; replies leave in batches through
// the connection's writer goroutine (internal/transport). A request alone
// on its connection is run, and answered, by the reading goroutine itself,
// which a per-adapter rescuer relieves of reading if the request runs for
// more than a millisecond: a hand-off to another goroutine costs a thread
// wake-up that would dominate a lone call's latency. Interceptors
// (WithInterceptors) wrap every dispatch, for metrics, tracing and logging.
//
// Every server can serve the administration servant AdminObj (§6.7): see
// ListenAdmin, Server.AdminDispatcher and WithAdminCommand.
package server
