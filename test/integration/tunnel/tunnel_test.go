// Package tunnel tests the cloud–edge tunnel end to end: a real `outpost
// server`, `outpost agent` in a Linux network namespace that can reach the
// cloud but whose services the cloud cannot reach, `outpost ssh` and
// `outpost token` as users run them, and a real SSH server on the edge.
package tunnel

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/internal/tunnel/agent"
	"github.com/outpost-edge/outpost/internal/tunnel/token"
)

func TestEdgeBehindNamespace(t *testing.T) {
	e := testenv.NewEdgeNS(t, "otun", 231)
	srv := testenv.StartServer(t, testenv.ServerOptions{Args: []string{
		"--tunnel-listen", "0.0.0.0:0", "--tunnel-advertise-host", e.CloudIP,
		"--tunnel-allowed-ports", "22,7777,9999", "--tunnel-keepalive", "1s",
	}})
	kc := srv.Kubeconfig()
	client := srv.Client(t)
	agents, proxyAddr, caHash := srv.TunnelAddresses(t)
	_, port, _ := net.SplitHostPort(agents)
	serverAddr := net.JoinHostPort(e.CloudIP, port)

	stdout, stderr, err := run(t, "token", "create", "--ttl", "1h", "--description", "edge-1", "--kubeconfig", kc)
	if err != nil {
		t.Fatalf("token create: %v: %s", err, stderr)
	}
	tok := strings.TrimSpace(stdout)
	if !strings.Contains(stderr, "--tunnel-ca-hash "+caHash) {
		t.Errorf("token create prints no join command with the CA hash %s:\n%s", caHash, stderr)
	}
	id, _, _ := strings.Cut(tok, ".")
	if out, _, _ := run(t, "token", "list", "--kubeconfig", kc); !strings.Contains(out, id) || !strings.Contains(out, "edge-1") {
		t.Errorf("token list:\n%s", out)
	}

	t.Run("bad tokens are refused with clear errors", func(t *testing.T) {
		ctx := t.Context()
		expiring, _, err := token.Create(ctx, client, time.Second, "expires")
		if err != nil {
			t.Fatal(err)
		}
		revoked, _, err := token.Create(ctx, client, time.Hour, "revoked")
		if err != nil {
			t.Fatal(err)
		}
		revokedID, _, _ := strings.Cut(revoked, ".")
		if out, stderr, err := run(t, "token", "revoke", revokedID, "--kubeconfig", kc); err != nil {
			t.Fatalf("token revoke: %v: %s%s", err, out, stderr)
		}
		time.Sleep(1500 * time.Millisecond) // let `expiring` expire
		for _, c := range []struct{ name, token, hash, want string }{
			{"malformed", "not-a-token", caHash, "malformed bootstrap token"},
			{"unknown", "abcdef.0123456789abcdef", caHash, "never created, or revoked"},
			{"wrong secret", id + ".0123456789abcdef", caHash, "does not match"},
			{"expired", expiring, caHash, "expired"},
			{"revoked", revoked, caHash, "never created, or revoked"},
			{"wrong CA pin", tok, "sha256:" + strings.Repeat("0", 64), "no CA with public key hash"},
		} {
			a, err := agent.New(agent.Config{Servers: []string{serverAddr}, Token: c.token, CAHash: c.hash,
				Node: "bad-" + strings.ReplaceAll(c.name, " ", "-"), DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			err = a.Join(ctx)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: join error %v, want one containing %q", c.name, err, c.want)
			}
		}
	})

	// The edge's services, on the edge namespace's loopback.
	startHelper(t, e, "echo", "127.0.0.1:7777")
	startHelper(t, e, "echo", "127.0.0.1:9999")
	startHelper(t, e, "ssh", "127.0.0.1:22")
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(e.EdgeIP, "7777"), 2*time.Second); err == nil {
		c.Close()
		t.Fatal("the cloud reaches the edge's echo server directly; the test would prove nothing")
	}

	dataDir := t.TempDir()
	ag := startProc(t, e.Command(outpost(t), "agent", "--tunnel-server", serverAddr, "--tunnel-token", tok,
		"--tunnel-ca-hash", caHash, "--node-name", "edge-1", "--data-dir", dataDir,
		"--tunnel-allow", "22,7777", "--tunnel-keepalive", "1s", "--tunnel-max-backoff", "2s"))
	testenv.Eventually(t, time.Minute, "echo through the tunnel", func() error {
		got, err := echoOnce(t, kc, proxyAddr, "edge-1", 7777, "hello edge")
		if err != nil {
			return err
		}
		if got != "hello edge" {
			return errors.New("echoed " + got)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(dataDir, "tunnel", "node.crt")); err != nil {
		t.Errorf("node certificate not stored: %v", err)
	}

	t.Run("no takeover of a joined node's name", func(t *testing.T) {
		join := func(tok, node string) error {
			a, err := agent.New(agent.Config{Servers: []string{serverAddr}, Token: tok, CAHash: caHash,
				Node: node, DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			return a.Join(t.Context())
		}
		other, stderr, err := run(t, "token", "create", "--ttl", "1h", "--kubeconfig", kc)
		if err != nil {
			t.Fatalf("token create: %v: %s", err, stderr)
		}
		if err := join(strings.TrimSpace(other), "edge-1"); err == nil || !strings.Contains(err.Error(), "already holds a valid tunnel certificate") {
			t.Errorf("another token joining as edge-1: %v", err)
		}
		bound, stderr, err := run(t, "token", "create", "--ttl", "1h", "--node", "edge-9", "--kubeconfig", kc)
		if err != nil {
			t.Fatalf("token create --node: %v: %s", err, stderr)
		}
		boundID, _, _ := strings.Cut(strings.TrimSpace(bound), ".")
		if out, _, _ := run(t, "token", "list", "--kubeconfig", kc); !strings.Contains(out, boundID) || !strings.Contains(out, "edge-9") {
			t.Errorf("token list does not show the token bound to edge-9:\n%s", out)
		}
		if err := join(strings.TrimSpace(bound), "edge-1"); err == nil || !strings.Contains(err.Error(), "bound to node edge-9") {
			t.Errorf("token bound to edge-9 joining as edge-1: %v", err)
		}
	})

	t.Run("real ssh through outpost ssh --stdio", func(t *testing.T) {
		out, err := sshRun(t, kc, proxyAddr, "edge-1", "uptime")
		if err != nil || !strings.Contains(out, `ran "uptime"`) {
			t.Fatalf("ssh: %q, %v", out, err)
		}
	})

	t.Run("policy", func(t *testing.T) {
		if _, err := echoOnce(t, kc, proxyAddr, "edge-1", 8888, "x"); err == nil || !strings.Contains(err.Error(), "not allowed by the server") {
			t.Errorf("port the server does not allow: %v", err)
		}
		if _, err := echoOnce(t, kc, proxyAddr, "edge-1", 9999, "x"); err == nil || !strings.Contains(err.Error(), "allowlist") {
			t.Errorf("port the agent does not allow: %v", err)
		}
		if _, err := echoOnce(t, kc, proxyAddr, "no-such-node", 7777, "x"); err == nil || !strings.Contains(err.Error(), "no tunnel") {
			t.Errorf("unknown node: %v", err)
		}
		// A user without nodes/proxy: a service account's token.
		ns := testenv.Namespace(t, client)
		if _, err := client.CoreV1().ServiceAccounts(ns).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := client.CoreV1().ServiceAccounts(ns).CreateToken(t.Context(), "nobody", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.LoadFromFile(kc)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range cfg.AuthInfos {
			u.ClientCertificateData, u.ClientKeyData, u.ClientCertificate, u.ClientKey = nil, nil, "", ""
			u.Token = tr.Status.Token
		}
		weak := filepath.Join(t.TempDir(), "nobody.kubeconfig")
		if err := clientcmd.WriteToFile(*cfg, weak); err != nil {
			t.Fatal(err)
		}
		// The CA is public (kube-public), so the user gets as far as the proxy.
		_, err = echoOnce(t, weak, proxyAddr, "edge-1", 7777, "x")
		if err == nil || !strings.Contains(err.Error(), "may not create nodes/proxy on node edge-1") {
			t.Errorf("user without nodes/proxy: %v", err)
		}
	})

	t.Run("every stream is audited", func(t *testing.T) {
		log := srv.Output()
		for _, want := range [][]string{
			{`msg="tunnel stream"`, "user=outpost-admin", "node=edge-1", "addr=127.0.0.1:7777", "via=connect"},
			{`msg="tunnel stream refused"`, "user=outpost-admin", "node=edge-1", "addr=127.0.0.1:9999", "allowlist"},
			{`msg="tunnel stream refused"`, "user=system:serviceaccount:", "node=edge-1", "nodes/proxy"},
		} {
			if !logHas(log, want...) {
				t.Errorf("server log has no line with all of %q", want)

			}
		}
	})

	t.Run("link dropped and restored", func(t *testing.T) {
		before := strings.Count(ag.Output(), "tunnel connected")
		e.SetLink(t, false)
		t.Cleanup(func() { e.SetLink(t, true) })
		testenv.Eventually(t, time.Minute, "the server to see the agent gone", func() error {
			if !logHas(srv.Output(), `msg="tunnel node disconnected"`, "node=edge-1") {
				return errors.New("still connected")
			}
			return nil
		})
		if _, err := echoOnce(t, kc, proxyAddr, "edge-1", 7777, "x"); err == nil {
			t.Error("echo worked with the link down")
		}
		e.SetLink(t, true)
		testenv.Eventually(t, time.Minute, "echo after the link is back", func() error {
			got, err := echoOnce(t, kc, proxyAddr, "edge-1", 7777, "again")
			if err == nil && got != "again" {
				err = errors.New("echoed " + got)
			}
			return err
		})
		if after := strings.Count(ag.Output(), "tunnel connected"); after <= before {
			t.Errorf("agent connected %d times before the cut and %d after: it did not reconnect", before, after)
		}
	})

	t.Run("revoking the token revokes the node", func(t *testing.T) {
		out, stderr, err := run(t, "token", "revoke", id, "--kubeconfig", kc)
		if err != nil || !strings.Contains(out, "node certificates revoked: edge-1") {
			t.Fatalf("token revoke: %v: %s%s", err, out, stderr)
		}
		testenv.Eventually(t, time.Minute, "the node to be cut off", func() error {
			if _, err := echoOnce(t, kc, proxyAddr, "edge-1", 7777, "x"); err == nil {
				return errors.New("still reachable")
			}
			return nil
		})
		testenv.Eventually(t, time.Minute, "the agent to report why", func() error {
			if !strings.Contains(ag.Output(), "join refused") {
				return errors.New("no 'join refused' in the agent's log")
			}
			return nil
		})
		if !logHas(srv.Output(), `msg="tunnel connection refused"`, "node=edge-1", "revoked") {
			t.Error("the server did not log refusing the revoked certificate")
		}
	})
}

// logHas reports whether one line of log contains all of parts.
func logHas(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
