package cli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// TestRegistryCommand runs `outpost registry`, registers through it and
// resolves through it, then stops it by cancelling its context.
func TestRegistryCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ep := fmt.Sprintf("tcp -h 127.0.0.1 -p %d", port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		root := newRoot()
		root.SetArgs([]string{"registry", "--listen", ep, "--log-level", "error", "--group", "127.0.0.0/8=local"})
		done <- root.ExecuteContext(ctx)
	}()
	c, err := client.New(registry.RegisterObj+"@"+ep, client.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	item := queryf.Registration{Id: "A.B.Obj", TtlMs: 60000, Ep: queryf.EndpointF{Host: "10.0.0.9", Port: 80, Istcp: 1}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err = queryf.NewRegisterClient(c).Register(context.Background(), []queryf.Registration{item})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	q, err := client.New(registry.QueryObj+"@"+ep, client.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	eps, err := queryf.NewQueryFClient(q).FindObjectById(context.Background(), "A.B.Obj")
	if err != nil || len(eps) != 1 || eps[0].Host != "10.0.0.9" {
		t.Fatalf("findObjectById: %+v %v", eps, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("registry exited with %v", err)
	}
}

func TestRegistryBadGroup(t *testing.T) {
	root := newRoot()
	root.SetArgs([]string{"registry", "--listen", "tcp -h 127.0.0.1 -p 0", "--group", "nonsense"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "CIDR=group") {
		t.Fatalf("err = %v", err)
	}
}
