package pipe

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
)

// recordingConn follows the yamux frames written through it and counts
// data frame headers that went out in a Write of their own.
type recordingConn struct {
	net.Conn
	mu         sync.Mutex
	writes     int
	loneHeader int
	partial    []byte // header bytes seen so far
	body       int    // body bytes of the current data frame still to come
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	if c.body == 0 && len(c.partial) == 0 && len(p) == frameHeaderLen && p[1] == typeData && binary.BigEndian.Uint32(p[8:]) > 0 {
		c.loneHeader++
	}
	for q := p; len(q) > 0; {
		if c.body > 0 {
			k := min(c.body, len(q))
			c.body -= k
			q = q[k:]
			continue
		}
		k := min(frameHeaderLen-len(c.partial), len(q))
		c.partial = append(c.partial, q[:k]...)
		q = q[k:]
		if len(c.partial) == frameHeaderLen {
			if c.partial[1] == typeData { // only data frames carry a body
				c.body = int(binary.BigEndian.Uint32(c.partial[8:]))
			}
			c.partial = c.partial[:0]
		}
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// TestCoalescedSession runs a yamux session over frameConn on both ends
// and checks the bytes arrive intact, in both directions, for writes of
// many sizes (below, at and above a TLS record and maxWrite), and that no
// data header is written on its own.
func TestCoalescedSession(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingConn{Conn: raw}
	client, err := yamux.Client(CoalesceFrames(rec), YamuxConfig(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	srvRaw := <-accepted
	if srvRaw == nil {
		t.Fatal("accept failed")
	}
	server, err := yamux.Server(CoalesceFrames(srvRaw), YamuxConfig(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	go func() {
		for {
			st, err := server.AcceptStream()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(Stream{st}, st); _ = st.Close() }() // echo
		}
	}()

	sizes := []int{1, 11, 12, 13, tlsRecordMax - frameHeaderLen, tlsRecordMax, tlsRecordMax + 1, 64 << 10, maxWrite, maxWrite + 7, 3 << 20}
	var want bytes.Buffer
	st, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	s := Stream{st}
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(s); got <- b }()
	for _, n := range sizes {
		p := make([]byte, n)
		_, _ = rand.Read(p)
		want.Write(p)
		if m, err := s.Write(p); err != nil || m != n {
			t.Fatalf("write %d: wrote %d, %v", n, m, err)
		}
	}
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, want.Bytes()) {
			t.Fatalf("echoed %d bytes, not the %d sent", len(b), want.Len())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("echo timed out")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.loneHeader != 0 {
		t.Errorf("%d data frame headers written alone (of %d writes)", rec.loneHeader, rec.writes)
	}
}
