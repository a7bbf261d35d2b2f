package edgeproxy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/outpost-edge/outpost/internal/edgeproxy/apireq"
)

func TestPartitions(t *testing.T) {
	a := partitionOf("u", "", []string{"b", "a"}, map[string][]string{credentialIDKey: {"X509SHA256=1"}, "k": {"2", "1"}})
	b := partitionOf("u", "", []string{"a", "b"}, map[string][]string{credentialIDKey: {"JTI=9"}, "k": {"1", "2"}})
	if a != b {
		t.Error("partition depends on group order or on the credential id")
	}
	for _, other := range []string{
		partitionOf("v", "", []string{"a", "b"}, map[string][]string{"k": {"1", "2"}}),
		partitionOf("u", "", []string{"a"}, map[string][]string{"k": {"1", "2"}}),
		partitionOf("u", "", []string{"a", "b"}, map[string][]string{"k": {"1"}}),
		partitionOf("u", "uid", []string{"a", "b"}, map[string][]string{"k": {"1", "2"}}),
	} {
		if other == a {
			t.Error("different identities share a partition")
		}
	}
	// A group list that ends where another begins must not collide.
	if partitionOf("u", "", []string{"ab"}, nil) == partitionOf("u", "", []string{"a", "b"}, nil) {
		t.Error("ambiguous encoding of groups")
	}
}

func TestIdentityHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-Remote-User", "system:admin")
	h.Add("X-Remote-Group", "system:masters")
	h.Set("x-remote-extra-scopes", "all")
	h.Set("Authorization", "Bearer stolen")
	setIdentityHeaders(h, &identity{kind: credFrontProxy, user: "system:node:n", groups: []string{"system:nodes"}, certID: "X509SHA256=ab"})
	if h.Get("X-Remote-User") != "system:node:n" || len(h.Values("X-Remote-Group")) != 1 || h.Get("X-Remote-Group") != "system:nodes" {
		t.Errorf("front-proxy headers: %v", h)
	}
	if h.Get("Authorization") != "" || h.Get("X-Remote-Extra-Scopes") != "" {
		t.Errorf("client-supplied credentials survived: %v", h)
	}
	if h.Get("X-Remote-Extra-Authentication.kubernetes.io%2Fcredential-Id") == "" {
		t.Errorf("no credential id: %v", h)
	}
	// A token request carries no identity headers, whatever the client sent.
	h = http.Header{}
	h.Set("X-Remote-User", "system:admin")
	h.Set("Authorization", "Bearer t")
	setIdentityHeaders(h, &identity{kind: credToken})
	if h.Get("X-Remote-User") != "" || h.Get("Authorization") != "Bearer t" {
		t.Errorf("token headers: %v", h)
	}
}

func TestTokenExpiry(t *testing.T) {
	claims, _ := json.Marshal(map[string]any{"exp": 2000000000})
	tok := "h." + base64.RawURLEncoding.EncodeToString(claims) + ".s"
	def := time.Unix(1, 0)
	if got := tokenExpiry(tok, def); !got.Equal(time.Unix(2000000000, 0)) {
		t.Errorf("exp = %v", got)
	}
	for _, bad := range []string{"opaque", "a.b", "a.!!.c"} {
		if got := tokenExpiry(bad, def); !got.Equal(def) {
			t.Errorf("tokenExpiry(%q) = %v", bad, got)
		}
	}
}

func TestNodeIdentity(t *testing.T) {
	for _, tc := range []struct {
		id   identity
		want string
	}{
		{identity{kind: credFrontProxy, user: "system:node:n1", groups: []string{"system:nodes"}}, "n1"},
		{identity{kind: credKeypair, user: "system:node:n1", groups: []string{"system:nodes", "system:authenticated"}}, "n1"},
		{identity{kind: credFrontProxy, user: "system:node:n1"}, ""},                                              // not in system:nodes
		{identity{kind: credToken, user: "system:node:n1", groups: []string{"system:nodes"}}, ""},                 // tokens are not node certificates
		{identity{kind: credFrontProxy, user: "system:serviceaccount:a:b", groups: []string{"system:nodes"}}, ""}, // not a node
	} {
		got, _ := tc.id.nodeName()
		if got != tc.want {
			t.Errorf("%+v: node %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestCollectionPath(t *testing.T) {
	for gvr, want := range map[[2]string]string{
		{"/v1/pods", "ns"}:           "/api/v1/namespaces/ns/pods",
		{"/v1/nodes", ""}:            "/api/v1/nodes",
		{"apps/v1/deployments", "a"}: "/apis/apps/v1/namespaces/a/deployments",
		{"coordination.k8s.io/v1/leases", "kube-node-lease"}: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
	} {
		got, err := collectionPath(gvr[0], gvr[1])
		if err != nil || got != want {
			t.Errorf("collectionPath(%v) = %q %v, want %q", gvr, got, err, want)
		}
		// And the request parser reads it back as the same collection.
		info := apireq.Parse("GET", &url.URL{Path: got})
		if info.GVR() != gvr[0] || info.Namespace != gvr[1] || info.Verb != apireq.VerbList {
			t.Errorf("%s parses as %s in %q (%s)", got, info.GVR(), info.Namespace, info.Verb)
		}
	}
	if _, err := collectionPath("nonsense", ""); err == nil {
		t.Error("bad resource accepted")
	}
}

func TestContinueAndResourceVersion(t *testing.T) {
	tok := encodeContinue(7, "ns/a,b:c")
	gen, last, ok := decodeContinue(tok)
	if !ok || gen != 7 || last != "ns/a,b:c" {
		t.Errorf("continue round trip: %d %q %v", gen, last, ok)
	}
	if _, _, ok := decodeContinue("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MX0"); ok {
		t.Error("an API server continue token decoded as ours")
	}
	for _, tc := range []struct {
		rv, match string
		code      int32
	}{
		{"", "", 0}, {"0", "", 0}, {"50", "", 0}, {"100", "", 0},
		{"101", "", 504}, {"101", "NotOlderThan", 504},
		{"100", "Exact", 0}, {"99", "Exact", 410},
		{"x", "", 400},
	} {
		info := &apireq.Info{ResourceVersion: tc.rv, ResourceVersionMatch: tc.match}
		st := checkRV(info, 100)
		var code int32
		if st != nil {
			code = st.Code
		}
		if code != tc.code {
			t.Errorf("rv %q match %q against 100: %d, want %d", tc.rv, tc.match, code, tc.code)
		}
	}
}

func TestPatches(t *testing.T) {
	node := `{"kind":"Node","apiVersion":"v1","metadata":{"name":"n","labels":{"a":"1"}},"status":{"conditions":[{"type":"Ready","status":"False"}]}}`
	out, err := applyPatch("application/strategic-merge-patch+json", []byte(node), []byte(`{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`), &corev1.Node{})
	if err != nil {
		t.Fatal(err)
	}
	var n corev1.Node
	if err := json.Unmarshal(out, &n); err != nil || len(n.Status.Conditions) != 1 || n.Status.Conditions[0].Status != corev1.ConditionTrue {
		t.Errorf("strategic patch: %s %v", out, err)
	}
	out, err = applyPatch("application/merge-patch+json", []byte(node), []byte(`{"metadata":{"labels":{"a":"1"}}}`), nil)
	if err != nil || !sameJSON(out, []byte(node)) {
		t.Errorf("a no-op merge patch changed the object: %s %v", out, err)
	}
	out, err = applyPatch("application/json-patch+json", []byte(node), []byte(`[{"op":"replace","path":"/metadata/labels/a","value":"2"}]`), nil)
	if err != nil || sameJSON(out, []byte(node)) {
		t.Errorf("json patch: %s %v", out, err)
	}
	if _, err := applyPatch("application/apply-patch+yaml", []byte(node), []byte("x"), nil); err == nil {
		t.Error("server-side apply accepted offline")
	}
}

// TestLinkState drives the health prober against an endpoint that fails
// on demand.
func TestLinkState(t *testing.T) {
	var mode atomic.Int32 // 0 ok, 1 500, 2 hang
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case 1:
			http.Error(w, "not ready", http.StatusInternalServerError)
		case 2:
			<-r.Context().Done()
		default:
			_, _ = w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	cfg := &Config{ProbeInterval: 10 * time.Millisecond, ProbeTimeout: 200 * time.Millisecond, FailureThreshold: 3, SuccessThreshold: 2, DialTimeout: time.Second}
	up := newUpstream(u, nil, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	up.probe = srv.Client()
	up.probeReq = func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/readyz", nil)
	}
	var transitions []State
	changed := make(chan State, 16)
	up.onTransition(func(_, to State) { changed <- to })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go up.run(ctx)
	wait := func(want State) {
		t.Helper()
		got := <-changed
		transitions = append(transitions, got)
		if got != want {
			t.Fatalf("transition to %s, want %s (so far %v)", got, want, transitions)
		}
	}
	if s := up.waitKnown(ctx); s != Online {
		t.Fatalf("first state %s", s)
	}
	wait(Online)
	select {
	case <-up.whenOnline():
	default:
		t.Error("whenOnline not ready while online")
	}
	mode.Store(1)
	wait(Offline)
	on := up.whenOnline()
	select {
	case <-on:
		t.Error("whenOnline ready while offline")
	default:
	}
	mode.Store(0)
	wait(Online)
	<-on
	mode.Store(2) // a blackhole: probes time out
	wait(Offline)
	mode.Store(0)
	wait(Online)
	<-up.nextOK()
}
