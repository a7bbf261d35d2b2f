// Package faultrelay is a TCP relay whose link tests break on purpose:
// refuse connections, reset them, blackhole them (traffic stops silently
// and resumes later, as over a network that drops packets for a while), or
// delay them. Tests put it between the edge proxy and the API server.
package faultrelay

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Relay forwards connections from its address to a target.
type Relay struct {
	target string

	mu      sync.Mutex
	addr    string
	ln      net.Listener
	refuse  bool
	gate    chan struct{} // closed while traffic flows; open during a blackhole
	delay   time.Duration
	conns   map[*link]struct{}
	closed  bool
	accepts int
}

type link struct {
	client, server net.Conn
}

// Start listens on a free loopback port and relays to target.
func Start(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{target: target, addr: ln.Addr().String(), conns: map[*link]struct{}{}, gate: make(chan struct{})}
	close(r.gate)
	r.serve(ln)
	return r, nil
}

// Addr is the relay's address (host:port), stable across Refuse and Pass.
func (r *Relay) Addr() string { return r.addr }

func (r *Relay) serve(ln net.Listener) {
	r.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.handle(c)
		}
	}()
}

func (r *Relay) handle(c net.Conn) {
	r.mu.Lock()
	gate := r.gate
	r.accepts++
	r.mu.Unlock()
	// During a blackhole the TCP connection is accepted (the kernel does
	// it anyway) but nothing reaches the server until traffic flows.
	<-gate
	s, err := net.DialTimeout("tcp", r.target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	l := &link{client: c, server: s}
	r.mu.Lock()
	if r.closed || r.refuse {
		r.mu.Unlock()
		reset(c)
		s.Close()
		return
	}
	r.conns[l] = struct{}{}
	r.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.pipe(s, c) }()
	go func() { defer wg.Done(); r.pipe(c, s) }()
	wg.Wait()
	r.mu.Lock()
	delete(r.conns, l)
	r.mu.Unlock()
}

// pipe copies src to dst, holding data while the link is blackholed and
// delaying it when asked.
func (r *Relay) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.mu.Lock()
			gate, delay := r.gate, r.delay
			r.mu.Unlock()
			<-gate
			if delay > 0 {
				time.Sleep(delay)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
					continue
				}
			}
			return
		}
	}
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST
	}
	_ = c.Close()
}

func (r *Relay) resetAll() {
	for l := range r.conns {
		reset(l.client)
		reset(l.server)
	}
}

// Refuse stops listening (new connections are refused) and resets every
// open connection: the server is gone.
func (r *Relay) Refuse() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse || r.closed {
		return
	}
	r.refuse = true
	_ = r.ln.Close()
	r.resetAll()
	r.openGate()
}

// Reset resets every open connection, and keeps accepting new ones.
func (r *Relay) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resetAll()
}

// Blackhole stops all traffic silently: nothing is refused or reset,
// bytes simply stop flowing until Pass.
func (r *Relay) Blackhole() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.gate:
		r.gate = make(chan struct{})
	default:
	}
}

// SetDelay delays every chunk of data by d, each way.
func (r *Relay) SetDelay(d time.Duration) {
	r.mu.Lock()
	r.delay = d
	r.mu.Unlock()
}

// Pass restores the link: listening again, traffic flowing (held data
// resumes, like TCP retransmission after an outage), no delay.
func (r *Relay) Pass() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay = 0
	r.openGate()
	if r.refuse && !r.closed {
		var ln net.Listener
		var err error
		// The port was ours a moment ago; retry briefly in case the
		// kernel has not released it yet.
		for i := 0; i < 50; i++ {
			if ln, err = net.Listen("tcp", r.addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			return err
		}
		r.refuse = false
		r.serve(ln)
	}
	return nil
}

func (r *Relay) openGate() {
	select {
	case <-r.gate:
	default:
		close(r.gate)
	}
}

// Accepted is how many connections the relay accepted so far.
func (r *Relay) Accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepts
}

// Close stops the relay and resets its connections.
func (r *Relay) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	_ = r.ln.Close()
	r.resetAll()
	r.openGate()
}
