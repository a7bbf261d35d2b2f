// Package attach_test checks attach mode: `outpost server --kubeconfig`
// runs Outpost's cloud components against a cluster it did not start.
package attach_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/replica"
	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestAttachRunsComponentsAgainstExistingCluster(t *testing.T) {
	cluster := testenv.Shared(t)
	attached := testenv.StartServer(t, testenv.ServerOptions{Attach: cluster.Kubeconfig()})
	client := cluster.Client(t)

	id, err := os.ReadFile(filepath.Join(attached.DataDir, "server-id"))
	if err != nil {
		t.Fatal(err)
	}
	attachedID := strings.TrimSpace(string(id))
	testenv.Eventually(t, testenv.DefaultTimeout, "both replicas live in the cluster", func() error {
		ids, err := replica.Live(t.Context(), client)
		if err != nil {
			return err
		}
		if !slices.Contains(ids, attachedID) || len(ids) != 2 {
			return fmt.Errorf("live replicas %v, want the embedded one and %s", ids, attachedID)
		}
		return nil
	})

	// The attached server started no control plane of its own.
	for _, path := range []string{"pki", "db", "admin.kubeconfig"} {
		if _, err := os.Stat(filepath.Join(attached.DataDir, path)); err == nil {
			t.Errorf("attach mode created %s", path)
		}
	}
	if !strings.Contains(attached.Output(), "attached to") {
		t.Errorf("attach mode did not say where it attached:\n%s", attached.Output())
	}

	// A clean stop withdraws the replica at once.
	start := time.Now()
	if err := attached.Stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, attached.Output())
	}
	t.Logf("attached server stopped in %s", time.Since(start).Round(time.Millisecond))
	_, err = client.CoordinationV1().Leases(replica.Namespace).Get(t.Context(), replica.LeaseName(attachedID), metav1.GetOptions{})
	if err == nil {
		t.Error("the replica lease outlived a clean stop")
	}
}
