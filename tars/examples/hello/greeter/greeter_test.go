package greeter_test

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/examples/hello/greeter"
	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/servant"
	"github.com/outpost-edge/outpost/tars/server"
)

// TestHelloOverTheNetwork runs the example server and client code paths
// on loopback.
func TestHelloOverTheNetwork(t *testing.T) {
	srv := server.New(server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(greeter.Obj, hello.NewGreeterDispatcher(new(greeter.Greeter)))
	go srv.Serve()
	defer srv.Close()

	c, err := client.New(greeter.Obj + "@" + ad.Endpoint().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g := hello.NewGreeterClient(c)
	got, err := g.Greet(t.Context(), "edge")
	if err != nil || got.Text != "hello, edge" || got.Count != 1 {
		t.Fatalf("greet = %+v, %v", got, err)
	}
	var respCtx map[string]string
	got, err = g.Greet(t.Context(), "edge", servant.WithContext(map[string]string{"lang": "fr"}), servant.ResponseContext(&respCtx))
	if err != nil || got.Text != "bonjour, edge" || got.Count != 2 || respCtx["lang"] != "fr" {
		t.Fatalf("greet fr = %+v, %v, %v", got, err, respCtx)
	}
	_, err = g.Greet(t.Context(), "")
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != 400 {
		t.Fatalf("empty name = %v", err)
	}
}
