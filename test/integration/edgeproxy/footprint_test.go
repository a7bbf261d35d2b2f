package edgeproxy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// once sends a request without client-go's retries (it retries a 503 with
// Retry-After ten times).
func once(r *rest.Request) error {
	return r.MaxRetries(0).Do(context.Background()).Error()
}

// TestCacheCapAndTTL: the cache stays under its cap by dropping the
// least recently used collections, and forgets what was not used for the
// TTL; what was dropped is a clear miss offline, what was kept is served.
func TestCacheCapAndTTL(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	ctx := context.Background()
	big := strings.Repeat("x", 120<<10)
	for i := range 4 {
		if _, err := direct.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("big-%d", i), Labels: map[string]string{"app": "x"}},
			Data:       map[string]string{"d": big},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Four views of ~480 KiB each (different selectors, same objects)
	// against a cap of 1.5 MiB.
	const capBytes = 3 << 19
	selectors := []string{"app=x", "app!=y", "app", "app in (x,z)"}
	e := startEdge(t, srv, edgeOptions{tweak: func(c *edgeproxy.Config) { c.CacheMaxBytes = capBytes }})
	c := e.client(withJSON(srv.RestConfig(t)))
	for _, sel := range selectors {
		if _, err := c.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: sel}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // distinct last-use times
	}
	st := e.proxy.Store()
	testenv.Eventually(t, 30*time.Second, "four views recorded", func() error {
		if s := st.Stats(); s.Views < 4 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
	before := st.Stats()
	st.Collect()
	after := st.Stats()
	t.Logf("cache before collection %+v, after %+v", before, after)
	if before.Bytes <= capBytes {
		t.Fatalf("the test meant to overfill the cache: %d bytes for a cap of %d", before.Bytes, capBytes)
	}
	if after.Bytes > capBytes || after.Evictions == 0 {
		t.Errorf("after collection: %+v, cap %d", after, capBytes)
	}
	if got := e.metric("outpost_edgeproxy_store_evictions", nil); got != float64(after.Evictions) {
		t.Errorf("store_evictions metric %v, store says %d", got, after.Evictions)
	}
	if got := e.metric("outpost_edgeproxy_store_bytes", nil); got != float64(after.Bytes) {
		t.Errorf("store_bytes metric %v, store says %d", got, after.Bytes)
	}

	e.cut((*faultrelay.Relay).Refuse)
	list := func(sel string) error {
		return once(c.CoreV1().RESTClient().Get().Namespace(ns).Resource("configmaps").Param("labelSelector", sel))
	}
	if err := list(selectors[0]); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("offline list of the least recently used view, evicted: %v, want 503", err)
	}
	if err := list(selectors[3]); err != nil {
		t.Errorf("offline list of the newest view: %v", err)
	}
	e.restore()

	// TTL: what was not used for that long goes at the next collection.
	e2 := startEdge(t, srv, edgeOptions{tweak: func(c *edgeproxy.Config) { c.CacheTTL = time.Second }})
	c2 := e2.client(withJSON(srv.RestConfig(t)))
	if _, err := c2.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.CoreV1().ConfigMaps(ns).Get(ctx, "big-0", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "view recorded", func() error {
		if s := e2.proxy.Store().Stats(); s.Views < 1 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
	time.Sleep(1500 * time.Millisecond)
	e2.proxy.Store().Collect()
	if s := e2.proxy.Store().Stats(); s.Views != 0 {
		t.Errorf("views kept past the TTL: %+v", s)
	}
	e2.cut((*faultrelay.Relay).Refuse)
	if err := once(c2.CoreV1().RESTClient().Get().Namespace(ns).Resource("configmaps").Name("big-0")); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("offline get of an object past the TTL: %v, want 503", err)
	}
	e2.restore()
}

// TestHealthAndMetrics: /healthz, /readyz and /metrics say what an
// operator needs: the cloud's state, cache hits and misses by verb, the
// store's size, request latencies by who answered.
func TestHealthAndMetrics(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	ctx := context.Background()
	createConfigMaps(t, direct, ns, 2, nil)
	e := startEdge(t, srv, edgeOptions{})
	admin := httptest.NewServer(e.proxy.AdminHandler(e.reg))
	defer admin.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	expect := func(what, body string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			if !strings.Contains(body, l) {
				t.Errorf("%s lacks %q", what, l)
			}
		}
	}
	c := e.client(withJSON(srv.RestConfig(t)))
	if _, err := c.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	_, ready := get("/readyz")
	expect("/readyz online", ready, "cloud: online")
	_, m := get("/metrics")
	expect("/metrics online", m,
		"outpost_edgeproxy_upstream_up 1",
		`outpost_edgeproxy_requests_total{code="200",served_by="cloud",verb="list"} 1`,
		`outpost_edgeproxy_request_duration_seconds_count{served_by="cloud",verb="list"} 1`,
		`outpost_edgeproxy_upstream_transitions_total{state="online"} 1`,
	)

	e.cut((*faultrelay.Relay).Refuse)
	testenv.Eventually(t, 30*time.Second, "offline list", func() error {
		_, err := c.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	if err := once(c.CoreV1().RESTClient().Get().Namespace(ns).Resource("secrets")); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("offline list never made online: %v", err)
	}
	code, ready := get("/readyz")
	if code != http.StatusOK {
		t.Errorf("/readyz offline: %d (the proxy still serves, from its cache)", code)
	}
	expect("/readyz offline", ready, "cloud: offline", "cache: ")
	_, m = get("/metrics")
	expect("/metrics offline", m,
		"outpost_edgeproxy_upstream_up 0",
		`outpost_edgeproxy_upstream_transitions_total{state="offline"} 1`,
		`outpost_edgeproxy_cache_hits_total{verb="list"}`,
		`outpost_edgeproxy_cache_misses_total{verb="list"}`,
		`outpost_edgeproxy_request_duration_seconds_bucket{served_by="cache",verb="list",le="0.1"}`,
		"outpost_edgeproxy_store_bytes ",
		"outpost_edgeproxy_store_file_bytes ",
		"outpost_edgeproxy_store_views ",
	)
	if hits := e.metric("outpost_edgeproxy_cache_hits_total", map[string]string{"verb": "list"}); hits < 1 {
		t.Errorf("cache hits for lists: %v", hits)
	}
	if misses := e.metric("outpost_edgeproxy_cache_misses_total", map[string]string{"verb": "list"}); misses < 1 {
		t.Errorf("cache misses for lists: %v", misses)
	}
	if views := e.metric("outpost_edgeproxy_store_views", nil); views < 1 {
		t.Errorf("store_views: %v", views)
	}
	if bytes := e.metric("outpost_edgeproxy_store_bytes", nil); bytes <= 0 {
		t.Errorf("store_bytes: %v", bytes)
	}
	e.restore()
}
