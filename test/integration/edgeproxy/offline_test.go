package edgeproxy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

func names(items []corev1.ConfigMap) []string {
	var out []string
	for _, cm := range items {
		out = append(out, cm.Name+"@"+cm.ResourceVersion)
	}
	slices.Sort(out)
	return out
}

func createConfigMaps(t *testing.T, c kubernetes.Interface, ns string, n int, labels map[string]string) {
	t.Helper()
	for i := range n {
		_, err := c.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Labels: labels},
			Data:       map[string]string{"i": fmt.Sprint(i)},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestOfflineGetAndListFromCache: what an identity read online, in JSON or
// protobuf, it reads again from the cache when the cloud is gone, with the
// same resourceVersions; lists with different selectors are kept apart;
// what it never read is a clear 503, and so are writes.
func TestOfflineGetAndListFromCache(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	createConfigMaps(t, direct, ns, 3, map[string]string{"app": "web"})
	if _, err := direct.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "other", Labels: map[string]string{"app": "db"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e := startEdge(t, srv, edgeOptions{})
	admin := srv.RestConfig(t)
	jsonc := e.client(withJSON(admin))
	protoc := e.client(withProtobuf(admin))
	ctx := context.Background()

	all, err := jsonc.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	web, err := jsonc.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	cm0, err := protoc.CoreV1().ConfigMaps(ns).Get(ctx, "cm-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	protoAll, err := protoc.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 5 || len(web.Items) != 3 || len(protoAll.Items) != 1 {
		t.Fatalf("online: %d (4 + kube-root-ca.crt), %d web, %d db", len(all.Items), len(web.Items), len(protoAll.Items))
	}

	e.cut((*faultrelay.Relay).Refuse)

	// The lists were recorded while the client read them; give the
	// recorder a moment to finish if it has not yet.
	var offAll *corev1.ConfigMapList
	testenv.Eventually(t, 30*time.Second, "offline list", func() error {
		offAll, err = jsonc.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	if !slices.Equal(names(offAll.Items), names(all.Items)) || offAll.ResourceVersion != all.ResourceVersion {
		t.Errorf("offline list = %v @%s, online %v @%s", names(offAll.Items), offAll.ResourceVersion, names(all.Items), all.ResourceVersion)
	}
	offWeb, err := jsonc.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names(offWeb.Items), names(web.Items)) {
		t.Errorf("offline app=web list = %v, want %v (selectors must not overwrite each other)", names(offWeb.Items), names(web.Items))
	}
	// Protobuf recorded, served as protobuf and as JSON.
	for _, c := range []kubernetes.Interface{protoc, jsonc} {
		got, err := c.CoreV1().ConfigMaps(ns).Get(ctx, "cm-0", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.ResourceVersion != cm0.ResourceVersion || got.Data["i"] != "0" || got.UID != cm0.UID {
			t.Errorf("offline get = %+v", got.ObjectMeta)
		}
	}
	// An object read only as part of a list is found by name too.
	if got, err := jsonc.CoreV1().ConfigMaps(ns).Get(ctx, "cm-2", metav1.GetOptions{}); err != nil || got.Data["i"] != "2" {
		t.Errorf("offline get of a listed object: %v %v", got, err)
	}
	// And a name that the unfiltered list lacks does not exist.
	if _, err := jsonc.CoreV1().ConfigMaps(ns).Get(ctx, "nope", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("offline get of a missing object: %v", err)
	}
	offDB, err := jsonc.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
	if err != nil || len(offDB.Items) != 1 || offDB.Items[0].Name != "other" {
		t.Errorf("offline app=db list (recorded in protobuf, read as JSON): %v %v", offDB, err)
	}

	// Never read: a clear 503 with Retry-After, at once.
	res := jsonc.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces", ns, "secrets").MaxRetries(0).Do(ctx)
	var code int
	res.StatusCode(&code)
	if code != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(res.Error()), "edge cache holds no list") {
		t.Errorf("offline list of an unread resource: %d %v", code, res.Error())
	}
	// Writes fail fast.
	start := time.Now()
	res = jsonc.CoreV1().RESTClient().Post().AbsPath("/api/v1/namespaces", ns, "configmaps").
		Body([]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`)).SetHeader("Content-Type", "application/json").MaxRetries(0).Do(ctx)
	res.StatusCode(&code)
	if code != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(res.Error()), "refuses writes") {
		t.Errorf("offline write: %d %v", code, res.Error())
	}
	t.Logf("offline write refused in %s", time.Since(start))
	if hits := e.metric("outpost_edgeproxy_cache_hits_total", nil); hits < 5 {
		t.Errorf("cache hits metric = %v", hits)
	}

	e.restore()
	if _, err := jsonc.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("write after the link came back: %v", err)
	}
}

// TestLargeCompressedListsAreRecorded: the API server compresses large
// lists; they pass through compressed and are recorded inflated.
func TestLargeCompressedListsAreRecorded(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	ctx := context.Background()
	big := strings.Repeat("edge ", 2000)
	for i := range 60 {
		if _, err := direct.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("big-%02d", i)}, Data: map[string]string{"d": big},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e := startEdge(t, srv, edgeOptions{})
	tr, err := rest.TransportFor(e.config(srv.RestConfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://"+e.addr+"/api/v1/namespaces/"+ns+"/configmaps", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("a large list reached the client as %q, want gzip passed through", resp.Header.Get("Content-Encoding"))
	}
	online, err := e.client(srv.RestConfig(t)).CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.cut((*faultrelay.Relay).Refuse)
	var offline *corev1.ConfigMapList
	testenv.Eventually(t, 30*time.Second, "offline list", func() error {
		offline, err = e.client(srv.RestConfig(t)).CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	if !slices.Equal(names(offline.Items), names(online.Items)) || offline.Items[0].Data["d"] != big {
		t.Errorf("offline list of large objects: %d items", len(offline.Items))
	}
	e.restore()
}
