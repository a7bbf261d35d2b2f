// Command benchrun runs the side-by-side RPC benchmark: for each round and
// each client→server pair it starts cmd/benchserver, runs cmd/benchclient
// at every concurrency and payload size, and at the end prints, as
// Markdown, the median over the rounds of QPS, p50 and p99 for every
// combination and the ratios the performance targets are stated in.
// Running every pair in every round, in a rotating order, keeps a noisy
// machine's slow moments from landing on one stack only.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type result struct {
	QPS       float64            `json:"qps"`
	Errors    int64              `json:"errors"`
	LatencyUS map[string]float64 `json:"latency_us"`
}

type key struct {
	client, server string
	c, size        int
}

func main() {
	bin := flag.String("bin", ".", "`dir`ectory holding benchserver and benchclient")
	rounds := flag.Int("rounds", 3, "rounds")
	dur := flag.Duration("d", 3*time.Second, "measured duration of each run")
	warmup := flag.Duration("warmup", time.Second, "warm-up of each run")
	concs := flag.String("conc", "1,16,100", "concurrencies")
	sizes := flag.String("sizes", "16,1024", "payload sizes in bytes")
	pairsFlag := flag.String("pairs", "outpost/outpost,tarsgo/tarsgo,grpc/grpc,outpost/tarsgo,tarsgo/outpost,tcp/tcp,inline/inline",
		"client/server pairs")
	rawOut := flag.String("raw", "", "also write every run's report as JSON lines to `file`")
	flag.Parse()

	var raw io.Writer = io.Discard
	if *rawOut != "" {
		f, err := os.Create(*rawOut)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		raw = f
	}
	cs, ss := ints(*concs), ints(*sizes)
	pairs := strings.Split(*pairsFlag, ",")
	results := map[key][]result{}
	loadBefore := loadavg()
	start := time.Now()
	for round := range *rounds {
		for i := range pairs {
			pair := pairs[(i+round)%len(pairs)]
			cl, sv, _ := strings.Cut(pair, "/")
			if err := runPair(*bin, cl, sv, cs, ss, *dur, *warmup, round, results, raw); err != nil {
				log.Fatalf("round %d %s: %v", round+1, pair, err)
			}
		}
	}
	report(os.Stdout, results, pairs, cs, ss, *rounds, *dur, *warmup, time.Since(start), loadBefore, loadavg())
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			log.Fatalf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out
}

func runPair(bin, cl, sv string, cs, ss []int, dur, warmup time.Duration, round int, results map[key][]result, raw io.Writer) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	srv := exec.Command(filepath.Join(bin, "benchserver"), "-impl", sv, "-port", strconv.Itoa(port))
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
	}()
	if err := waitListening(fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		return err
	}
	for _, size := range ss {
		for _, c := range cs {
			out, err := exec.Command(filepath.Join(bin, "benchclient"), "-impl", cl, "-port", strconv.Itoa(port),
				"-c", strconv.Itoa(c), "-size", strconv.Itoa(size), "-d", dur.String(), "-warmup", warmup.String()).Output()
			if err != nil {
				return fmt.Errorf("client %s c=%d size=%d: %v", cl, c, size, err)
			}
			var r result
			if err := json.Unmarshal(out, &r); err != nil {
				return fmt.Errorf("client output %q: %v", out, err)
			}
			k := key{cl, sv, c, size}
			results[k] = append(results[k], r)
			fmt.Fprintf(raw, "{\"round\":%d,\"client\":%q,\"server\":%q,\"c\":%d,\"size\":%d,\"report\":%s}\n",
				round+1, cl, sv, c, size, bytes.TrimSpace(out))
			fmt.Fprintf(os.Stderr, "round %d  %-8s -> %-8s c=%-3d size=%-5d qps %8.0f  p50 %7.0fus  p99 %7.0fus\n",
				round+1, cl, sv, c, size, r.QPS, r.LatencyUS["p50"], r.LatencyUS["p99"])
		}
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not listening on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// median summarises the rounds of one combination.
type median struct {
	qps, p50, p99 float64
	errors        int64
	n             int
}

func med(rs []result) median {
	if len(rs) == 0 {
		return median{}
	}
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	m := median{n: len(rs),
		qps: pick(func(r result) float64 { return r.QPS }),
		p50: pick(func(r result) float64 { return r.LatencyUS["p50"] }),
		p99: pick(func(r result) float64 { return r.LatencyUS["p99"] })}
	for _, r := range rs {
		m.errors += r.Errors
	}
	return m
}

var names = map[string]string{"outpost": "Outpost", "tarsgo": "TarsGo", "grpc": "gRPC-Go", "tcp": "bare TCP",
	"inline": "serial TARS"}

func report(w io.Writer, results map[key][]result, pairs []string, cs, ss []int, rounds int, dur, warmup, took time.Duration, loadBefore, loadAfter string) {
	fmt.Fprintf(w, "Go %s, %s/%s, %d CPUs; %d rounds of %v (+%v warm-up) per run; took %v; load average %s before, %s after.\n\n",
		strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), rounds, dur, warmup,
		took.Round(time.Second), loadBefore, loadAfter)
	fmt.Fprintln(w, "| client → server | c | payload | QPS | p50 (µs) | p99 (µs) | errors |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	for _, p := range pairs {
		cl, sv, _ := strings.Cut(p, "/")
		for _, size := range ss {
			for _, c := range cs {
				m := med(results[key{cl, sv, c, size}])
				fmt.Fprintf(w, "| %s → %s | %d | %d B | %.0f | %.0f | %.0f | %d |\n", names[cl], names[sv], c, size, m.qps, m.p50, m.p99, m.errors)
			}
		}
	}
	get := func(cl, sv string, c, size int) median { return med(results[key{cl, sv, c, size}]) }
	ratio := func(a, b float64) string {
		if b == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	fmt.Fprintln(w, "\nRatios (medians):")
	fmt.Fprintln(w, "\n| comparison | c | payload | QPS ratio | p99 ratio | p50 ratio |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	row := func(name string, a, b median, c, size int) {
		fmt.Fprintf(w, "| %s | %d | %d B | %s | %s | %s |\n", name, c, size, ratio(a.qps, b.qps), ratio(a.p99, b.p99), ratio(a.p50, b.p50))
	}
	for _, size := range ss {
		for _, c := range cs {
			oo := get("outpost", "outpost", c, size)
			row("end to end: Outpost / TarsGo", oo, get("tarsgo", "tarsgo", c, size), c, size)
			row("end to end: Outpost / gRPC-Go", oo, get("grpc", "grpc", c, size), c, size)
			row("server (Outpost load): Outpost / TarsGo", oo, get("outpost", "tarsgo", c, size), c, size)
			row("client (Outpost server): Outpost / TarsGo", oo, get("tarsgo", "outpost", c, size), c, size)
			row("end to end: Outpost / bare TCP", oo, get("tcp", "tcp", c, size), c, size)
			row("end to end: Outpost / serial TARS", oo, get("inline", "inline", c, size), c, size)
		}
	}
}
