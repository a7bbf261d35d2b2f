package edgeproxy_test

// Measurements for docs/performance.md (Edge API cache proxy). They run against the
// real control plane and print their results; run them one at a time:
//
//	go build -o bin/outpost ./cmd/outpost && export OUTPOST_BIN=$PWD/bin/outpost
//	go test ./test/integration/edgeproxy/ -run '^$' -bench BenchmarkLatency -benchtime 1x -v
//	go test ./test/integration/edgeproxy/ -run '^$' -bench BenchmarkOfflineList -benchtime 1x -v
//	go test ./test/integration/edgeproxy/ -run '^$' -bench BenchmarkCutToCache -benchtime 1x -v
//	go test ./test/integration/edgeproxy/ -run '^$' -bench BenchmarkAgentRSS -benchtime 1x -v

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// createPods creates n pods that no node matches (they stay pending:
// objects of realistic size that nothing changes).
func createPods(b *testing.B, c kubernetes.Interface, ns string, n int) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				_, err := c.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%05d", i), Labels: map[string]string{"app": "bench", "tier": "edge"}},
					Spec: corev1.PodSpec{NodeSelector: map[string]string{"bench": "nowhere"}, Containers: []corev1.Container{{
						Name: "app", Image: "registry.example/app:1.2.3", Args: []string{"--port=8080", "--verbose"},
						Ports:     []corev1.ContainerPort{{ContainerPort: 8080}},
						Env:       []corev1.EnvVar{{Name: "SITE", Value: "paris"}, {Name: "MODE", Value: "edge"}},
						Resources: corev1.ResourceRequirements{},
					}}},
				}, metav1.CreateOptions{})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

// BenchmarkLatency: latency added by the proxy to a get and to a list of
// 500 pods, against the API server directly, on loopback, for JSON and
// protobuf clients. Requests alternate between the two paths.
func BenchmarkLatency(b *testing.B) {
	srv := testenv.Shared(b)
	direct := srv.Client(b)
	ns := testenv.Namespace(b, direct)
	createPods(b, direct, ns, 500)
	// The agent's probe settings (1s interval, 2s timeout), not the tests'
	// quicker ones: on a starved machine a 1s probe timeout can call the
	// cloud unreachable, which cuts reads in flight.
	e := startEdge(b, srv, edgeOptions{tweak: func(c *edgeproxy.Config) { c.ProbeInterval, c.ProbeTimeout = 0, 0 }})
	admin := srv.RestConfig(b)
	// The proxy reaches the API server through the test's relay (the link
	// the other tests cut), one more socket hop that is not the proxy's:
	// requests also go direct through the same relay ("via link"), and the
	// added time is given against both direct paths.
	viaLink := rest.CopyConfig(admin)
	viaLink.Host = "https://" + e.relay.Addr()
	for _, proto := range []bool{false, true} {
		cfgDirect, cfgLink, cfgProxy := withJSON(admin), withJSON(viaLink), withJSON(e.config(admin))
		name := "json"
		if proto {
			cfgDirect, cfgLink, cfgProxy, name = withProtobuf(admin), withProtobuf(viaLink), withProtobuf(e.config(admin)), "protobuf"
		}
		// No client-side rate limit: it would be measured too.
		cfgDirect, cfgLink, cfgProxy = rest.CopyConfig(cfgDirect), rest.CopyConfig(cfgLink), rest.CopyConfig(cfgProxy)
		cfgDirect.QPS, cfgLink.QPS, cfgProxy.QPS = -1, -1, -1
		cd, _ := kubernetes.NewForConfig(cfgDirect)
		cl, _ := kubernetes.NewForConfig(cfgLink)
		cp, _ := kubernetes.NewForConfig(cfgProxy)
		for _, op := range []struct {
			name string
			n    int
			fn   func(kubernetes.Interface) error
		}{
			{"get", 2000, func(c kubernetes.Interface) error {
				_, err := c.CoreV1().Pods(ns).Get(context.Background(), "pod-00042", metav1.GetOptions{})
				return err
			}},
			{"list-500", 200, func(c kubernetes.Interface) error {
				l, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
				if err == nil && len(l.Items) != 500 {
					err = fmt.Errorf("%d pods", len(l.Items))
				}
				return err
			}},
		} {
			for range 20 { // warm up connections and caches
				_ = op.fn(cd)
				_ = op.fn(cl)
				_ = op.fn(cp)
			}
			// Several rounds; in each, requests alternate between the
			// paths, so all see the same load from the rest of the
			// machine. Reported: the median over rounds of each
			// percentile, the added time and the ratio proxy/direct.
			const rounds = 5
			var p50d, p99d, p50l, p50p, p99p, added50, added99, addedLink50, ratio50 []float64
			for round := range rounds {
				var dd, dl, dp []time.Duration
				for range op.n / rounds {
					for _, side := range []struct {
						c kubernetes.Interface
						d *[]time.Duration
					}{{cd, &dd}, {cl, &dl}, {cp, &dp}} {
						start := time.Now()
						if err := op.fn(side.c); err != nil {
							b.Fatal(err)
						}
						*side.d = append(*side.d, time.Since(start))
					}
				}
				d50, d99, l50, x50, x99 := percentile(dd, .5), percentile(dd, .99), percentile(dl, .5), percentile(dp, .5), percentile(dp, .99)
				b.Logf("%-8s %-9s round %d: direct p50 %s p99 %s | via link p50 %s | proxy p50 %s p99 %s", name, op.name, round,
					ms(d50), ms(d99), ms(l50), ms(x50), ms(x99))
				p50d, p99d, p50l, p50p, p99p = append(p50d, msf(d50)), append(p99d, msf(d99)), append(p50l, msf(l50)), append(p50p, msf(x50)), append(p99p, msf(x99))
				added50, added99, addedLink50 = append(added50, msf(x50-d50)), append(added99, msf(x99-d99)), append(addedLink50, msf(x50-l50))
				ratio50 = append(ratio50, float64(x50)/float64(d50))
			}
			b.Logf("%-8s %-9s MEDIAN of %d rounds: direct p50 %.3f ms p99 %.3f ms | via link p50 %.3f ms | proxy p50 %.3f ms p99 %.3f ms | added p50 %.3f ms p99 %.3f ms | added p50 vs via link %.3f ms | proxy/direct p50 %.2fx",
				name, op.name, rounds, median(p50d), median(p99d), median(p50l), median(p50p), median(p99p), median(added50), median(added99), median(addedLink50), median(ratio50))
			b.ReportMetric(median(added50), name+"-"+op.name+"-added-p50-ms")
			b.ReportMetric(median(addedLink50), name+"-"+op.name+"-added-vs-link-p50-ms")
		}
	}
}

func msf(d time.Duration) float64 { return float64(d) / 1e6 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkOfflineList: lists of 5,000 pods answered from the cache while
// the cloud is unreachable.
func BenchmarkOfflineList(b *testing.B) {
	srv := testenv.Shared(b)
	direct := srv.Client(b)
	ns := testenv.Namespace(b, direct)
	start := time.Now()
	createPods(b, direct, ns, 5000)
	b.Logf("created 5000 pods in %s", time.Since(start).Round(time.Second))
	e := startEdge(b, srv, edgeOptions{})
	admin := srv.RestConfig(b)
	clients := map[string]kubernetes.Interface{"json": e.client(withJSON(admin)), "protobuf": e.client(withProtobuf(admin))}
	for name, c := range clients {
		start := time.Now()
		if _, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{}); err != nil {
			b.Fatal(err)
		}
		b.Logf("%-8s online list of 5000 through the proxy (recorded): %s", name, ms(time.Since(start)))
	}
	// The API server's own answer to the same request, online, for
	// comparison (the response received, not decoded).
	accepts := map[string]string{"json": "application/json", "protobuf": "application/vnd.kubernetes.protobuf"}
	directP50 := map[string]time.Duration{}
	for _, name := range []string{"protobuf", "json"} {
		ds, size := rawLists(b, admin, ns, accepts[name], "")
		directP50[name] = percentile(ds, .5)
		b.Logf("%-8s online list of 5000 pods direct from the API server, response received (%.1f MiB): p50 %s p99 %s", name, float64(size)/(1<<20), ms(percentile(ds, .5)), ms(percentile(ds, .99)))
	}
	e.cut((*faultrelay.Relay).Refuse)
	for _, name := range []string{"protobuf", "json"} {
		c := clients[name]
		var ds []time.Duration
		testenv.Eventually(b, time.Minute, "recorded", func() error {
			_, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
			return err
		})
		for range 30 {
			start := time.Now()
			l, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil || len(l.Items) != 5000 {
				b.Fatalf("offline list: %v", err)
			}
			ds = append(ds, time.Since(start))
		}
		b.Logf("%-8s offline list of 5000 pods, client-go decoding included: p50 %s p99 %s", name, ms(percentile(ds, .5)), ms(percentile(ds, .99)))
		// The proxy's part: the whole response received, not decoded.
		ds, size := rawLists(b, e.config(admin), ns, accepts[name], "hit")
		b.Logf("%-8s offline list of 5000 pods from the cache, response received (%.1f MiB): p50 %s p99 %s (%.2fx the API server's online p50)",
			name, float64(size)/(1<<20), ms(percentile(ds, .5)), ms(percentile(ds, .99)), float64(percentile(ds, .5))/float64(directP50[name]))
		b.ReportMetric(float64(percentile(ds, .5))/1e6, name+"-offline-list-5000-p50-ms")
	}
	st := e.proxy.Store().Stats()
	b.Logf("cache: %d views, %.1f MiB of data, file %.1f MiB", st.Views, float64(st.Bytes)/(1<<20), float64(st.FileBytes)/(1<<20))
}

// rawLists lists the pods of ns 30 times with cfg, reading the whole
// response without decoding it; cache is the X-Outpost-Edge-Cache value
// every answer must carry ("" for the API server itself).
func rawLists(b *testing.B, cfg *rest.Config, ns, accept, cache string) ([]time.Duration, int) {
	b.Helper()
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var ds []time.Duration
	size := 0
	for range 30 {
		req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(cfg.Host, "/")+"/api/v1/namespaces/"+ns+"/pods", nil)
		req.Header.Set("Accept", accept)
		start := time.Now()
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get(edgeproxy.CacheHeader) != cache {
			b.Fatalf("list: %v %s (cache %q)", err, resp.Status, resp.Header.Get(edgeproxy.CacheHeader))
		}
		ds = append(ds, time.Since(start))
		size = int(n)
	}
	return ds, size
}

// BenchmarkCutToCache: time from the link breaking to a client's read
// being answered from the cache, for a refused link and for a blackholed
// one (nothing answers; the health probe has to time out), with the
// default probe settings (1s interval, 2s timeout, 2 failures).
func BenchmarkCutToCache(b *testing.B) {
	srv := testenv.Shared(b)
	direct := srv.Client(b)
	ns := testenv.Namespace(b, direct)
	e := startEdge(b, srv, edgeOptions{tweak: func(c *edgeproxy.Config) {
		c.ProbeInterval, c.ProbeTimeout, c.FailureThreshold = 0, 0, 0 // defaults
	}})
	cfg := e.config(srv.RestConfig(b))
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := cfg.Host + "/api/v1/namespaces/" + ns + "/configmaps"
	// get reads once; true if the cache answered.
	get := func() (bool, error) {
		resp, err := hc.Get(url)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("%s", resp.Status)
		}
		return resp.Header.Get(edgeproxy.CacheHeader) == "hit", nil
	}
	if _, err := get(); err != nil {
		b.Fatal(err)
	}
	for _, cut := range []struct {
		name string
		fn   func(*faultrelay.Relay)
	}{{"refused", (*faultrelay.Relay).Refuse}, {"blackholed", (*faultrelay.Relay).Blackhole}} {
		var ds []time.Duration
		for round := range 5 {
			// A client reads every 10ms; measure from the cut to its first
			// answer from the cache. The cut comes once the client has been
			// answered by the cloud (right after a restore, a read on a
			// connection the relay reset may still be answered from the
			// cache).
			online := make(chan struct{})
			got := make(chan time.Time, 1)
			quit := make(chan struct{})
			go func() {
				seenCloud := false
				for {
					select {
					case <-quit:
						return
					default:
					}
					hit, err := get()
					switch {
					case err == nil && !hit && !seenCloud:
						seenCloud = true
						close(online)
					case err == nil && hit && seenCloud:
						got <- time.Now()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			<-online
			time.Sleep(300 * time.Millisecond)
			start := time.Now()
			cut.fn(e.relay)
			at := <-got
			close(quit)
			ds = append(ds, at.Sub(start))
			b.Logf("%-10s round %d: served from the cache %s after the cut", cut.name, round, ms(at.Sub(start)))
			e.restore()
			time.Sleep(time.Second)
		}
		b.Logf("%-10s median %s, worst %s", cut.name, ms(percentile(ds, .5)), ms(percentile(ds, 1)))
	}
}

// BenchmarkAgentRSS: resident memory of an idle agent with a warm cache
// (lists of 500 and 5000 pods in JSON and protobuf, an informer), for the
// all-in-one outpost binary and for the proxy linked alone.
func BenchmarkAgentRSS(b *testing.B) {
	srv := testenv.Shared(b)
	direct := srv.Client(b)
	ns := testenv.Namespace(b, direct)
	createPods(b, direct, ns, 5000)
	bin, err := testenv.Binary()
	if err != nil {
		b.Fatal(err)
	}
	lean := filepath.Join(b.TempDir(), "leanagent")
	build := exec.Command("go", "build", "-o", lean, "github.com/outpost-edge/outpost/internal/edgeproxy/leanagent")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the lean agent: %v\n%s", err, out)
	}
	relay, err := faultrelay.Start(fmt.Sprintf("127.0.0.1:%d", srv.Port))
	if err != nil {
		b.Fatal(err)
	}
	defer relay.Close()
	kc := kubeconfigVia(b, srv, relay.Addr())
	pkiDir := filepath.Join(srv.DataDir, "pki")
	fpCert, fpKey := filepath.Join(pkiDir, "front-proxy-client.crt"), filepath.Join(pkiDir, "front-proxy-client.key")
	for _, agent := range []struct {
		name string
		args func(dataDir, listen string) []string
		path string
	}{
		{"outpost agent", func(d, l string) []string {
			return []string{"agent", "--kubeconfig", kc, "--data-dir", d, "--proxy-listen", l, "--proxy-admin-listen", "0",
				"--proxy-front-proxy-cert", fpCert, "--proxy-front-proxy-key", fpKey}
		}, bin},
		{"proxy alone", func(d, l string) []string {
			return []string{"-kubeconfig", kc, "-data-dir", d, "-listen", l, "-front-proxy-cert", fpCert, "-front-proxy-key", fpKey}
		}, lean},
	} {
		dataDir := b.TempDir()
		port, _ := testenv.FreePort()
		listen := fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(agent.path, agent.args(dataDir, listen)...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		caFile := edgeproxy.ProxyCAFile(dataDir)
		var c, cp kubernetes.Interface
		testenv.Eventually(b, time.Minute, "agent up", func() error {
			ca, err := os.ReadFile(caFile)
			if err != nil {
				return err
			}
			cfg := srv.RestConfig(b)
			cfg.Host, cfg.CAData, cfg.CAFile = "https://"+listen, ca, ""
			c, _ = kubernetes.NewForConfig(cfg)
			cp, _ = kubernetes.NewForConfig(withProtobuf(cfg))
			_, err = c.Discovery().ServerVersion()
			return err
		})
		for _, cl := range []kubernetes.Interface{c, cp} {
			for _, opts := range []metav1.ListOptions{{}, {Limit: 500}} {
				if _, err := cl.CoreV1().Pods(ns).List(context.Background(), opts); err != nil {
					b.Fatal(err)
				}
			}
		}
		f := informers.NewSharedInformerFactoryWithOptions(cp, 0, informers.WithNamespace(ns))
		inf := f.Core().V1().Pods().Informer()
		stopInf := make(chan struct{})
		f.Start(stopInf)
		cache.WaitForCacheSync(stopInf, inf.HasSynced)
		time.Sleep(20 * time.Second) // idle
		rss := procStatus(b, cmd.Process.Pid)
		b.Logf("%-14s idle with a warm cache: VmRSS %s (anonymous %s, file-backed %s, of which the cache file bbolt maps %d kB)",
			agent.name, rss["VmRSS"], rss["RssAnon"], rss["RssFile"], mappedKB(b, cmd.Process.Pid, ".db"))
		close(stopInf)
		f.Shutdown()
	}
}

// mappedKB sums the resident kB of the mappings of files whose name ends
// with suffix (the bbolt cache file: resident pages of it are the page
// cache, shared and reclaimable, counted in RSS because bbolt reads it
// through mmap).
func mappedKB(b *testing.B, pid int, suffix string) int {
	b.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	total, in := 0, false
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"):
			in = strings.HasSuffix(fields[len(fields)-1], suffix)
		case in && len(fields) == 3 && fields[0] == "Rss:":
			kb, _ := strconv.Atoi(fields[1])
			total += kb
		}
	}
	return total
}

func procStatus(b *testing.B, pid int) map[string]string {
	b.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}
