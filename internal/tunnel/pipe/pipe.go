// Package pipe relays bytes between two connections, used on both ends of
// the tunnel: the server between a user's connection and a tunnel stream,
// the agent between a tunnel stream and the local connection it dialled.
package pipe

import (
	"bufio"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// Relay copies both ways until both directions end. When one side stops
// sending, the other is half-closed, so protocols that signal the end of a
// request by closing their write side (and ssh's EOF) work; then both are
// closed. It returns the bytes copied each way.
func Relay(a, b net.Conn) (aToB, bToA int64) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bToA = copyHalf(a, b)
	}()
	aToB = copyHalf(b, a)
	wg.Wait()
	a.Close()
	b.Close()
	return aToB, bToA
}

func copyHalf(dst, src net.Conn) int64 {
	bp := bufPool.Get().(*[]byte)
	// The anonymous structs hide ReaderFrom/WriterTo so the pooled 64 KiB
	// buffer is used: yamux and TLS both move more per call with it.
	n, err := io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *bp)
	bufPool.Put(bp)
	if err != nil || !CloseWrite(dst) {
		// No half-close (or an error): end both directions.
		dst.Close()
		src.Close()
	}
	return n
}

// CloseWrite half-closes c if it can: TCP and TLS connections have
// CloseWrite, and a yamux stream's Close is a half-close (it sends FIN and
// stays readable until the other side's FIN). It reports whether it could.
func CloseWrite(c net.Conn) bool {
	switch c := c.(type) {
	case *yamux.Stream:
		return c.Close() == nil
	case *readerConn:
		return CloseWrite(c.Conn)
	case interface{ CloseWrite() error }:
		return c.CloseWrite() == nil
	}
	return false
}

// Buffered returns c, reading first what br has already buffered from it
// (after an HTTP exchange read through br, before the raw bytes).
func Buffered(c net.Conn, br *bufio.Reader) net.Conn {
	if br.Buffered() == 0 {
		return c
	}
	return &readerConn{Conn: c, r: io.MultiReader(io.LimitReader(br, int64(br.Buffered())), c)}
}

type readerConn struct {
	net.Conn
	r io.Reader
}

func (c *readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// YamuxConfig is the session configuration both ends use. A ping every
// keepAlive, and pings and writes that time out after keepAlive (at least
// 10s, so a busy but healthy link is not cut), find a dead link within
// about keepAlive+max(keepAlive, 10s). The 4 MiB stream window lets one bulk stream fill a
// fast link (yamux's 256 KiB default caps it at window/RTT), while
// per-stream flow control still stops a slow reader from stalling the
// others: a stream never holds more than its window in the receiver.
func YamuxConfig(keepAlive time.Duration) *yamux.Config {
	c := yamux.DefaultConfig()
	c.KeepAliveInterval = keepAlive
	c.ConnectionWriteTimeout = max(keepAlive, 10*time.Second)
	// Streams opened faster than the agent accepts them wait in the
	// backlog; beyond it yamux resets them.
	c.AcceptBacklog = 4096
	c.MaxStreamWindowSize = 4 << 20
	c.StreamOpenTimeout = 15 * time.Second
	c.LogOutput = io.Discard
	return c
}
