package replica

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestHeartbeatJoinsAndLeaves(t *testing.T) {
	client := testenv.Shared(t).Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	h := &Heartbeat{Client: client, ID: "unit-a", LeaseDuration: 3 * time.Second, Log: slog.New(slog.DiscardHandler)}
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()

	testenv.Eventually(t, testenv.DefaultTimeout, "replica live", func() error {
		ids, err := Live(t.Context(), client)
		if err != nil {
			return err
		}
		if !slices.Contains(ids, "unit-a") {
			return fmt.Errorf("live = %v", ids)
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	ids, err := Live(t.Context(), client)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids, "unit-a") {
		t.Fatal("a stopped replica is still listed")
	}
}

func TestExpiredReplicaIsNotLive(t *testing.T) {
	client := testenv.Shared(t).Client(t)
	stale := metav1.NewMicroTime(time.Now().Add(-time.Minute))
	_, err := client.CoordinationV1().Leases(Namespace).Create(t.Context(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LeaseName("crashed"), Labels: map[string]string{LabelComponent: componentValue}},
		Spec:       coordinationv1.LeaseSpec{RenewTime: &stale, LeaseDurationSeconds: ptr.To[int32](30)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := Live(t.Context(), client)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids, "crashed") {
		t.Fatal("a replica whose lease expired is listed as live")
	}
}

func TestIDIsStableAndValid(t *testing.T) {
	dir := t.TempDir()
	id, err := LoadOrCreateID(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateID(dir)
	if err != nil || again != id {
		t.Fatalf("second load = %q, %v; want %q", again, err, id)
	}
	for _, tc := range []struct{ in, want string }{
		{"Edge_Box.local", "edge-box-local"},
		{"---", "server"},
		{"UPPER", "upper"},
	} {
		if got := sanitize(tc.in); got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
