package egress

import (
	"net"
	"strconv"
	"testing"
)

// FuzzTarget: CONNECT targets come from the API server, but the socket
// is an input all the same. Validation and lookup never panic, and what
// validation accepts is a host and a port in range.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{"10.0.0.1:10250", "[::1]:22", "node-a:10250", ":80", "a:0", "a:65536", "[::1", "a:b:c", "", "127.0.0.1:20000"} {
		f.Add(s)
	}
	idx := startNodes(f, node("sim-0", "127.0.0.1", 20000, RouteTunnel), node("a", "10.0.0.1", 10250, ""))
	f.Fuzz(func(t *testing.T, addr string) {
		_, _, _ = idx.Lookup(addr)
		if validTarget(addr) != nil {
			return
		}
		host, port, err := net.SplitHostPort(addr)
		p, perr := strconv.Atoi(port)
		if err != nil || perr != nil || p < 1 || p > 65535 || host == "" {
			t.Fatalf("accepted %q", addr)
		}
	})
}
