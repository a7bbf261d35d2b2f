package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/internal/transport"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// errReconnect closes a connection drained after the server's
// "_reconnect_" push.
var errReconnect = errors.New("tars client: server asked to reconnect")

// conn is one connection to an endpoint. Its first goroutine dials and then
// runs the send queue; a second reads replies once it is connected. Calls
// can be queued while it dials.
type conn struct {
	client  *Client
	ep      *endpointState
	q       *transport.SendQueue
	pending pendingMap

	mu          sync.Mutex
	nc          net.Conn
	reading     bool        // the read role is held (see read.go)
	readingHint atomic.Bool // reading, readable without the lock
	lastRead    time.Time
	br          *bufio.Reader
	fr          *protocol.FrameReader
	inline      bool        // lone synchronous calls may read their own replies
	kickTimer   *time.Timer // interrupts an inline read at its call's deadline
	kicked      atomic.Bool // a read deadline was set to interrupt a read
	// inlineDeadline is the deadline (UnixNano) of the inline read in
	// progress that the watcher enforces, or 0.
	inlineDeadline atomic.Int64
	inlineCtx      context.Context // the inline read's context, if cancellable
	closing        bool
	draining       bool
	writerExited   bool
	finalized      bool
	closeErr       error
}

// newConnPending returns a connection that start will dial.
func newConnPending(c *Client, ep *endpointState) *conn {
	cn := &conn{client: c, ep: ep}
	cn.q = transport.NewSendQueue(writerFunc(cn.write), c.opts.maxPending)
	cn.q.OnWritten = cn.written
	cn.q.OnError = func(err error) { cn.close(err) }
	cn.q.Hold() // until dialled: calls queue up
	return cn
}

func (cn *conn) start() { go cn.run() }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// write is the send queue's writer; nc is set before the queue's write
// role is first released.
func (cn *conn) write(p []byte) (int, error) { return cn.nc.Write(p) }

// usable reports whether new calls may be queued on the connection.
func (cn *conn) usable() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return !cn.closing && !cn.draining
}

func (cn *conn) run() {
	defer cn.writerDone()
	nc, err := cn.dial()
	if err != nil {
		cn.ep.dialFailed(err)
		cn.close(&servant.Error{Code: protocol.ProxyConnectErr, Message: "connect " + cn.ep.ep.String() + ": " + err.Error(), Err: err})
		cn.q.Release()
		return
	}
	cn.ep.dialed()
	cn.mu.Lock()
	if cn.closing {
		cn.mu.Unlock()
		nc.Close()
		cn.q.Release()
		return
	}
	cn.nc = nc
	cn.br = bufio.NewReaderSize(nc, 64<<10)
	cn.fr = protocol.NewFrameReader(cn.br, cn.client.opts.maxPacketLen)
	cn.inline = cn.client.opts.tls == nil
	cn.kickTimer = time.AfterFunc(time.Hour, cn.kick)
	cn.kickTimer.Stop()
	cn.mu.Unlock()
	cn.q.Release()
	if f := cn.client.opts.onConn; f != nil {
		f(cn.ep.ep, true)
	}
	cn.ensureReader() // for the calls queued while dialling
	if err := cn.q.Run(); err != nil {
		cn.close(err)
	}
}

func (cn *conn) dial() (net.Conn, error) {
	o := &cn.client.opts
	ctx, cancel := context.WithTimeout(cn.client.ctx, o.dialTimeout)
	defer cancel()
	d := net.Dialer{}
	if cn.ep.ep.Bind != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(cn.ep.ep.Bind)}
	}
	addr := cn.ep.ep.Address()
	if o.tls == nil && cn.ep.ep.Proto == endpoint.SSL {
		return nil, errors.New("ssl endpoint without a TLS configuration (use client.WithTLS)")
	}
	if o.tls != nil {
		td := tls.Dialer{NetDialer: &d, Config: o.tls}
		return td.DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

// push handles a server push: "_reconnect_", or a message for the push
// handler.
func (cn *conn) push(body []byte) {
	var p protocol.ResponsePacket
	if err := p.Decode(body); err != nil {
		cn.client.log.Warn("tars client: undecodable push", "endpoint", cn.ep.ep.String(), "err", err)
		return
	}
	if p.ResultDesc == protocol.ResultDescReconnect {
		cn.drain()
		return
	}
	if f := cn.client.opts.onPush; f != nil {
		f(&p)
	}
}

// drain stops new calls on the connection, moves the queued ones to
// another connection and lets the sent ones finish.
func (cn *conn) drain() {
	cn.mu.Lock()
	if cn.closing || cn.draining {
		cn.mu.Unlock()
		return
	}
	cn.draining = true
	cn.mu.Unlock()
	cn.ep.release(cn)
	for _, m := range cn.q.Take() {
		c := m.Token.(*call)
		if cn.pending.remove(c.req.RequestID) != nil {
			cn.client.redispatch(c, errReconnect)
		}
	}
	if cn.pending.len() == 0 {
		cn.close(errReconnect)
	}
}

func (cn *conn) isDraining() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.draining
}

// written is the send queue's OnWritten: oneway calls complete once
// written.
func (cn *conn) written(token any) {
	c := token.(*call)
	c.sent.Store(true)
	if c.oneway && cn.pending.remove(c.req.RequestID) != nil {
		c.complete(nil)
	}
}

// close starts closing the connection; the calls left on it are settled
// once the writer goroutine has stopped (finalize).
func (cn *conn) close(err error) {
	cn.mu.Lock()
	if cn.closing {
		cn.mu.Unlock()
		return
	}
	cn.closing, cn.closeErr = true, err
	nc := cn.nc
	cn.mu.Unlock()
	cn.ep.release(cn)
	cn.q.Close(net.ErrClosed)
	if nc != nil {
		nc.Close()
	}
	cn.maybeFinalize()
}

func (cn *conn) writerDone() {
	cn.mu.Lock()
	cn.writerExited = true
	cn.mu.Unlock()
	cn.maybeFinalize()
}

func (cn *conn) maybeFinalize() {
	cn.mu.Lock()
	ready := cn.closing && cn.writerExited && !cn.finalized
	cn.finalized = cn.finalized || ready
	err := cn.closeErr
	cn.mu.Unlock()
	if ready {
		cn.finalize(err)
	}
}

// finalize settles the calls left on a closed connection: those written
// whole fail, since the server may have run them; the others are sent
// again elsewhere.
func (cn *conn) finalize(err error) {
	cn.ep.forget(cn)
	if f := cn.client.opts.onConn; f != nil {
		f(cn.ep.ep, false)
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	for _, c := range cn.pending.closeAll() {
		if c.sent.Load() && !c.oneway {
			c.complete(lostError(cn.ep.ep, err))
			continue
		}
		cn.client.redispatch(c, err)
	}
}

func lostError(ep endpoint.Endpoint, err error) error {
	var se *servant.Error
	if errors.As(err, &se) {
		return err
	}
	return &servant.Error{Code: protocol.ProxyConnectErr, Message: "connection to " + ep.String() + " lost: " + err.Error(), Err: err}
}

// peekID reads a reply's request id and whether it is a TUP reply
// (RequestPacket-shaped, id at tag 4) rather than a ResponsePacket (id at
// tag 3).
func peekID(body []byte) (id int32, tup bool, err error) {
	var r codec.Reader
	r.ResetNoCopy(body)
	var version int16
	if err := r.ReadInt16(&version, 1, false); err != nil {
		return 0, false, err
	}
	tup = version == protocol.VersionTUP2 || version == protocol.VersionTUP3
	tag := byte(3)
	if tup {
		tag = 4
	}
	err = r.ReadInt32(&id, tag, false)
	return id, tup, err
}
