package registry_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/protocol"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
)

// TestMetrics: outpost server's /metrics counts name-service calls by
// servant, function and result code, and a function no servant serves is
// counted as "unknown", so clients cannot grow the label set.
func TestMetrics(t *testing.T) {
	srv := testenv.Shared(t)
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", port)
	replica := testenv.StartServer(t, testenv.ServerOptions{Attach: srv.Kubeconfig(),
		Args: []string{"--metrics-bind-address", metricsAddr}})
	q := queryClient(t, replica.RegistryAddress(t))
	for range 3 {
		if _, err := q.FindObjectById(t.Context(), "Metrics.Nobody.NobodyObj"); err != nil {
			t.Fatal(err)
		}
	}
	// A function QueryObj does not have, sent by hand.
	raw, err := client.New(proxyAt(t, tarsregistry.QueryObj, replica.RegistryAddress(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	resp, err := raw.Invoke(t.Context(), &protocol.RequestPacket{Version: protocol.VersionTars,
		ServantName: tarsregistry.QueryObj, FuncName: "frobnicate"})
	if err == nil && resp.Ret != protocol.ServerNoFuncErr {
		t.Fatalf("frobnicate answered %d, want %d", resp.Ret, protocol.ServerNoFuncErr)
	}
	want := []string{
		`outpost_registry_requests_total{code="0",function="findObjectById",servant="tars.tarsregistry.QueryObj"} 3`,
		`outpost_registry_request_duration_seconds_count{function="findObjectById",servant="tars.tarsregistry.QueryObj"} 3`,
		`outpost_registry_requests_total{code="-3",function="unknown",servant="tars.tarsregistry.QueryObj"} 1`,
		`outpost_registry_watchers 0`,
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "registry metrics", func() error {
		body, err := scrape(metricsAddr)
		if err != nil {
			return err
		}
		for _, line := range want {
			if !strings.Contains(body, line+"\n") {
				return fmt.Errorf("/metrics has no line %q", line)
			}
		}
		if strings.Contains(body, "Metrics.Nobody") || strings.Contains(body, "frobnicate") {
			return fmt.Errorf("a name sent by the client became a label")
		}
		return nil
	})
}

func scrape(addr string) (string, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
