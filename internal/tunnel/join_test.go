package tunnel_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/internal/tunnel"
	"github.com/outpost-edge/outpost/internal/tunnel/agent"
	"github.com/outpost-edge/outpost/internal/tunnel/token"
)

// TestJoinTakeover: a bootstrap token is a credential to become a new node,
// not any node. A join under a name that holds a valid certificate is
// refused unless the token is bound to that name (re-provisioning), and a
// bound token joins no other name.
func TestJoinTakeover(t *testing.T) {
	client := testenv.Shared(t).Client(t)
	id := suffix()
	r := startReplica(t, client, "test-r-"+id)
	node := "edge-take-" + id
	ctx := ctxTimeout(t, 2*time.Minute)
	newToken := func(bound string) string {
		t.Helper()
		tok, _, err := token.CreateForNode(ctx, client, time.Hour, "takeover", bound)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	join := func(tok, name string) error {
		t.Helper()
		a, err := agent.New(agent.Config{Servers: []string{r.Agents}, Token: tok, CAHash: tunnelCAHash(t, client),
			Node: name, DataDir: t.TempDir()}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		return a.Join(ctx)
	}
	serial := func() string {
		t.Helper()
		cm, err := client.CoreV1().ConfigMaps(tunnel.SystemNamespace).Get(ctx, "outpost-tunnel-cert-"+node, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data["serial"]
	}

	if err := join(newToken(""), node); err != nil {
		t.Fatal(err)
	}
	first := serial()

	unbound := newToken("")
	err := join(unbound, node)
	for _, want := range []string{"already holds a valid tunnel certificate", "kubectl delete node " + node, "outpost token create --node " + node} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("takeover with an unbound token: error %v, want one containing %q", err, want)
		}
	}
	if got := serial(); got != first {
		t.Fatalf("refused join replaced the certificate record: serial %s -> %s", first, got)
	}
	if err := join(newToken("some-other-node"), node); err == nil || !strings.Contains(err.Error(), "is bound to node some-other-node") {
		t.Errorf("token bound to another node: error %v", err)
	}
	if err := join(unbound, "fresh-"+id); err != nil {
		t.Errorf("unbound token joining an unused name: %v", err)
	}

	bound := newToken(node)
	if err := join(bound, node); err != nil {
		t.Fatalf("re-join with a token bound to the node: %v", err)
	}
	if serial() == first {
		t.Error("re-join with a bound token kept the old certificate on record")
	}

	// Two joins racing for a free name: exactly one wins, whatever the
	// interleaving (the record is created or updated only as last seen).
	race := "race-" + id
	errs := make(chan error, 2)
	for range 2 {
		tok := newToken("")
		go func() { errs <- join(tok, race) }()
	}
	var won int
	for range 2 {
		if err := <-errs; err == nil {
			won++
		} else if !strings.Contains(err.Error(), "already holds") && !strings.Contains(err.Error(), "joined by another request") {
			t.Errorf("losing racer: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of 2 racing joins for one name succeeded", won)
	}

	// Revoking the line frees the name for any token again.
	revokeLine(t, client, bound)
	if err := join(unbound, node); err != nil {
		t.Errorf("unbound token after the node's certificate was revoked: %v", err)
	}
}

func revokeLine(t *testing.T, client kubernetes.Interface, tok string) {
	t.Helper()
	id, _, _ := strings.Cut(tok, ".")
	if err := token.Revoke(ctxTimeout(t, time.Minute), client, id); err != nil {
		t.Fatal(err)
	}
	if _, err := tunnel.RevokeToken(ctxTimeout(t, time.Minute), client, id); err != nil {
		t.Fatal(err)
	}
}
