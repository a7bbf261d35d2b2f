// Package bench is "outpost bench", a load generator for TARS servants in
// the manner of TarsBenchmark (tb): it calls one function of a servant
// from many workers for a duration or a number of calls, optionally at a
// fixed rate, shows a live progress line, and reports QPS, the result-code
// histogram and the latency distribution (min, avg, p50, p90, p99, p99.9,
// max):
//
//	outpost bench -idl Interop.tars -endpoint 'tcp -h 127.0.0.1 -p 10000' \
//	    -c 100 -d 10s -payload 1024 Outpost.Interop.EchoObj echoBytes
//
// Arguments are JSON typed by the IDL, as for outpost call, or, for echo
// functions taking one string or vector<byte>, a generated payload of
// -payload bytes. Requests are encoded once; each call then costs what
// the client costs, and latencies go into per-worker HDR-style histograms
// (Histogram) that allocate nothing per call.
//
// Run is the load engine on its own: it drives any Caller, which is how
// the side-by-side benchmarks put other RPC stacks under the same load.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/dynamic"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Exit statuses.
const (
	ExitOK     = 0
	ExitErrors = 1 // the run completed but some calls failed
	ExitUsage  = 2
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// Main runs the command with args (flags, then servant, function and
// optional JSON arguments) and returns the exit status.
func Main(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var idlFiles, includes listFlag
	fs.Var(&idlFiles, "idl", "`file`.tars defining the servant's interface (repeatable)")
	fs.Var(&includes, "I", "search `dir` for #include files (repeatable)")
	eps := fs.String("endpoint", "", "TARS `endpoints` of the servant (or write servant@endpoints)")
	loc := fs.String("locator", os.Getenv(locator.EnvLocator), "registry `proxy` resolving a servant given without endpoints (default $"+locator.EnvLocator+"); endpoint changes are pushed during the run")
	iface := fs.String("interface", "", "`Module.Interface` to take the function from, when several define it")
	var cfg Config
	fs.IntVar(&cfg.Concurrency, "c", 16, "concurrent callers (calls in flight)")
	fs.DurationVar(&cfg.Duration, "d", 10*time.Second, "run `duration` (unless -n is set)")
	fs.Int64Var(&cfg.Calls, "n", 0, "total `calls` to make instead of running for -d")
	fs.Float64Var(&cfg.Rate, "rate", 0, "limit to `qps` calls per second in total (0: as fast as possible)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "run this long before measuring")
	fs.DurationVar(&cfg.Interval, "interval", time.Second, "progress line period")
	conns := fs.Int("conns", 1, "connections per endpoint")
	timeout := fs.Duration("timeout", 3*time.Second, "per-call timeout")
	payload := fs.Int("payload", -1, "for a function taking one string or vector<byte>: send `n` bytes")
	asJSON := fs.Bool("json", false, "print the final report as JSON")
	quiet := fs.Bool("q", false, "no progress line")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s -idl file.tars [flags] servant[@endpoints] function ['{json args}']\n\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	rest := fs.Args()
	if len(rest) < 2 || len(rest) > 3 || len(idlFiles) == 0 {
		fs.Usage()
		return ExitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "%s: %s\n", name, fmt.Sprintf(format, a...))
		return ExitUsage
	}
	ifaces, err := dynamic.Load(idlFiles, includes)
	if err != nil {
		return fail("%v", err)
	}
	_, m, err := dynamic.Method(ifaces, *iface, rest[1])
	if err != nil {
		return fail("%v", err)
	}
	jsonArgs := "{}"
	if len(rest) == 3 {
		jsonArgs = rest[2]
	}
	buf, err := encodeArgs(m, jsonArgs, *payload)
	if err != nil {
		return fail("arguments for %s: %v", m.Name, err)
	}
	proxy := rest[0]
	if *eps != "" {
		proxy += "@" + *eps
	}
	c, closeClient, err := locator.NewClient(proxy, locator.Config{Locator: *loc},
		client.WithTimeout(*timeout), client.WithConnsPerEndpoint(*conns))
	if err != nil {
		return fail("%v", err)
	}
	defer closeClient()

	if !*quiet {
		cfg.Progress = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := Run(ctx, cfg, func(int) Caller { return TarsCaller(c, m.Name, buf) })
	if err != nil {
		return fail("%v", err)
	}
	if *asJSON {
		rep.WriteJSON(stdout)
	} else {
		fmt.Fprintf(stdout, "%s.%s  concurrency %d  connections %d\n", c.Object(), m.Name, cfg.Concurrency, *conns)
		rep.WriteText(stdout)
	}
	if rep.Errors > 0 {
		return ExitErrors
	}
	return ExitOK
}

// TarsCaller returns a Caller that calls fn with the encoded arguments args
// through c.
func TarsCaller(c *client.Client, fn string, args []byte) Caller {
	req := &protocol.RequestPacket{Version: protocol.VersionTars, FuncName: fn, Buffer: args}
	return func(ctx context.Context) (int32, error) {
		req.Timeout = 0 // Invoke sets it to the time left
		resp, err := c.Invoke(ctx, req)
		if err != nil {
			code, _ := servant.Result(err)
			return code, err
		}
		if resp.Ret != 0 {
			return resp.Ret, &servant.Error{Code: resp.Ret, Message: resp.ResultDesc}
		}
		return 0, nil
	}
}

// encodeArgs builds the positional arguments: a generated payload for
// -payload, else the JSON arguments.
func encodeArgs(m *servant.MethodDesc, jsonArgs string, payload int) ([]byte, error) {
	if payload < 0 {
		return servant.ArgsFromJSON(m, []byte(jsonArgs))
	}
	var in []int
	for i, p := range m.Params {
		if !p.Out {
			in = append(in, i)
		}
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("-payload needs a function with one in-parameter, %s has %d", m.Name, len(in))
	}
	p := m.Params[in[0]]
	tag := byte(in[0] + 1)
	var w codec.Writer
	switch {
	case p.Type.Kind == servant.KindString:
		w.WriteString(tag, strings.Repeat("x", payload))
	case p.Type.Kind == servant.KindVector && p.Type.Elem.Kind == servant.KindByte:
		w.WriteBytes(tag, bytes.Repeat([]byte{'x'}, payload))
	default:
		t, _ := json.Marshal(p.Name)
		return nil, fmt.Errorf("-payload needs a string or vector<byte> parameter; %s is not", t)
	}
	return w.Bytes(), w.Err()
}
