package store

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "cache.db")
	}
	s, err := Open(path, opts, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func wait(t testing.TB, ch <-chan error) {
	t.Helper()
	if err := <-ch; err != nil {
		t.Fatal(err)
	}
}

var (
	podList = wire.TypeMeta{APIVersion: "v1", Kind: "PodList"}
	pod     = wire.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	viewA   = ViewKey{Partition: "p1", GVR: "/v1/pods", Namespace: "ns", Fields: "spec.nodeName=n1"}
)

func item(name string, rv uint64) Item {
	return Item{Key: "ns/" + name, RV: rv, Enc: wire.JSON, Raw: []byte(fmt.Sprintf(`{"name":%q,"rv":%d}`, name, rv))}
}

func snapshot(t *testing.T, s *Store, key ViewKey, rv uint64, items ...Item) {
	t.Helper()
	sn := s.Snapshot(key)
	sn.Add(items)
	wait(t, sn.Commit(podList, pod, rv))
}

func keys(t *testing.T, s *Store, key ViewKey) string {
	t.Helper()
	m, ok, err := s.View(key)
	if err != nil || !ok {
		t.Fatalf("view %v: %v %v", key, ok, err)
	}
	var out []string
	after := ""
	for {
		items, more, err := s.ReadView(key, m.Gen, after, 2, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			out = append(out, fmt.Sprintf("%s@%d", strings.TrimPrefix(it.Key, "ns/"), it.RV))
			after = it.Key
		}
		if !more {
			return strings.Join(out, " ")
		}
	}
}

func TestSnapshotThenWatch(t *testing.T) {
	s := open(t, "", Options{})
	snapshot(t, s, viewA, 10, item("b", 5), item("a", 7), item("c", 9))
	m, _, _ := s.View(viewA)
	if !m.Complete || m.RV != 10 || m.LogFloor != 10 || m.Count != 3 || m.ItemType != pod || m.ListType != podList {
		t.Fatalf("meta after list: %+v", m)
	}
	if got := keys(t, s, viewA); got != "a@7 b@5 c@9" {
		t.Errorf("objects = %s", got)
	}

	w := s.Watch(viewA, 10)
	wait(t, w.Event(Event{Type: wire.Modified, Item: item("a", 11)}))
	wait(t, w.Event(Event{Type: wire.Added, Item: item("d", 12)}))
	wait(t, w.Event(Event{Type: wire.Deleted, Item: item("b", 13)}))
	wait(t, w.Event(Event{Type: wire.Modified, Item: item("c", 8)})) // older than the view: ignored
	wait(t, w.Bookmark(20))
	if got := keys(t, s, viewA); got != "a@11 c@9 d@12" {
		t.Errorf("objects = %s", got)
	}
	m, _, _ = s.View(viewA)
	if m.RV != 20 || !m.Complete {
		t.Errorf("meta after watch: %+v", m)
	}
	evs, err := s.ReadLog(viewA, 11, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Type != wire.Added || evs[0].Item.Key != "ns/d" || evs[1].Type != wire.Deleted || evs[1].Item.RV != 13 {
		t.Errorf("log after 11 = %+v", evs)
	}

	// A second watch from an older resourceVersion replays what the view
	// has; nothing is applied twice.
	w2 := s.Watch(viewA, 10)
	wait(t, w2.Event(Event{Type: wire.Modified, Item: item("a", 11)}))
	wait(t, w2.Event(Event{Type: wire.Added, Item: item("e", 21)}))
	if got := keys(t, s, viewA); got != "a@11 c@9 d@12 e@21" {
		t.Errorf("objects = %s", got)
	}

	// A new list replaces everything and restarts the log.
	snapshot(t, s, viewA, 30, item("z", 29))
	if got := keys(t, s, viewA); got != "z@29" {
		t.Errorf("objects after relist = %s", got)
	}
	if evs, _ := s.ReadLog(viewA, 0, 10); len(evs) != 0 {
		t.Errorf("log after relist = %+v", evs)
	}
	// The older watch stays attached: its changes after the new list apply.
	wait(t, w.Event(Event{Type: wire.Added, Item: item("y", 31)}))
	if got := keys(t, s, viewA); got != "y@31 z@29" {
		t.Errorf("objects = %s", got)
	}
}

func TestWatchFromTheFutureMarksViewIncomplete(t *testing.T) {
	s := open(t, "", Options{})
	snapshot(t, s, viewA, 10, item("a", 1))
	w := s.Watch(viewA, 15)
	wait(t, w.Event(Event{Type: wire.Added, Item: item("b", 16)}))
	m, _, _ := s.View(viewA)
	if m.Complete {
		t.Errorf("view complete after a watch from past its state: %+v", m)
	}
	if got := keys(t, s, viewA); got != "a@1" {
		t.Errorf("objects = %s", got)
	}
}

func TestWatchListStreamAttachesAtCommit(t *testing.T) {
	s := open(t, "", Options{})
	sn := s.Snapshot(viewA)
	st := sn.Stream()
	sn.Add([]Item{item("a", 3)})
	sn.Add([]Item{item("b", 4)})
	wait(t, sn.Commit(podList, pod, 5))
	wait(t, st.Event(Event{Type: wire.Modified, Item: item("a", 6)}))
	if got := keys(t, s, viewA); got != "a@6 b@4" {
		t.Errorf("objects = %s", got)
	}
	// An aborted list leaves the view as it was.
	sn2 := s.Snapshot(viewA)
	sn2.Add([]Item{item("x", 9)})
	sn2.Abort()
	wait(t, s.Barrier())
	if got := keys(t, s, viewA); got != "a@6 b@4" {
		t.Errorf("objects after abort = %s", got)
	}
}

func TestLogLimit(t *testing.T) {
	s := open(t, "", Options{LogLimit: 3})
	snapshot(t, s, viewA, 10)
	w := s.Watch(viewA, 10)
	for rv := uint64(11); rv <= 16; rv++ {
		wait(t, w.Event(Event{Type: wire.Added, Item: item(fmt.Sprint(rv), rv)}))
	}
	m, _, _ := s.View(viewA)
	if m.LogFloor != 13 {
		t.Errorf("log floor = %d, want 13 (changes 14..16 kept)", m.LogFloor)
	}
	evs, _ := s.ReadLog(viewA, m.LogFloor, 100)
	if len(evs) != 3 || evs[0].Item.RV != 14 {
		t.Errorf("log = %+v", evs)
	}
}

func TestIncompleteListsVanishOnReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(path, Options{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	snapshot(t, s, viewA, 10, item("a", 1))
	sn := s.Snapshot(viewA)
	sn.Add([]Item{item("half", 2)})
	wait(t, s.Barrier())
	s.Close()
	s = open(t, path, Options{})
	if got := keys(t, s, viewA); got != "a@1" {
		t.Errorf("objects = %s", got)
	}
	if err := s.db.View(func(tx *bolt.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketV).ForEachBucket(func(id []byte) error {
			return tx.Bucket(bucketV).Bucket(id).ForEachBucket(func(name []byte) error {
				if name[0] == 'g' {
					n++
				}
				return nil
			})
		})
	})
	if n != 1 {
		t.Errorf("%d generation buckets after reopen, want 1", n)
	}
}

func TestObjectsAndRecords(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := open(t, "", Options{Now: clock, TTL: time.Hour})
	o := wire.Object{Type: pod, Enc: wire.Protobuf, Raw: []byte{1, 2, 3}}
	s.PutObject("p", "/v1/pods", "ns", "a", o, 7)
	s.PutObject("p", "/v1/pods", "ns", "a", wire.Object{Type: pod, Enc: wire.JSON, Raw: []byte("{}")}, 5) // older: ignored
	wait(t, s.Barrier())
	got, rv, ok, err := s.Object("p", "/v1/pods", "ns", "a")
	if err != nil || !ok || rv != 7 || got.Enc != wire.Protobuf || got.Type != pod || string(got.Raw) != "\x01\x02\x03" {
		t.Errorf("object = %+v %d %v %v", got, rv, ok, err)
	}
	if _, _, ok, _ := s.Object("other", "/v1/pods", "ns", "a"); ok {
		t.Error("object visible from another partition")
	}
	wait(t, s.PutRecord("tokens", "k", Record{Value: []byte("v"), Expires: now.Add(time.Minute)}, true))
	if r, ok, _ := s.GetRecord("tokens", "k"); !ok || string(r.Value) != "v" {
		t.Errorf("record = %+v %v", r, ok)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if _, ok, _ := s.GetRecord("tokens", "k"); ok {
		t.Error("expired record returned")
	}

	// TTL: everything unused for an hour goes.
	snapshot(t, s, viewA, 10, item("a", 1))
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	s.Collect()
	if _, ok, _ := s.View(viewA); ok {
		t.Error("view survived its TTL")
	}
	if _, _, ok, _ := s.Object("p", "/v1/pods", "ns", "a"); ok {
		t.Error("object survived its TTL")
	}
}

func TestCapEvictsLeastRecentlyUsed(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func() { mu.Lock(); now = now.Add(time.Second); mu.Unlock() }
	s := open(t, "", Options{Now: clock, MaxBytes: 2 << 20, NoSync: true})
	big := make([]byte, 16<<10)
	var views []ViewKey
	for v := range 8 {
		key := ViewKey{Partition: "p", GVR: "/v1/configmaps", Namespace: fmt.Sprint("ns", v)}
		views = append(views, key)
		var items []Item
		for i := range 40 {
			items = append(items, Item{Key: fmt.Sprintf("ns%d/cm%d", v, i), RV: 1, Enc: wire.JSON, Raw: big})
		}
		snapshot(t, s, key, 2, items...)
		tick()
	}
	// The first view is used again, so the second is now the oldest.
	m, _, _ := s.View(views[0])
	s.Touch(m.ID)

	tick()
	s.Collect()
	st := s.Stats()
	if st.Bytes > 2<<20 || st.Evictions == 0 {
		t.Errorf("after collection: %+v", st)
	}
	if _, ok, _ := s.View(views[0]); !ok {
		t.Error("recently used view evicted")
	}
	if _, ok, _ := s.View(views[1]); ok {
		t.Error("least recently used view kept")
	}
	if _, ok, _ := s.View(views[7]); !ok {
		t.Error("newest view evicted")
	}
}

// TestCrashKeepsACoherentCache kills a process that writes lists and
// changes as fast as it can, then checks the cache it left: every view's
// objects are exactly its last committed list plus the changes logged
// after it.
func TestCrashKeepsACoherentCache(t *testing.T) {
	if os.Getenv("EDGE_STORE_CRASH_CHILD") != "" {
		crashChild(os.Getenv("EDGE_STORE_CRASH_CHILD"))
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsACoherentCache$")
		cmd.Env = append(os.Environ(), "EDGE_STORE_CRASH_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child has committed a few rounds, then kill it.
		buf := make([]byte, 64)
		seen := 0
		for seen < 5 {
			n, err := out.Read(buf)
			if err != nil {
				t.Fatalf("round %d: child ended early: %v", round, err)
			}
			seen += strings.Count(string(buf[:n]), "\n")
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		s, err := Open(path, Options{}, quiet)
		if err != nil {
			t.Fatalf("round %d: reopening after a crash: %v", round, err)
		}
		views, err := s.AllViews()
		if err != nil {
			t.Fatal(err)
		}
		if len(views) == 0 {
			t.Fatalf("round %d: no views survived", round)
		}
		for _, m := range views {
			if !m.Complete {
				continue
			}
			items, _, err := s.ReadView(m.Key, m.Gen, "", 1<<20, 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			// The child writes lists of 50 objects at rv=list, then adds
			// objects one by one: count = 50 + changes logged.
			evs, _ := s.ReadLog(m.Key, 0, 1<<20)
			if len(items) != 50+len(evs) {
				t.Errorf("round %d: view %s has %d objects, want 50 + %d logged", round, m.Key, len(items), len(evs))
			}
			for _, ev := range evs {
				if ev.Item.RV > m.RV {
					t.Errorf("round %d: logged change %d after the view's rv %d", round, ev.Item.RV, m.RV)
				}
			}
		}
		s.Close()
	}
}

func crashChild(path string) {
	s, err := Open(path, Options{}, quiet)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rv := uint64(time.Now().UnixNano())
	for i := 0; ; i++ {
		key := ViewKey{Partition: "p", GVR: "/v1/pods", Namespace: fmt.Sprint("ns", i%4)}
		rv++
		listRV := rv
		sn := s.Snapshot(key)
		for j := range 5 {
			var items []Item
			for k := range 10 {
				items = append(items, Item{Key: fmt.Sprintf("o%02d-%d", j, k), RV: listRV, Enc: wire.JSON, Raw: make([]byte, 512)})
			}
			sn.Add(items)
		}
		if err := <-sn.Commit(podList, pod, listRV); err != nil {
			os.Exit(3)
		}
		w := s.Watch(key, listRV)
		var last <-chan error
		for j := range 20 {
			rv++
			last = w.Event(Event{Type: wire.Added, Item: Item{Key: fmt.Sprintf("new-%d-%d", i, j), RV: rv, Enc: wire.JSON, Raw: make([]byte, 256)}})
		}
		<-last
		fmt.Println("round")
	}
}

func TestRelistOfTheSameStateWritesNoObjects(t *testing.T) {
	s := open(t, "", Options{})
	snapshot(t, s, viewA, 10, item("a", 1), item("b", 2))
	m1, _, _ := s.View(viewA)
	snapshot(t, s, viewA, 20, item("a", 1), item("b", 2))
	m2, _, _ := s.View(viewA)
	if m2.Gen != m1.Gen || m2.RV != 20 || !m2.Complete {
		t.Errorf("identical relist: gen %d -> %d, rv %d", m1.Gen, m2.Gen, m2.RV)
	}
	// One object changed, one gone, one new: a new generation.
	snapshot(t, s, viewA, 30, item("a", 25), item("c", 26))
	m3, _, _ := s.View(viewA)
	if m3.Gen == m2.Gen || m3.RV != 30 {
		t.Errorf("changed relist: gen %d -> %d, rv %d", m2.Gen, m3.Gen, m3.RV)
	}
	if got := keys(t, s, viewA); got != "a@25 c@26" {
		t.Errorf("objects = %s", got)
	}
	// A subset of the view is not the view.
	snapshot(t, s, viewA, 40, item("a", 25))
	if got := keys(t, s, viewA); got != "a@25" {
		t.Errorf("objects after a shorter relist = %s", got)
	}
	// The view changing between the list and its commit: written in full.
	sn := s.Snapshot(viewA)
	sn.Add([]Item{item("a", 25)})
	w := s.Watch(viewA, 40)
	wait(t, w.Event(Event{Type: wire.Added, Item: item("z", 41)}))
	wait(t, sn.Commit(podList, pod, 42))
	if got := keys(t, s, viewA); got != "a@25" {
		t.Errorf("objects after a relist racing a change = %s", got)
	}
}
