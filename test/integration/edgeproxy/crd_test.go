package edgeproxy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

var (
	crdGVR  = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	siteGVR = schema.GroupVersionResource{Group: "edge.outpost.io", Version: "v1", Resource: "edgesites"}
)

// TestCustomResources: custom resources (JSON only, types the proxy does
// not know) are recorded and served offline like built-in ones, to a
// dynamic informer.
func TestCustomResources(t *testing.T) {
	srv := testenv.Shared(t)
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(srv.RestConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "edgesites.edge.outpost.io"},
		"spec": map[string]any{
			"group": "edge.outpost.io", "scope": "Namespaced",
			"names": map[string]any{"plural": "edgesites", "singular": "edgesite", "kind": "EdgeSite", "listKind": "EdgeSiteList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dyn.Resource(crdGVR).Delete(ctx, "edgesites.edge.outpost.io", metav1.DeleteOptions{}) })
	ns := testenv.Namespace(t, srv.Client(t))
	sites := dyn.Resource(siteGVR).Namespace(ns)
	create := func(name string) {
		t.Helper()
		testenv.Eventually(t, time.Minute, "custom resource "+name, func() error {
			_, err := sites.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "edge.outpost.io/v1", "kind": "EdgeSite",
				"metadata": map[string]any{"name": name}, "spec": map[string]any{"city": "Lyon"},
			}}, metav1.CreateOptions{})
			return err
		})
	}
	create("a")
	create("b")

	e := startEdge(t, srv, edgeOptions{})
	pdyn, err := dynamic.NewForConfig(e.config(srv.RestConfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(pdyn, 0, ns, nil)
	inf := f.ForResource(siteGVR).Informer()
	stop := make(chan struct{})
	f.Start(stop)
	defer func() { close(stop); f.Shutdown() }()
	if !cache.WaitForCacheSync(stop, inf.HasSynced) {
		t.Fatal("dynamic informer did not sync")
	}
	state := func() []string {
		var out []string
		for _, o := range inf.GetStore().List() {
			u := o.(*unstructured.Unstructured)
			out = append(out, u.GetName()+"@"+u.GetResourceVersion())
		}
		slices.Sort(out)
		return out
	}
	server := func() []string {
		l, err := sites.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range l.Items {
			out = append(out, u.GetName()+"@"+u.GetResourceVersion())
		}
		slices.Sort(out)
		return out
	}
	create("c")
	testenv.Eventually(t, time.Minute, "informer sees c", func() error {
		if got, want := state(), server(); !slices.Equal(got, want) {
			return fmt.Errorf("%v, server %v", got, want)
		}
		return nil
	})
	want := server()

	e.cut((*faultrelay.Relay).Refuse)
	// Offline: a fresh list and a get, from the cache.
	var l *unstructured.UnstructuredList
	testenv.Eventually(t, 30*time.Second, "offline list of custom resources", func() error {
		l, err = pdyn.Resource(siteGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	var got []string
	for _, u := range l.Items {
		got = append(got, u.GetName()+"@"+u.GetResourceVersion())
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || l.GetKind() != "EdgeSiteList" {
		t.Errorf("offline list: %v (%s), want %v", got, l.GetKind(), want)
	}
	b, err := pdyn.Resource(siteGVR).Namespace(ns).Get(ctx, "b", metav1.GetOptions{})
	if err != nil || b.Object["spec"].(map[string]any)["city"] != "Lyon" {
		t.Errorf("offline get of a custom resource: %v %v", b, err)
	}
	create("d") // in the cloud, during the cut
	e.restore()
	testenv.Eventually(t, time.Minute, "informer converges after the cut", func() error {
		if got, want := state(), server(); !slices.Equal(got, want) {
			return fmt.Errorf("%v, server %v", got, want)
		}
		return nil
	})
}
