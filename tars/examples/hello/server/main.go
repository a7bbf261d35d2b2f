// Command server serves the hello-world Greeter:
//
//	go run ./examples/hello/server -addr 127.0.0.1:10015
//
// With -locator it registers with the registry (heartbeats while it runs,
// deregisters when interrupted):
//
//	outpost registry &
//	go run ./examples/hello/server -addr 127.0.0.1:0 -locator 'tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890'
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/outpost-edge/outpost/tars/examples/hello/greeter"
	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/registration"
	"github.com/outpost-edge/outpost/tars/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:10015", "listen `host:port`")
	loc := flag.String("locator", "", "register with the registry at this `locator`")
	flag.Parse()
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := server.New()
	ad, err := srv.Listen("tcp -h " + host + " -p " + port)
	if err != nil {
		log.Fatal(err)
	}
	ad.Handle(greeter.Obj, hello.NewGreeterDispatcher(new(greeter.Greeter)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *loc != "" {
		reg, err := registration.Start(ctx, registration.Config{Locator: *loc}, registration.ForServer(srv)...)
		if err != nil {
			log.Fatal(err)
		}
		srv.OnShutdown(func(ctx context.Context) { reg.Stop(ctx) })
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Printf("serving %s on %s", greeter.Obj, ad.Endpoint())
	srv.Serve()
}
