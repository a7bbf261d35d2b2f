// Command client greets through the hello-world Greeter:
//
//	go run ./examples/hello/client -addr 127.0.0.1:10015 -lang fr edge
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/examples/hello/greeter"
	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/servant"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:10015", "server `host:port`")
	lang := flag.String("lang", "", "ask for a language (\"fr\")")
	flag.Parse()
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(greeter.Obj + "@tcp -h " + host + " -p " + port)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	g := hello.NewGreeterClient(c)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	name := "world"
	if flag.NArg() > 0 {
		name = flag.Arg(0)
	}
	greeting, err := g.Greet(ctx, name, servant.WithContext(map[string]string{"lang": *lang}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (greeting #%d)\n", greeting.Text, greeting.Count)
}
