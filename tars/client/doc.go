// Package client calls TARS servants: it implements servant.Invoker, so a
// generated client runs on it, and adds asynchronous and raw-packet calls.
//
//	c, err := client.New("Hello.Greeter.GreeterObj@tcp -h 127.0.0.1 -p 10000")
//	defer c.Close()
//	greeter := hello.NewGreeterClient(c)
//	msg, err := greeter.Greet(ctx, "edge")
//
// # Connections
//
// Calls are multiplexed over a few long-lived connections per endpoint
// (WithConnsPerEndpoint, default 1), matched to their replies by
// iRequestId, so any number of calls can be in flight on one connection.
// Callers encode their request in parallel and append it to the
// connection's send queue; under load the connection's writer goroutine
// writes everything queued in one system call, and its reader goroutine
// hands each reply to the waiting call. A synchronous call alone on its
// connection writes its request and reads its reply itself (read.go):
// hand-offs between goroutines cost thread wake-ups that would dominate its
// latency. No goroutine is started per call: a synchronous call blocks its
// own goroutine, an asynchronous one (InvokeAsync, Go) only registers a
// callback or a future.
//
// # Deadlines
//
// Every call has a deadline: the context's, or now + the call's timeout
// (servant.WithTimeout, else WithTimeout, 3 s by default), whichever is
// earlier. The remaining time is sent as iTimeout, so a TARS server can drop
// the request once the caller has given up and hand the rest of the
// deadline to its own downstream calls. A call that times out fails with
// an *servant.Error of code -7 wrapping context.DeadlineExceeded.
//
// # Failures and reconnection
//
// When a server asks its clients to reconnect (the "_reconnect_" push of a
// graceful shutdown) the connection stops taking calls, the calls queued on
// it but not yet written move to a new connection, and it closes once the
// calls already sent have their replies. When a connection breaks, the
// calls that never reached it are sent again on another connection, and
// only those that had been written fail (code -8), since the server may
// have run them. An endpoint that cannot be dialled is avoided for a
// growing back-off while others are available.
//
// # Extension points
//
// Interceptors (WithInterceptors) wrap every call for metrics and tracing.
// Endpoints come from a Resolver and a Picker chooses one per call; the
// defaults are the proxy string's direct endpoints and round robin. A
// registry-backed Resolver and hashing Pickers belong to the name service.
package client
