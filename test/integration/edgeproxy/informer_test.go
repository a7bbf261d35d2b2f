package edgeproxy_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// eventLog checks the events an informer delivers: per object, never an
// older version after a newer one, never an add of an object it already
// has.
type eventLog struct {
	mu      sync.Mutex
	last    map[string]uint64
	present map[string]bool
	errs    []string
	count   int
}

func newEventLog() *eventLog {
	return &eventLog{last: map[string]uint64{}, present: map[string]bool{}}
}

func (l *eventLog) handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { l.see("add", obj) },
		UpdateFunc: func(_, obj any) { l.see("update", obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			l.see("delete", obj)
		},
	}
}

func (l *eventLog) see(what string, obj any) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	rv, _ := strconv.ParseUint(m.GetResourceVersion(), 10, 64)
	key := m.GetNamespace() + "/" + m.GetName()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count++
	if rv < l.last[key] {
		l.errs = append(l.errs, fmt.Sprintf("%s %s at %d after %d", what, key, rv, l.last[key]))
	}
	if what == "add" && l.present[key] {
		l.errs = append(l.errs, fmt.Sprintf("add of %s at %d, already present", key, rv))
	}
	l.last[key] = rv
	l.present[key] = what != "delete"
}

func (l *eventLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errs {
		t.Error("event out of order: " + e)
	}
}

// informerState is what an informer holds: name@rv, sorted.
func informerState(inf cache.SharedIndexInformer) []string {
	var out []string
	for _, o := range inf.GetStore().List() {
		cm := o.(*corev1.ConfigMap)
		out = append(out, cm.Name+"@"+cm.ResourceVersion)
	}
	slices.Sort(out)
	return out
}

func serverState(t *testing.T, c kubernetes.Interface, ns string) []string {
	t.Helper()
	l, err := c.CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return names(l.Items)
}

func waitConverged(t *testing.T, what string, infs []cache.SharedIndexInformer, direct kubernetes.Interface, ns string) {
	t.Helper()
	testenv.Eventually(t, time.Minute, what, func() error {
		want := serverState(t, direct, ns)
		for i, inf := range infs {
			if got := informerState(inf); !slices.Equal(got, want) {
				return fmt.Errorf("informer %d has %v, server %v", i, got, want)
			}
		}
		return nil
	})
}

// TestInformersAcrossCuts runs client-go informers (JSON and protobuf)
// through the proxy while the link is cut in different ways (refused,
// blackholed, delayed past the probe timeout; then reset, with the cloud
// still reachable), with
// objects created, changed and deleted in the cloud during each cut: the
// informers keep their state while cut (their watches stay open, bridged
// by the proxy), then converge on the server's without losing, repeating
// or reordering events. Watches opened during a cut are served from the
// cache, from the resourceVersion asked.
func TestInformersAcrossCuts(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	createConfigMaps(t, direct, ns, 6, nil)
	e := startEdge(t, srv, edgeOptions{})
	admin := srv.RestConfig(t)

	var infs []cache.SharedIndexInformer
	var logs []*eventLog
	var factories []informers.SharedInformerFactory
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		for _, f := range factories {
			f.Shutdown()
		}
	}()
	for _, c := range []kubernetes.Interface{e.client(withJSON(admin)), e.client(withProtobuf(admin))} {
		f := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithNamespace(ns))
		inf := f.Core().V1().ConfigMaps().Informer()
		l := newEventLog()
		if _, err := inf.AddEventHandler(l.handler()); err != nil {
			t.Fatal(err)
		}
		f.Start(ctx.Done())
		factories = append(factories, f)
		infs, logs = append(infs, inf), append(logs, l)
	}
	for _, inf := range infs {
		if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
			t.Fatal("informer did not sync")
		}
	}
	waitConverged(t, "informers synced", infs, direct, ns)

	mutate := func(round int) {
		cms := direct.CoreV1().ConfigMaps(ns)
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("new-%d", round)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		cm, err := cms.Get(ctx, "cm-0", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Data = map[string]string{"round": fmt.Sprint(round)}
		if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cms.Delete(ctx, fmt.Sprintf("cm-%d", round+1), metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mutate(0)
	waitConverged(t, "informers follow online changes", infs, direct, ns)

	for round, cut := range []struct {
		name    string
		fn      func(*faultrelay.Relay)
		offline bool // the proxy finds the cloud unreachable
	}{
		{"refused", (*faultrelay.Relay).Refuse, true},
		{"blackholed", (*faultrelay.Relay).Blackhole, true},
		// Slower than the probe timeout (1s here): as good as gone.
		{"delayed", func(r *faultrelay.Relay) { r.SetDelay(3 * time.Second) }, true},
		// Every connection reset, the cloud still there: the proxy
		// stays online and resumes the watches.
		{"reset", (*faultrelay.Relay).Reset, false},
	} {
		if !cut.offline {
			cut.fn(e.relay)
			mutate(round + 1)
			waitConverged(t, cut.name+": informers converge after the reset", infs, direct, ns)
			continue
		}
		before := make([][]string, len(infs))
		for i, inf := range infs {
			before[i] = informerState(inf)
		}
		bridged := e.metric("outpost_edgeproxy_watches_bridged_total", nil)
		e.cut(cut.fn)
		// The informers' watches stay open, bridged by the proxy.
		testenv.Eventually(t, time.Minute, "watches bridged across the cut", func() error {
			if n := e.metric("outpost_edgeproxy_watches_bridged_total", nil) - bridged; n < float64(len(infs)) {
				return fmt.Errorf("%v watches bridged", n)
			}
			return nil
		})
		mutate(round + 1)
		// Cut off, the informers keep what they had.
		time.Sleep(2 * time.Second)
		for i, inf := range infs {
			if got := informerState(inf); !slices.Equal(got, before[i]) {
				t.Errorf("%s: informer %d changed while cut: %v, was %v", cut.name, i, got, before[i])
			}
		}
		e.restore()
		waitConverged(t, cut.name+": informers converge after the cut", infs, direct, ns)
	}
	for _, l := range logs {
		l.check(t)
	}
	if n := e.metric("outpost_edgeproxy_watches_resumed_total", nil); n < float64(3*len(infs)) {
		t.Errorf("%v watches resumed from the cloud after the cuts", n)
	}

	// Watches resumed from the cache by resourceVersion: a watch from
	// before what the cache keeps is told to list again (410), one from
	// the future too (too large resourceVersion).
	e.cut((*faultrelay.Relay).Refuse)
	w, err := e.client(admin).CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	ev := <-w.ResultChan()
	w.Stop()
	if st, ok := ev.Object.(*metav1.Status); ev.Type != watch.Error || !ok || st.Code != 410 {
		t.Errorf("offline watch from rv 1: %s %+v", ev.Type, ev.Object)
	}
	e.restore()
}
