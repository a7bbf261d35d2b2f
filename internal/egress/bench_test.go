package egress

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/outpost-edge/outpost/internal/testenv"
)

// BenchmarkDial compares what the API server pays per kubelet connection:
// a direct dial plus one small echo exchange, against the same through
// the egress proxy (CONNECT, node lookup, dial, relay).
//
//	go test ./internal/egress -run '^$' -bench Dial -count 5
func BenchmarkDial(b *testing.B) {
	kubelet := testenv.EchoServer(b)
	host, port, _ := net.SplitHostPort(kubelet)
	var p int32
	fmt.Sscan(port, &p)
	nodes := startNodes(b, node("n", host, p, ""))
	proxy := startServer(b, nodes, &Router{})
	exchange := func(c net.Conn, br *bufio.Reader) {
		if _, err := c.Write([]byte("ping\n")); err != nil {
			b.Fatal(err)
		}
		if _, err := br.ReadString('\n'); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			c, err := net.Dial("tcp", kubelet)
			if err != nil {
				b.Fatal(err)
			}
			exchange(c, bufio.NewReader(c))
			c.Close()
		}
	})
	b.Run("egress", func(b *testing.B) {
		for b.Loop() {
			c, err := net.Dial("tcp", proxy)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", kubelet)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatal(resp, err)
			}
			exchange(c, br)
			c.Close()
		}
	})
}
