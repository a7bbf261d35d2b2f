// Command client greets through the hello-world Greeter:
//
//	go run ./examples/hello/client -addr 127.0.0.1:10015 -lang fr edge
//
// or, resolving the server through the registry:
//
//	go run ./examples/hello/client -locator 'tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890' edge
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/outpost-edge/outpost/tars/examples/hello/greeter"
	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/servant"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:10015", "server `host:port`")
	loc := flag.String("locator", "", "resolve the server through the registry at this `locator` instead of -addr")
	lang := flag.String("lang", "", "ask for a language (\"fr\")")
	flag.Parse()
	proxy := greeter.Obj
	if *loc == "" {
		host, port, err := net.SplitHostPort(*addr)
		if err != nil {
			log.Fatal(err)
		}
		proxy += "@tcp -h " + host + " -p " + port
	}
	c, closeClient, err := locator.NewClient(proxy, locator.Config{Locator: *loc})
	if err != nil {
		log.Fatal(err)
	}
	defer closeClient()
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
