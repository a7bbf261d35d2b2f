package faultrelay

import (
	"bufio"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/internal/testenv"
)

func roundTrip(c net.Conn, r *bufio.Reader, msg string) (string, error) {
	if _, err := c.Write([]byte(msg + "\n")); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

func TestRelayFaults(t *testing.T) {
	r, err := Start(testenv.EchoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	if got, err := roundTrip(c, br, "hello"); err != nil || got != "hello\n" {
		t.Fatalf("through the relay: %q %v", got, err)
	}

	// Blackhole: the message is held, then delivered once traffic flows.
	r.Blackhole()
	if _, err := c.Write([]byte("held\n")); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() { s, _ := br.ReadString('\n'); got <- s }()
	select {
	case s := <-got:
		t.Fatalf("got %q through a blackhole", s)
	case <-time.After(200 * time.Millisecond):
	}
	if err := r.Pass(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "held\n" {
		t.Fatalf("after the blackhole: %q", s)
	}

	// Refuse: open connections are reset, new ones refused.
	r.Refuse()
	if _, err := br.ReadString('\n'); err == nil {
		t.Fatal("connection survived Refuse")
	}
	if _, err := net.Dial("tcp", r.Addr()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: %v", err)
	}
	if err := r.Pass(); err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	br2 := bufio.NewReader(c2)
	if got, err := roundTrip(c2, br2, "again"); err != nil || got != "again\n" {
		t.Fatalf("after Pass: %q %v", got, err)
	}

	// Reset: open connections break, new ones work.
	r.Reset()
	if _, err := roundTrip(c2, br2, "x"); err == nil {
		t.Fatal("connection survived Reset")
	}
	c3, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if got, err := roundTrip(c3, bufio.NewReader(c3), "y"); err != nil || got != "y\n" {
		t.Fatalf("after Reset: %q %v", got, err)
	}
	if r.Accepted() < 3 {
		t.Errorf("accepted %d connections", r.Accepted())
	}
}
