package tunnel_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/testenv"
)

// TestProxyBearerToken: a ServiceAccount token reaches a node through the
// proxy's CONNECT exactly when RBAC grants the account nodes/proxy on that
// node, as the API server's own node proxy would decide.
func TestProxyBearerToken(t *testing.T) {
	client := testenv.Shared(t).Client(t)
	r, node := connectedNode(t, client, "bearer")
	target := testenv.EchoServer(t)
	_, port, _ := net.SplitHostPort(target)

	ctx := ctxTimeout(t, 2*time.Minute)
	ns := testenv.Namespace(t, client)
	saToken := func(name string) string {
		t.Helper()
		if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	operator, stranger := saToken("edge-operator"), saToken("stranger")

	// nodes/proxy on this one node only (cluster-scoped, so a ClusterRole).
	role := "outpost-test-node-proxy-" + node
	if _, err := client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: role},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes/proxy"},
			ResourceNames: []string{node}, Verbs: []string{"get", "create"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.RbacV1().ClusterRoles().Delete(ctxTimeout(t, time.Minute), role, metav1.DeleteOptions{})
	})
	if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "edge-operator"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.RbacV1().ClusterRoleBindings().Delete(ctxTimeout(t, time.Minute), role, metav1.DeleteOptions{})
	})

	roots := (&tls13{tunnelCAPool(t, client)}).config()
	// connect CONNECTs to hostport with the bearer token and, once
	// through, has the echo server echo a line.
	connect := func(tok, hostport string) (string, error) {
		c, err := tls.Dial("tcp", r.Proxy, roots)
		if err != nil {
			return "", err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Bearer %s\r\n\r\n", hostport, hostport, tok)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			return "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
		}
		if _, err := io.WriteString(c, "hello bearer\n"); err != nil {
			return "", err
		}
		return br.ReadString('\n')
	}

	testenv.Eventually(t, time.Minute, "the operator's token through CONNECT", func() error {
		got, err := connect(operator, net.JoinHostPort(node, port))
		if err == nil && got != "hello bearer\n" {
			err = fmt.Errorf("echoed %q", got)
		}
		return err
	})
	if _, err := connect(stranger, net.JoinHostPort(node, port)); err == nil || !strings.Contains(err.Error(), "403") ||
		!strings.Contains(err.Error(), "may not create nodes/proxy") {
		t.Errorf("token without nodes/proxy: %v", err)
	}
	if _, err := connect(operator, net.JoinHostPort("other-"+node, port)); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("operator's token for a node the role does not name: %v", err)
	}
	if _, err := connect(operator+"x", net.JoinHostPort(node, port)); err == nil || !strings.Contains(err.Error(), "407") {
		t.Errorf("tampered token: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
