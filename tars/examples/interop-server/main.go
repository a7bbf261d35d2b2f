// Command interop-server serves Outpost.Interop.EchoObj, the servant of
// the shared Interop.tars, for interoperability tests and benchmarks:
//
//	interop-server -addr 127.0.0.1:10000 [-admin 127.0.0.1:10001]
//
// -addr takes host:port or a TARS endpoint ("tcp -h 127.0.0.1 -p 10000").
// It stops gracefully on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:10000", "listen `address`: host:port or a TARS endpoint")
	adminAddr := flag.String("admin", "", "serve AdminObj on this `address` too")
	flag.Parse()
	if err := run(*addr, *adminAddr); err != nil {
		fmt.Fprintln(os.Stderr, "interop-server:", err)
		os.Exit(1)
	}
}

// toEndpoint turns host:port into a TARS endpoint; endpoints pass through.
func toEndpoint(addr string) (string, error) {
	if strings.HasPrefix(addr, "tcp ") || strings.HasPrefix(addr, "ssl ") {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	return "tcp -h " + host + " -p " + port, nil
}

func run(addr, adminAddr string) error {
	srv := server.New(server.WithVersion("interop-server"))
	ep, err := toEndpoint(addr)
	if err != nil {
		return err
	}
	ad, err := srv.Listen(ep)
	if err != nil {
		return err
	}
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(echo.Echo{}))
	if adminAddr != "" {
		if ep, err = toEndpoint(adminAddr); err != nil {
			return err
		}
		if _, err := srv.ListenAdmin(ep); err != nil {
			return err
		}
	}
	slog.Info("interop-server: serving", "servant", echo.Obj, "endpoint", ad.Endpoint().String())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	srv.Serve()
	return nil
}
