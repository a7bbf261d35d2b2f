package apireq

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/endpoints/request"
)

func parse(t testing.TB, method, rawURL string) Info {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(method, u)
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		method, url string
		want        Info
		cacheable   bool
	}{
		{"GET", "/api/v1/namespaces/ns/pods/p", Info{Resource: true, Verb: "get", Version: "v1", ResourceName: "pods", Namespace: "ns", Name: "p"}, true},
		{"GET", "/api/v1/namespaces/ns/pods?labelSelector=b%3D2,a%3D1&resourceVersion=5", Info{Resource: true, Verb: "list", Version: "v1", ResourceName: "pods", Namespace: "ns", LabelSelector: "a=1,b=2", ResourceVersion: "5"}, true},
		{"GET", "/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dn1&allowWatchBookmarks=true", Info{Resource: true, Verb: "watch", Version: "v1", ResourceName: "pods", FieldSelector: "spec.nodeName=n1", AllowWatchBookmarks: true}, true},
		{"GET", "/api/v1/watch/namespaces/ns/pods/p", Info{Resource: true, Verb: "watch", Version: "v1", ResourceName: "pods", Namespace: "ns", Name: "p", FieldSelector: "metadata.name=p"}, true},
		{"GET", "/apis/apps/v1/namespaces/ns/deployments/d/status", Info{Resource: true, Verb: "get", Group: "apps", Version: "v1", ResourceName: "deployments", Namespace: "ns", Name: "d", Subresource: "status"}, false},
		{"GET", "/api/v1/namespaces/kube-system", Info{Resource: true, Verb: "get", Version: "v1", ResourceName: "namespaces", Name: "kube-system"}, true},
		{"GET", "/api/v1/namespaces", Info{Resource: true, Verb: "list", Version: "v1", ResourceName: "namespaces"}, true},
		{"POST", "/api/v1/namespaces/ns/serviceaccounts/default/token", Info{Resource: true, Verb: "create", Version: "v1", ResourceName: "serviceaccounts", Namespace: "ns", Name: "default", Subresource: "token"}, false},
		{"DELETE", "/api/v1/namespaces/ns/pods", Info{Resource: true, Verb: "deletecollection", Version: "v1", ResourceName: "pods", Namespace: "ns"}, false},
		{"GET", "/api/v1/pods?labelSelector=a%3D%3D%3D", Info{Resource: true, Verb: "list", Version: "v1", ResourceName: "pods", LabelSelector: "a===", BadOptions: true}, false},
		{"GET", "/apis/apps/v1", Info{Verb: "get"}, false},
		{"GET", "/version", Info{Verb: "get"}, false},
		{"GET", "/api/v1/pods?limit=500&continue=abc&sendInitialEvents=true&resourceVersionMatch=NotOlderThan", Info{Resource: true, Verb: "list", Version: "v1", ResourceName: "pods", Limit: 500, Continue: "abc", ResourceVersionMatch: "NotOlderThan", SendInitialEvents: ptr(true)}, true},
	} {
		got := parse(t, tc.method, tc.url)
		got.Path = ""
		if !equal(got, tc.want) {
			t.Errorf("%s %s:\n got %+v\nwant %+v", tc.method, tc.url, got, tc.want)
		}
		if got.Cacheable() != tc.cacheable {
			t.Errorf("%s %s: cacheable = %v, want %v", tc.method, tc.url, got.Cacheable(), tc.cacheable)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func equal(a, b Info) bool {
	if (a.SendInitialEvents == nil) != (b.SendInitialEvents == nil) {
		return false
	}
	if a.SendInitialEvents != nil && *a.SendInitialEvents != *b.SendInitialEvents {
		return false
	}
	a.SendInitialEvents, b.SendInitialEvents = nil, nil
	return a == b
}

func TestSelectorsAreCanonical(t *testing.T) {
	a := parse(t, "GET", "/api/v1/pods?labelSelector=app%20in%20(b,a),tier%3Dx&fieldSelector=spec.nodeName%3Dn,metadata.namespace!%3Dkube-system")
	b := parse(t, "GET", "/api/v1/pods?labelSelector=tier%3D%3Dx,app%20in%20(a,b)&fieldSelector=metadata.namespace!%3Dkube-system,spec.nodeName%3D%3Dn,spec.nodeName%3Dn")
	if a.LabelSelector != b.LabelSelector || a.FieldSelector != b.FieldSelector {
		t.Errorf("equivalent selectors differ:\n%q %q\n%q %q", a.LabelSelector, a.FieldSelector, b.LabelSelector, b.FieldSelector)
	}
}

// upstream parses like the API server does.
var upstream = &request.RequestInfoFactory{
	APIPrefixes:          sets.NewString("api", "apis"),
	GrouplessAPIPrefixes: sets.NewString("api"),
}

// checkAgainstUpstream compares Parse with the API server's own parser on
// the fields that decide caching: a difference would cache a response
// under the wrong resource, namespace or verb.
func checkAgainstUpstream(t *testing.T, method, rawURL string) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Path == "" || !strings.HasPrefix(u.Path, "/") {
		return
	}
	req := &http.Request{Method: method, URL: u}
	up, err := upstream.NewRequestInfo(req)
	got := Parse(method, u)
	if err != nil {
		// The API server rejects the path; whatever we do, we must not
		// consider it cacheable.
		if got.Cacheable() {
			t.Fatalf("%s %q: upstream error %v, but Parse says cacheable: %+v", method, rawURL, err, got)
		}
		return
	}
	if up.IsResourceRequest != got.Resource {
		t.Fatalf("%s %q: resource %v, upstream %v", method, rawURL, got.Resource, up.IsResourceRequest)
	}
	if !got.Resource {
		return
	}
	upNS, upName := up.Namespace, up.Name
	if up.Resource == "namespaces" && up.Subresource == "" || up.Resource == "namespaces" && (up.Subresource == "status" || up.Subresource == "finalize") {
		upNS = ""
	}
	if got.Verb == VerbList || got.Verb == VerbWatch {
		// Upstream names a list narrowed by metadata.name after the name
		// (for authorization); for caching it stays a collection.
		if got.Name == "" {
			upName = ""
		}
	}
	if got.Verb != up.Verb || got.Group != up.APIGroup || got.Version != up.APIVersion ||
		got.ResourceName != up.Resource || got.Subresource != up.Subresource || got.Namespace != upNS || got.Name != upName {
		t.Fatalf("%s %q:\n got verb=%q group=%q version=%q resource=%q sub=%q ns=%q name=%q\nupstream verb=%q group=%q version=%q resource=%q sub=%q ns=%q name=%q",
			method, rawURL, got.Verb, got.Group, got.Version, got.ResourceName, got.Subresource, got.Namespace, got.Name,
			up.Verb, up.APIGroup, up.APIVersion, up.Resource, up.Subresource, upNS, upName)
	}
}

func TestMatchesUpstream(t *testing.T) {
	for _, u := range []string{
		"/api/v1/pods", "/api/v1/namespaces/a/pods/b/log", "/apis/apps/v1/watch/deployments",
		"/api/v1/namespaces/a/status", "/api/v1/namespaces/a/finalize", "/api/v1/namespaces/a/pods/b/exec/x",
		"/api/v1/proxy/namespaces/a/services/b/c/d", "/apis/x/y/z", "/api/v1/watch/namespaces/a",
		"/api/v1/pods?watch=false", "/api/v1/pods?watch=yes", "/apis/g/v1/namespaces/ns/crs?fieldSelector=metadata.name%3Dx",
	} {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
			checkAgainstUpstream(t, m, u)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/api/v1/namespaces/ns/pods/p",
		"/api/v1/pods?watch=true&resourceVersion=10&allowWatchBookmarks=true",
		"/apis/apps/v1/namespaces/ns/deployments?labelSelector=a%20in%20(x,y)&limit=500",
		"/api/v1/watch/namespaces/ns/pods/p?fieldSelector=spec.nodeName%3Dn",
		"/api/v1/namespaces/ns/serviceaccounts/sa/token",
		"/apis/g/v/namespaces//x//y",
		"/api/v1/namespaces/a/status",
		"/api/v1/proxy/nodes/n/x",
	} {
		f.Add("GET", s)
	}
	f.Add("DELETE", "/api/v1/namespaces/ns/pods")
	f.Add("PATCH", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n")
	f.Fuzz(func(t *testing.T, method, rawURL string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		info := Parse(method, u)
		if info.Cacheable() {
			if info.ResourceName == "" || info.Version == "" {
				t.Fatalf("cacheable without resource: %+v", info)
			}
			// Canonical selectors are fixed points.
			again := Parse("GET", &url.URL{Path: "/api/v1/x", RawQuery: url.Values{
				"labelSelector": {info.LabelSelector}, "fieldSelector": {info.FieldSelector},
			}.Encode()})
			if again.BadOptions || again.LabelSelector != info.LabelSelector || again.FieldSelector != info.FieldSelector {
				t.Fatalf("selectors not canonical: %q %q -> %q %q (bad %v)", info.LabelSelector, info.FieldSelector, again.LabelSelector, again.FieldSelector, again.BadOptions)
			}
		}
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD":
			checkAgainstUpstream(t, method, rawURL)
		}
	})
}
