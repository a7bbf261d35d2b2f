package memory

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/registry"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func inst(port int) registry.Instance {
	return registry.Instance{Object: "A.B.Obj", Active: true,
		Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "10.0.0.1", Port: port, Weight: -1}}
}

func TestTTLAndNotifications(t *testing.T) {
	s, err := New(WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	changes := 0
	cancel := s.Subscribe(func(obj string) {
		mu.Lock()
		changes++
		mu.Unlock()
	})
	ctx := context.Background()
	s.Set(inst(1))
	if err := s.Register(ctx, inst(2), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// A heartbeat that changes nothing notifies nobody.
	if err := s.Register(ctx, inst(2), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Instances("A.B.Obj")); n != 2 {
		t.Fatalf("%d instances", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.Instances("A.B.Obj")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("registration did not expire")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.Instances("A.B.Obj")[0].Endpoint.Port; got != 1 {
		t.Fatalf("the permanent instance went: %d left", got)
	}
	mu.Lock()
	if changes != 3 { // set, register, expire
		t.Errorf("%d change notifications, want 3", changes)
	}
	mu.Unlock()
	cancel()
	s.Set(inst(3))
	mu.Lock()
	if changes != 3 {
		t.Error("notified after cancel")
	}
	mu.Unlock()
	if err := s.Deregister(ctx, inst(3)); err != nil || len(s.Instances("A.B.Obj")) != 1 {
		t.Fatal("deregister", err)
	}
}

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.json")
	s, err := New(WithFile(path), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	a, b := inst(1), inst(2)
	a.SetID, a.Group, a.NodeName = "x.y.z", "gz", "n1"
	s.Set(a)
	if err := s.Register(context.Background(), b, time.Hour); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := New(WithFile(path), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got := s2.Instances("A.B.Obj")
	if len(got) != 2 {
		t.Fatalf("reloaded %d instances", len(got))
	}
	for _, g := range got {
		if g != a && g != b {
			t.Fatalf("reloaded %+v", g)
		}
	}
}

func TestGroupOf(t *testing.T) {
	s, _ := New()
	s.SetGroup(netip.MustParsePrefix("10.0.0.0/8"), "wide")
	s.SetGroup(netip.MustParsePrefix("10.1.0.0/16"), "narrow")
	for ip, want := range map[string]string{"10.1.2.3": "narrow", "10.2.0.1": "wide", "192.168.0.1": "", "bad": "", "::ffff:10.1.0.1": "narrow"} {
		if got := s.GroupOf(ip); got != want {
			t.Errorf("GroupOf(%s) = %q, want %q", ip, got, want)
		}
	}
}
