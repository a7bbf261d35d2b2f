package edgeproxy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// TestProxyReconcilesIdleViews: a client lists once and goes away; the
// cloud changes during a cut; when the cloud is back the proxy re-lists
// that collection itself, so the next cut serves the cloud's new state,
// deletions included.
func TestProxyReconcilesIdleViews(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	createConfigMaps(t, direct, ns, 3, nil)
	e := startEdge(t, srv, edgeOptions{tweak: func(c *edgeproxy.Config) { c.ReconcileDelay = 500 * time.Millisecond }})
	ctx := context.Background()
	for _, cfg := range []bool{false, true} {
		c := e.client(withJSON(srv.RestConfig(t)))
		if cfg {
			c = e.client(withProtobuf(srv.RestConfig(t)))
		}
		opts := metav1.ListOptions{}
		if cfg {
			opts.FieldSelector = "metadata.name!=cm-2"
		}
		if _, err := c.CoreV1().ConfigMaps(ns).List(ctx, opts); err != nil {
			t.Fatal(err)
		}
	}

	e.cut((*faultrelay.Relay).Blackhole)
	cms := direct.CoreV1().ConfigMaps(ns)
	if err := cms.Delete(ctx, "cm-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	cm, err := cms.Get(ctx, "cm-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data = map[string]string{"changed": "during the cut"}
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm-new"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := serverState(t, direct, ns)
	e.restore()
	testenv.Eventually(t, time.Minute, "the proxy re-lists the idle views", func() error {
		if n := e.metric("outpost_edgeproxy_reconciled_views_total", map[string]string{"result": "relisted"}); n < 2 {
			return fmt.Errorf("%v views re-listed", n)
		}
		return nil
	})

	e.cut((*faultrelay.Relay).Refuse)
	got, err := e.client(withJSON(srv.RestConfig(t))).CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names(got.Items), want) {
		t.Errorf("offline after reconciliation: %v, want %v", names(got.Items), want)
	}
	filtered, err := e.client(withProtobuf(srv.RestConfig(t))).CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name!=cm-2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(filtered.Items) != len(want)-1 {
		t.Errorf("offline filtered list after reconciliation: %v", names(filtered.Items))
	}
	e.restore()
}
