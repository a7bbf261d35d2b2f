package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/internal/transport"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// conn is one accepted connection: a reader goroutine (serve) that decodes
// frames and hands requests to the adapter's pool, and a writer goroutine
// (the send queue) that batches the replies.
type conn struct {
	ad     *Adapter
	nc     net.Conn
	remote net.Addr
	q      *transport.SendQueue
	ctx    context.Context
	cancel context.CancelFunc

	created  time.Time
	lastRecv atomic.Int64 // UnixNano of the last frame received
	inflight atomic.Int32 // requests received and not yet answered
	requests atomic.Int64

	br          *bufio.Reader
	fr          *protocol.FrameReader
	readState   atomic.Uint64 // readReading, readInline or readRescued, with the inline run
	inlineSince atomic.Int64  // UnixNano when the running inline request was received, or 0

	eof       atomic.Bool   // the client has finished sending
	drained   chan struct{} // signalled when the last in-flight request is answered after EOF
	written   chan struct{} // closed when the writer goroutine has returned
	closeOnce sync.Once
	closed    chan struct{}
}

func newConn(ad *Adapter, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(ad.srv.baseCtx)
	c := &conn{
		ad: ad, nc: nc, remote: nc.RemoteAddr(), ctx: ctx, cancel: cancel,
		q:       transport.NewSendQueue(nc, 0),
		created: time.Now(),
		drained: make(chan struct{}, 1),
		written: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	c.q.OnError = func(err error) { c.close(err) }
	c.lastRecv.Store(c.created.UnixNano())
	return c
}

// Reading states: who reads the connection. A request found alone on the
// connection is run by the reading goroutine itself (inline), without a
// hand-off to the pool: on a small machine a hand-off costs a thread
// wake-up on another CPU, which dominates the latency of a lone call. If
// an inline request runs longer than about rescueAfter, the adapter's
// rescuer starts a new reading goroutine, so that requests behind it are
// not held up for longer than that.
// The state is kept with the number of the inline run it belongs to
// (state | run<<2), so that a goroutine that was rescued cannot mistake a
// later inline run for its own.
const (
	readReading uint64 = iota // the reading goroutine is reading
	readInline                // it is running a request inline
	readRescued               // another goroutine took over reading
)

const rescueAfter = time.Millisecond

// serve runs the connection until it fails or is closed.
func (c *conn) serve() {
	go func() {
		defer close(c.written)
		if err := c.q.Run(); err != nil {
			c.close(err)
		}
	}()
	c.br = bufio.NewReaderSize(c.nc, 16<<10)
	c.fr = protocol.NewFrameReader(c.br, c.ad.opts.maxPacketLen)
	c.read()
}

// read reads and schedules requests until the connection ends, or until
// another goroutine takes over reading.
func (c *conn) read() {
	var err error
	for {
		var body []byte
		if body, err = c.fr.Next(); err != nil {
			break
		}
		var inline *request
		if inline, err = c.handleFrame(body); err != nil {
			break
		}
		if inline != nil {
			if !c.runInline(inline) {
				return // rescued: the new reading goroutine carries on
			}
			continue
		}
		if c.br.Buffered() == 0 {
			// Let the request just handed to the pool start on this CPU
			// now, before the next read: otherwise the thread the runtime
			// wakes for it may take it to another CPU, after its own
			// wake-up.
			runtime.Gosched()
		}
	}
	if err == io.EOF {
		c.finish()
		return
	}
	c.close(err)
}

// runInline runs r on the reading goroutine and reports whether this
// goroutine still owns reading afterwards.
func (c *conn) runInline(r *request) bool {
	run := (c.readState.Load()>>2 + 1) << 2
	c.inlineSince.Store(r.recv.UnixNano())
	c.readState.Store(run | readInline)
	c.ad.rescuer.inlineStarted()
	c.run(r)
	c.ad.pool.release()
	c.inlineSince.Store(0)
	return c.readState.CompareAndSwap(run|readInline, run|readReading)
}

// rescue starts a new reading goroutine if the connection's reading
// goroutine has been running a request inline since before limit.
func (c *conn) rescue(limit int64) {
	since := c.inlineSince.Load()
	if since == 0 || since > limit {
		return
	}
	v := c.readState.Load()
	if v&3 == readInline && c.readState.CompareAndSwap(v, v&^3|readRescued) {
		go c.read()
	}
}

// finish closes the connection after the client has half-closed it: the
// requests it sent are still answered.
func (c *conn) finish() {
	c.eof.Store(true)
	if c.inflight.Load() != 0 {
		select {
		case <-c.drained:
		case <-c.ctx.Done():
		}
	}
	c.q.Close(nil) // flush
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	select {
	case <-c.written:
	case <-c.ctx.Done():
	}
	c.close(nil)
}

// done accounts for one answered request.
func (c *conn) done() {
	if c.inflight.Add(-1) == 0 && c.eof.Load() {
		select {
		case c.drained <- struct{}{}:
		default:
		}
	}
}

// handleFrame decodes one request and answers or schedules it, or returns
// it to be run inline when it is alone on the connection and a pool slot
// is free. It returns an error only for input after which the connection
// must be closed.
func (c *conn) handleFrame(body []byte) (*request, error) {
	now := time.Now()
	c.lastRecv.Store(now.UnixNano())
	c.requests.Add(1)
	r := &request{conn: c, recv: now}
	// Decode copies the body, so arguments may alias the copy.
	r.cur = servant.Current{Request: &r.req, Response: &r.resp, RemoteAddr: c.remote, BufferOwned: true, Conn: c}
	c.inflight.Add(1)
	if err := r.req.Decode(body); err != nil {
		if r.req.RequestID == 0 {
			c.done()
			return nil, err // nothing to answer to
		}
		c.reply(r, &servant.Error{Code: protocol.ServerDecodeErr, Message: "decode request packet: " + err.Error()})
		return nil, nil
	}
	if r.req.FuncName == protocol.FuncPing {
		c.reply(r, nil)
		return nil, nil
	}
	h := c.ad.handler(r.req.ServantName)
	if h == nil {
		c.reply(r, &servant.Error{Code: protocol.ServerNoServantErr,
			Message: "no servant " + strconv.Quote(r.req.ServantName) + " on adapter " + c.ad.opts.name})
		return nil, nil
	}
	r.handler = h
	r.takeResultBuf()
	if c.br.Buffered() == 0 && c.inflight.Load() == 1 && c.ad.pool.acquire() {
		return r, nil
	}
	if !c.ad.pool.submit(r) {
		c.ad.overloads.Add(1)
		c.reply(r, &servant.Error{Code: protocol.ServerOverload, Message: "server overload: request queue full"})
	}
	return nil, nil
}

// run executes a request on a pool goroutine.
func (c *conn) run(r *request) {
	waited := time.Since(r.recv)
	if qt := c.ad.opts.queueTimeout; qt > 0 && waited > qt {
		c.ad.queueTimeouts.Add(1)
		c.reply(r, &servant.Error{Code: protocol.ServerQueueTimeout,
			Message: "server queue timeout: waited " + waited.String()})
		return
	}
	if r.req.Timeout > 0 {
		timeout := time.Duration(r.req.Timeout) * time.Millisecond
		if waited >= timeout {
			c.ad.queueTimeouts.Add(1)
			c.reply(r, &servant.Error{Code: protocol.ServerQueueTimeout,
				Message: "request expired before dispatch: iTimeout " + strconv.Itoa(int(r.req.Timeout)) + "ms"})
			return
		}
		r.deadline, r.hasDeadline = r.recv.Add(timeout), true
	}
	err := c.invoke(r)
	r.finish()
	c.reply(r, err)
}

// invoke calls the handler chain, turning a panic in an interceptor into
// an error (servant dispatchers recover their own).
func (c *conn) invoke(r *request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			p := &servant.PanicError{Value: v}
			c.ad.srv.log.Error("tars server: panic in handler", "servant", r.req.ServantName,
				"func", r.req.FuncName, "panic", v)
			err = &servant.Error{Code: protocol.ServerUnknownErr, Message: p.Error(), Err: p}
		}
	}()
	return r.handler(r, &r.req, &r.resp)
}

// reply sends the response to r (none for oneway requests), with err's
// code and message if err is not nil.
func (c *conn) reply(r *request, err error) {
	defer c.done()
	defer r.releaseResultBuf() // the reply is encoded (or dropped) by then
	if r.req.PacketType == protocol.PacketOneway {
		return
	}
	resp := &r.resp
	resp.Version, resp.PacketType = r.req.Version, r.req.PacketType
	resp.RequestID, resp.MessageType = r.req.RequestID, r.req.MessageType
	if err != nil {
		resp.Ret, resp.ResultDesc = servant.Result(err)
		resp.Buffer = nil
		if c.ad.srv.log.Enabled(context.Background(), slog.LevelDebug) {
			c.ad.srv.log.Debug("tars server: call failed", "servant", r.req.ServantName,
				"func", r.req.FuncName, "ret", resp.Ret, "desc", resp.ResultDesc, "remote", c.remote)
		}
	}
	err = c.send(r)
	if err != nil {
		// Only here: fe escapes into errors.As, and would cost an
		// allocation on every reply.
		var fe *protocol.FrameLengthError
		if errors.As(err, &fe) {
			resp.Ret, resp.ResultDesc, resp.Buffer = protocol.ServerEncodeErr, "response too large: "+fe.Error(), nil
			err = c.send(r)
		}
	}
	switch {
	case err == nil, errors.Is(err, transport.ErrClosed):
	case errors.Is(err, transport.ErrQueueFull):
		c.ad.srv.log.Warn("tars server: closing connection that does not read its replies", "remote", c.remote)
		c.close(err)
	default:
		c.ad.srv.log.Error("tars server: encode reply", "servant", r.req.ServantName, "func", r.req.FuncName, "err", err)
	}
}

// send encodes r's reply: a ResponsePacket, or for TUP a RequestPacket
// (as TarsCpp answers TUP, with the result in the status map). It writes
// directly when this is the only request in flight (see
// transport.SendQueue).
func (c *conn) send(r *request) error {
	var pkt codec.Struct = &r.resp
	if r.req.Version == protocol.VersionTUP3 || r.req.Version == protocol.VersionTUP2 {
		pkt = tupReply(r)
	}
	f, err := transport.Encode(pkt, c.ad.opts.maxPacketLen)
	if err != nil {
		return err
	}
	defer f.Release()
	return c.q.Append(f.Bytes(), nil, c.inflight.Load() == 1)
}

// tupReply builds the RequestPacket-shaped reply to a TUP request.
func tupReply(r *request) *protocol.RequestPacket {
	resp := &r.resp
	status := resp.Status
	if resp.Ret != protocol.ServerSuccess || resp.ResultDesc != "" {
		status = make(map[string]string, len(resp.Status)+2)
		for k, v := range resp.Status {
			status[k] = v
		}
		if resp.Ret != protocol.ServerSuccess {
			status[protocol.StatusResultCode] = strconv.Itoa(int(resp.Ret))
		}
		status[protocol.StatusResultDesc] = resp.ResultDesc
	}
	return &protocol.RequestPacket{
		Version: r.req.Version, PacketType: r.req.PacketType, MessageType: r.req.MessageType,
		RequestID: r.req.RequestID, ServantName: r.req.ServantName, FuncName: r.req.FuncName,
		Buffer: resp.Buffer, Context: resp.Context, Status: status,
	}
}

// pushReconnect sends the "_reconnect_" push that asks the client to move
// to a new connection.
func (c *conn) pushReconnect() {
	push := &protocol.ResponsePacket{Version: protocol.VersionTars, ResultDesc: protocol.ResultDescReconnect}
	if f, err := transport.Encode(push, 0); err == nil {
		c.q.Append(f.Bytes(), nil, false)
		f.Release()
	}
}

// Push sends a server push (servant.PushConn).
func (c *conn) Push(resp *protocol.ResponsePacket) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	resp.RequestID = 0
	if resp.Version == 0 {
		resp.Version = protocol.VersionTars
	}
	f, err := transport.Encode(resp, c.ad.opts.maxPacketLen)
	if err != nil {
		return err
	}
	defer f.Release()
	return c.q.Append(f.Bytes(), nil, false)
}

// Done is closed when the connection closes (servant.PushConn).
func (c *conn) Done() <-chan struct{} { return c.closed }

// idle reports whether nothing is in flight and nothing was received for d.
func (c *conn) idle(now time.Time, d time.Duration) bool {
	return c.inflight.Load() == 0 && now.Sub(time.Unix(0, c.lastRecv.Load())) >= d
}

// close closes the connection once; err (nil for an orderly close) is
// logged when it is unexpected.
func (c *conn) close(err error) {
	c.closeOnce.Do(func() {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, transport.ErrClosed) {
			c.ad.srv.log.Debug("tars server: connection closed", "remote", c.remote, "err", err)
		}
		c.cancel()
		c.q.Close(net.ErrClosed)
		c.nc.Close()
		c.ad.removeConn(c)
		close(c.closed)
	})
}
