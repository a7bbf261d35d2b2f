package edgeproxy_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

func whoami(t *testing.T, c kubernetes.Interface) authnv1.UserInfo {
	t.Helper()
	r, err := c.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.UserInfo
}

// checkNodeIdentity checks that requests with a kubelet's certificate
// reach the API server as that node: the Node authorizer applies.
func checkNodeIdentity(t *testing.T, c kubernetes.Interface, node string) {
	t.Helper()
	ui := whoami(t, c)
	if ui.Username != "system:node:"+node || !slices.Contains(ui.Groups, "system:nodes") {
		t.Errorf("through the proxy the kubelet is %q %v", ui.Username, ui.Groups)
	}
	ctx := context.Background()
	if _, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node}); err != nil {
		t.Errorf("the node cannot list its own pods: %v", err)
	}
	if _, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the node lists every pod (the Node authorizer did not apply): %v", err)
	}
	if _, err := c.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the node lists secrets: %v", err)
	}
}

// TestIdentityReachesTheAPIServer: a kubelet's client certificate reaches
// the API server as that node, with the front-proxy credential or by the
// proxy presenting the kubelet's own certificate; a certificate the proxy
// cannot speak for is refused.
func TestIdentityReachesTheAPIServer(t *testing.T) {
	srv := testenv.Shared(t)
	kubelet := identity(t, srv, "system:node:idnode-0", "system:nodes")

	t.Run("front-proxy", func(t *testing.T) {
		e := startEdge(t, srv, edgeOptions{})
		checkNodeIdentity(t, e.client(kubelet), "idnode-0")
	})
	t.Run("own-certificate", func(t *testing.T) {
		e := startEdge(t, srv, edgeOptions{tweak: func(c *edgeproxy.Config) {
			c.FrontProxyCertFile, c.FrontProxyKeyFile = "", ""
			c.ClientCredentials = [][2]string{{kubelet.CertFile, kubelet.KeyFile}}
		}})
		checkNodeIdentity(t, e.client(kubelet), "idnode-0")
		other := identity(t, srv, "system:node:idnode-1", "system:nodes")
		_, err := e.client(other).CoreV1().Pods("").List(context.Background(), metav1.ListOptions{FieldSelector: "spec.nodeName=idnode-1"})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "cannot speak for") {
			t.Errorf("a certificate the proxy holds no key for: %v", err)
		}
	})
	t.Run("bearer-token", func(t *testing.T) {
		e := startEdge(t, srv, edgeOptions{})
		direct := srv.Client(t)
		ns := testenv.Namespace(t, direct)
		tok := serviceAccountToken(t, direct, ns, "default")
		ui := whoami(t, e.client(tokenConfig(srv.RestConfig(t), tok)))
		if ui.Username != "system:serviceaccount:"+ns+":default" {
			t.Errorf("through the proxy the token is %q", ui.Username)
		}
	})
}

func serviceAccountToken(t *testing.T, c kubernetes.Interface, ns, sa string) string {
	t.Helper()
	if sa != "default" {
		if _, err := c.CoreV1().ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := c.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), sa, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// tokenConfig is base with its client certificate replaced by a token.
func tokenConfig(base *rest.Config, tok string) *rest.Config {
	c := rest.CopyConfig(base)
	c.TLSClientConfig.CertData, c.TLSClientConfig.KeyData = nil, nil
	c.TLSClientConfig.CertFile, c.TLSClientConfig.KeyFile = "", ""
	c.BearerToken = tok
	return c
}

// TestCacheIsPartitionedByIdentity: offline, what was cached for the
// kubelet is not served to a pod's token, even one allowed to read the
// same thing online, nor the reverse; a token never verified online gets
// nothing.
func TestCacheIsPartitionedByIdentity(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	ctx := context.Background()
	createConfigMaps(t, direct, ns, 2, nil)
	// The pod's service account may read pods and configmaps, as much as
	// the kubelet or more.
	_, err := direct.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "configmaps", "nodes"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = direct.RbacV1().ClusterRoles().Delete(ctx, ns+"-reader", metav1.DeleteOptions{}) })
	_, err = direct.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: ns + "-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: "app"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = direct.RbacV1().ClusterRoleBindings().Delete(ctx, ns+"-reader", metav1.DeleteOptions{}) })
	tok := serviceAccountToken(t, direct, ns, "app")
	unseen := serviceAccountToken(t, direct, ns, "default")

	e := startEdge(t, srv, edgeOptions{})
	kubelet := e.client(identity(t, srv, "system:node:partnode", "system:nodes"))
	pod := e.client(tokenConfig(srv.RestConfig(t), tok))
	nodePods := metav1.ListOptions{FieldSelector: "spec.nodeName=partnode"}
	testenv.Eventually(t, time.Minute, "RBAC for the pod's service account", func() error {
		_, err := pod.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	if _, err := kubelet.CoreV1().Pods("").List(ctx, nodePods); err != nil {
		t.Fatal(err)
	}
	if _, err := pod.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}

	e.cut((*faultrelay.Relay).Refuse)
	testenv.Eventually(t, 30*time.Second, "the kubelet's list from its cache", func() error {
		_, err := kubelet.CoreV1().Pods("").List(ctx, nodePods)
		return err
	})
	testenv.Eventually(t, 30*time.Second, "the pod's list from its cache", func() error {
		_, err := pod.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	expectMiss := func(what string, res rest.Result) {
		t.Helper()
		var code int
		res.StatusCode(&code)
		if code != http.StatusServiceUnavailable {
			t.Errorf("%s: got %d %v, want 503 (nothing cached for this identity)", what, code, res.Error())
		}
	}
	expectMiss("the pod's token reading the kubelet's pods",
		pod.CoreV1().RESTClient().Get().AbsPath("/api/v1/pods").Param("fieldSelector", "spec.nodeName=partnode").MaxRetries(0).Do(ctx))
	expectMiss("the kubelet reading the pod's configmaps",
		kubelet.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces", ns, "configmaps").MaxRetries(0).Do(ctx))
	unseenClient := e.client(tokenConfig(srv.RestConfig(t), unseen))
	res := unseenClient.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces", ns, "configmaps").MaxRetries(0).Do(ctx)
	expectMiss("a token never verified online", res)
	if err := res.Error(); err == nil || !strings.Contains(err.Error(), "never saw this credential verified") {
		t.Errorf("a token never verified online: %v", err)
	}
	e.restore()
}
