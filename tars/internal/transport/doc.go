// Package transport holds what the TARS server and client share about
// moving frames over a connection: the batching send queue and pooled
// frame encoding.
//
// Both sides have many goroutines producing frames for one connection
// (handlers on a server, callers on a client). Writing each frame with its
// own system call under a lock serialises producers on the socket and costs
// one syscall per frame. Instead producers encode a frame outside any lock
// (into a pooled buffer), append it to the connection's pending bytes under
// a short lock, and wake the connection's writer goroutine, which writes
// everything pending in one Write. Under load many frames leave per
// syscall; at low load a frame costs one hand-off to a goroutine that the
// producer's own blocking makes cheap to schedule.
package transport
