package server_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/servant"
	"github.com/outpost-edge/outpost/tars/server"
	adminf "github.com/outpost-edge/outpost/tars/server/internal/tars"
)

// TestAdmin drives AdminObj through a real client and socket.
func TestAdmin(t *testing.T) {
	level := new(slog.LevelVar)
	loaded := make(chan string, 1)
	srv, ad := start(t, []server.Option{
		server.WithVersion("1.2.3"),
		server.WithLogLevel(level),
		server.WithAdminCommand("app.hello", func(ctx context.Context, cmd, args string) (string, error) {
			return "hello " + args, nil
		}),
		server.WithConfigLoader(func(ctx context.Context, file string) (string, error) {
			loaded <- file
			return "loaded " + file, nil
		}),
	})
	adminAd, err := srv.ListenAdmin("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(server.AdminObj + "@" + adminAd.Endpoint().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	admin := adminf.NewAdminFClient(c)
	notify := func(cmd string) string {
		t.Helper()
		out, err := admin.Notify(t.Context(), cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return out
	}
	// Keep one connection open on the servant adapter for tars.connection;
	// its reply proves the server has accepted it.
	servantConn := dial(t, ad)
	servantConn.send(call("echoInt", 1, intArg(1)))
	servantConn.recv()

	if got := notify("tars.viewversion"); got != "1.2.3" {
		t.Errorf("viewversion = %q", got)
	}
	if got := notify("tars.viewstatus"); !strings.Contains(got, "version 1.2.3") || !strings.Contains(got, "Outpost.Interop.EchoObj") ||
		!strings.Contains(got, "AdminAdapter") || !strings.Contains(got, "max-in-flight 10000") {
		t.Errorf("viewstatus = %q", got)
	}
	if got := notify("tars.setloglevel DEBUG"); !strings.Contains(got, "DEBUG") || level.Level() != slog.LevelDebug {
		t.Errorf("setloglevel = %q, level %v", got, level.Level())
	}
	notify("tars.setloglevel none")
	if level.Level() <= slog.LevelError {
		t.Errorf("NONE left level %v", level.Level())
	}
	if _, err := admin.Notify(t.Context(), "tars.setloglevel LOUD"); err == nil {
		t.Error("bad level accepted")
	}
	if got := notify("tars.connection"); !strings.Contains(got, "remote 127.0.0.1:") || !strings.Contains(got, "adapter tcp") {
		t.Errorf("connection = %q", got)
	}
	if got := notify("tars.dumpstack"); !strings.Contains(got, "goroutine ") {
		t.Errorf("dumpstack = %.100q", got)
	}
	if got := notify("tars.loadconfig app.conf"); got != "loaded app.conf" || <-loaded != "app.conf" {
		t.Errorf("loadconfig = %q", got)
	}
	if got := notify("app.hello  world "); got != "hello world" {
		t.Errorf("custom command = %q", got)
	}
	if got := notify("tars.nosuch"); got != "tars.nosuch not support now!" {
		t.Errorf("unknown command = %q", got)
	}
	if got := notify("tars.help"); !strings.Contains(got, "app.hello") || !strings.Contains(got, "tars.viewstatus") {
		t.Errorf("help = %q", got)
	}

	// shutdown answers, then stops the server gracefully.
	if err := admin.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Done():
	case <-time.After(testTimeout):
		t.Fatal("server still running after AdminObj shutdown")
	}
}

func TestAdminLoadConfigWithoutHook(t *testing.T) {
	srv, _ := start(t, nil)
	ad, err := srv.ListenAdmin("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(server.AdminObj + "@" + ad.Endpoint().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = adminf.NewAdminFClient(c).Notify(t.Context(), "tars.loadconfig x.conf")
	var se *servant.Error
	if !errors.As(err, &se) || !strings.Contains(se.Message, "no config loader") {
		t.Errorf("loadconfig without hook = %v", err)
	}
}
