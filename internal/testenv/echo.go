package testenv

import (
	"io"
	"net"
	"testing"
)

// EchoServer serves TCP echo on a free loopback port until the test ends
// and returns its address: the simplest far end for tests of proxies and
// tunnels.
func EchoServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}
