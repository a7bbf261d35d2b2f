package tunnel

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/internal/testenv"
)

// TestReplicaFailover: two `outpost server` replicas (the second attached to
// the first's cluster). The agent holds its tunnel to B; a user on A
// reaches the node through A, forwarded to B. B crashes; the agent
// reconnects to A, which then serves the node itself.
func TestReplicaFailover(t *testing.T) {
	args := []string{"--tunnel-allowed-ports", "0", "--tunnel-keepalive", "1s"}
	a := testenv.StartServer(t, testenv.ServerOptions{Args: args})
	b := testenv.StartServer(t, testenv.ServerOptions{Args: args, Attach: a.Kubeconfig()})
	kc := a.Kubeconfig()
	aAgents, aProxy, caHash := a.TunnelAddresses(t)
	bAgents, _, bHash := b.TunnelAddresses(t)
	if caHash != bHash {
		t.Fatalf("replicas use different CAs: %s and %s", caHash, bHash)
	}
	stdout, stderr, err := run(t, "token", "create", "--ttl", "10m", "--kubeconfig", kc)
	if err != nil {
		t.Fatalf("token create: %v: %s", err, stderr)
	}
	_, port, _ := net.SplitHostPort(testenv.EchoServer(t))
	ag := startProc(t, testenvCommand(t, "agent", "--tunnel-server", bAgents+","+aAgents,
		"--tunnel-token", strings.TrimSpace(stdout), "--tunnel-ca-hash", caHash, "--node-name", "edge-ha",
		"--data-dir", t.TempDir(), "--tunnel-allow", "127.0.0.1:*", "--tunnel-keepalive", "1s", "--tunnel-max-backoff", "1s"))

	echoVia := func(msg string) error {
		got, err := echoOnce(t, kc, aProxy, "edge-ha", atoi(port), msg)
		if err == nil && got != msg {
			err = errors.New("echoed " + got)
		}
		return err
	}
	testenv.Eventually(t, time.Minute, "echo through A, forwarded to B", func() error { return echoVia("via B") })
	if !logHas(a.Output(), `msg="tunnel stream"`, "node=edge-ha", "route=\"replica ") {
		t.Error("A's log shows no stream forwarded to a replica")
	}
	if !logHas(b.Output(), `msg="tunnel stream"`, "node=edge-ha", "via=replica") {
		t.Error("B's log shows no stream forwarded from a replica")
	}

	b.Kill()
	testenv.Eventually(t, time.Minute, "echo through A after B died", func() error { return echoVia("via A") })
	if !logHas(a.Output(), `msg="tunnel stream"`, "node=edge-ha", "route=local") {
		t.Error("A does not serve the node itself after failover")
	}
	if strings.Count(ag.Output(), "tunnel connected") < 2 {
		t.Errorf("the agent did not reconnect:\n%s", ag.Output())
	}
}
