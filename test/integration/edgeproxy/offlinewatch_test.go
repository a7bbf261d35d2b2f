package edgeproxy_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// nextEvent waits for a watch event.
func nextEvent(t *testing.T, w watch.Interface, what string) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatalf("%s: the watch ended", what)
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no event", what)
	}
	return watch.Event{}
}

func eventString(ev watch.Event) string {
	cm, ok := ev.Object.(*corev1.ConfigMap)
	if !ok {
		return fmt.Sprintf("%s %T", ev.Type, ev.Object)
	}
	return fmt.Sprintf("%s %s@%s", ev.Type, cm.Name, cm.ResourceVersion)
}

// TestOfflineWatchReplaysThenBookmarks: a watch opened while the cloud is
// unreachable is a real watch, in JSON and in protobuf: it replays exactly
// the changes the cache saw after the resourceVersion asked (not the ones
// before, not the whole state), then stays open with bookmarks at the
// cache's resourceVersion, and ends when the cloud is back so that the
// client resumes it there.
func TestOfflineWatchReplaysThenBookmarks(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	createConfigMaps(t, direct, ns, 2, nil)
	e := startEdge(t, srv, edgeOptions{})
	admin := srv.RestConfig(t)
	ctx := context.Background()
	clients := map[string]kubernetes.Interface{"json": e.client(withJSON(admin)), "protobuf": e.client(withProtobuf(admin))}

	// Online: each client lists and watches through the proxy, which
	// records the list and the changes that follow.
	watches := map[string]watch.Interface{}
	for name, c := range clients {
		l, err := c.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w, err := c.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: l.ResourceVersion})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		watches[name] = w
	}
	cms := direct.CoreV1().ConfigMaps(ns)
	created, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "new"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm0, err := cms.Get(ctx, "cm-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm0.Data = map[string]string{"changed": "yes"}
	updated, err := cms.Update(ctx, cm0, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "cm-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// A client sees an event only once the cache holds it.
	var deletedRV string
	for name, w := range watches {
		var got []string
		for range 3 {
			got = append(got, eventString(nextEvent(t, w, name+" online watch")))
		}
		deletedRV = got[2][strings.LastIndex(got[2], "@")+1:]
		want := []string{"ADDED new@" + created.ResourceVersion, "MODIFIED cm-0@" + updated.ResourceVersion, "DELETED cm-1@" + deletedRV}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s online watch: %v, want %v", name, got, want)
		}
		w.Stop()
	}

	e.cut((*faultrelay.Relay).Refuse)
	for name, c := range clients {
		w, err := c.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: created.ResourceVersion, AllowWatchBookmarks: true})
		if err != nil {
			t.Fatalf("%s offline watch: %v", name, err)
		}
		defer w.Stop()
		// The changes after the creation, in order; not the creation.
		got := []string{eventString(nextEvent(t, w, name+" replay")), eventString(nextEvent(t, w, name+" replay"))}
		want := []string{"MODIFIED cm-0@" + updated.ResourceVersion, "DELETED cm-1@" + deletedRV}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s offline watch from %s replayed %v, want %v", name, created.ResourceVersion, got, want)
		}
		// Then bookmarks, more than one: the watch stays open.
		for i := range 2 {
			ev := nextEvent(t, w, name+" bookmark")
			if ev.Type != watch.Bookmark {
				t.Fatalf("%s: after the replay got %s, want a bookmark", name, eventString(ev))
			}
			rv, _ := strconv.ParseUint(ev.Object.(*corev1.ConfigMap).ResourceVersion, 10, 64)
			last, _ := strconv.ParseUint(deletedRV, 10, 64)
			if rv < last {
				t.Errorf("%s bookmark %d at %d, before the last change %d", name, i, rv, last)
			}
		}
		watches[name] = w
	}
	// A watch from the cache's latest resourceVersion has nothing to
	// replay: it opens (a 200 with a stream, never an empty body) and
	// sends bookmarks.
	tr, err := rest.TransportFor(e.config(admin))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("https://%s/api/v1/namespaces/%s/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=%s", e.addr, ns, deletedRV), nil)
	req.Header.Set("Accept", "application/json")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := readLine(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get(edgeproxy.CacheHeader) != "hit" || !strings.Contains(line, `"type":"BOOKMARK"`) {
		t.Errorf("offline watch from the latest resourceVersion: %s %q %v", resp.Status, line, err)
	}

	// The cloud is back: the cached watches end, and clients resume at
	// the cloud from the last resourceVersion they hold.
	e.restore()
	for name, w := range watches {
		deadline := time.After(30 * time.Second)
	drain:
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					break drain
				}
				if ev.Type != watch.Bookmark {
					t.Errorf("%s: %s after the replay", name, eventString(ev))
				}
			case <-deadline:
				t.Errorf("%s: the watch served from the cache did not end when the cloud came back", name)
				break drain
			}
		}
	}
}

func readLine(r io.Reader) (string, error) {
	var b []byte
	buf := make([]byte, 1)
	for len(b) < 4096 {
		if _, err := r.Read(buf); err != nil {
			return string(b), err
		}
		if buf[0] == '\n' {
			break
		}
		b = append(b, buf[0])
	}
	return string(b), nil
}

// TestOfflineWritesFailFast: offline, writes get 503 with Retry-After at
// once, even on a blackholed link where a write sent to the cloud would
// hang; a TokenRequest gets the last real token for the same request and
// nothing for any other (a token is never made up).
func TestOfflineWritesFailFast(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	ctx := context.Background()
	const node = "writesnode"
	t.Cleanup(func() { _ = direct.CoreV1().Nodes().Delete(ctx, node, metav1.DeleteOptions{}) })
	if _, err := direct.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := createPodOn(t, direct, ns, node, "p")
	createConfigMaps(t, direct, ns, 1, nil)
	e := startEdge(t, srv, edgeOptions{})
	kubelet := e.client(withProtobuf(identity(t, srv, "system:node:"+node, "system:nodes")))
	admin := e.config(withJSON(srv.RestConfig(t)))
	// TokenRequests without client-go's retries on 503 + Retry-After.
	tokenAs := func(c kubernetes.Interface, seconds int64) (*authnv1.TokenRequest, error) {
		out := &authnv1.TokenRequest{}
		err := c.CoreV1().RESTClient().Post().Namespace(ns).Resource("serviceaccounts").Name("default").SubResource("token").
			Body(&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{
				ExpirationSeconds: ptr.To(seconds),
				BoundObjectRef:    &authnv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
			}}).MaxRetries(0).Do(ctx).Into(out)
		return out, err
	}
	tokenFor := func(seconds int64) (*authnv1.TokenRequest, error) { return tokenAs(kubelet, seconds) }
	online, err := tokenFor(3600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client(admin).CoreV1().ConfigMaps(ns).Get(ctx, "cm-0", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}

	e.cut((*faultrelay.Relay).Blackhole)
	tr, err := rest.TransportFor(admin)
	if err != nil {
		t.Fatal(err)
	}
	cm := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-0"},"data":{"x":"y"}}`)
	for _, w := range []struct {
		method, path, contentType string
		body                      []byte
	}{
		{http.MethodPost, "/api/v1/namespaces/" + ns + "/configmaps", "application/json", cm},
		{http.MethodPut, "/api/v1/namespaces/" + ns + "/configmaps/cm-0", "application/json", cm},
		{http.MethodPatch, "/api/v1/namespaces/" + ns + "/configmaps/cm-0", "application/merge-patch+json", []byte(`{"data":{"x":"z"}}`)},
		{http.MethodDelete, "/api/v1/namespaces/" + ns + "/configmaps/cm-0", "", nil},
		{http.MethodDelete, "/api/v1/namespaces/" + ns + "/configmaps", "", nil},
	} {
		req, _ := http.NewRequest(w.method, "https://"+e.addr+w.path, bytes.NewReader(w.body))
		if w.contentType != "" {
			req.Header.Set("Content-Type", w.contentType)
		}
		req.Header.Set("Accept", "application/json")
		start := time.Now()
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusServiceUnavailable || retry <= 0 || !strings.Contains(string(body), `"reason":"ServiceUnavailable"`) {
			t.Errorf("offline %s %s: %s, Retry-After %q, %s", w.method, w.path, resp.Status, resp.Header.Get("Retry-After"), body)
		}
		// Nothing answers on a blackholed link: a write sent there would
		// wait for the client's timeout. Answered from the proxy's own
		// knowledge, it takes no time at all; 2s leaves room for a slow
		// machine.
		if took > 2*time.Second {
			t.Errorf("offline %s %s took %s: it waited on the cloud", w.method, w.path, took)
		}
	}
	// The TokenRequest made online is answered with the very token the
	// cloud issued; another one (other lifetime) is refused, not made up.
	got, err := tokenFor(3600)
	if err != nil || got.Status.Token != online.Status.Token || !got.Status.ExpirationTimestamp.Equal(&online.Status.ExpirationTimestamp) {
		t.Errorf("offline TokenRequest: %v (same token: %v)", err, err == nil && got.Status.Token == online.Status.Token)
	}
	if _, err := tokenFor(7200); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("offline TokenRequest never made online: %v, want 503", err)
	}
	// Another identity asking the same does not get the kubelet's token.
	other := e.client(withProtobuf(identity(t, srv, "system:node:othernode", "system:nodes")))
	if _, err := tokenAs(other, 3600); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("offline TokenRequest by another node: %v, want 503", err)
	}
	e.restore()
}
