package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/server"
	"github.com/outpost-edge/outpost/tars/tool/bench"
)

func TestRunCounts(t *testing.T) {
	var n atomic.Int64
	rep, err := bench.Run(t.Context(), bench.Config{Concurrency: 4, Calls: 1000}, func(int) bench.Caller {
		return func(context.Context) (int32, error) {
			if n.Add(1)%10 == 0 {
				return -1, errors.New("every tenth fails")
			}
			return 0, nil
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls != 1000 || rep.Errors != 100 || rep.Codes[0] != 900 || rep.Codes[-1] != 100 ||
		rep.Samples[-1] != "every tenth fails" || rep.Latency.Count() != 1000 {
		t.Fatalf("report = %+v", rep)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, want := range []string{"calls 1000  errors 100", "p999", "      -1         100   10.00%  every tenth fails", "0-10    ms"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

func TestRunRateWarmupAndProgress(t *testing.T) {
	var progress bytes.Buffer
	var calls atomic.Int64
	start := time.Now()
	rep, err := bench.Run(t.Context(), bench.Config{Concurrency: 2, Calls: 50, Rate: 1000,
		Warmup: 20 * time.Millisecond, Progress: &progress, Interval: 5 * time.Millisecond},
		func(int) bench.Caller {
			return func(context.Context) (int32, error) {
				calls.Add(1)
				time.Sleep(100 * time.Microsecond)
				return 0, nil
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	// 50 calls paced at 1000/s after a 20 ms warm-up cannot finish sooner.
	if el := time.Since(start); el < 20*time.Millisecond+49*time.Millisecond {
		t.Errorf("rate not applied: took %v", el)
	}
	if rep.Calls != 50 || calls.Load() <= 50 {
		t.Errorf("counted %d of %d calls (warm-up calls must not count)", rep.Calls, calls.Load())
	}
	if !strings.Contains(progress.String(), "(warm-up)") || !strings.Contains(progress.String(), "qps") {
		t.Errorf("progress = %q", progress.String())
	}
	if _, err := bench.Run(t.Context(), bench.Config{}, nil); err == nil {
		t.Error("a run with neither duration nor calls started")
	}
}

func TestRunDuration(t *testing.T) {
	rep, err := bench.Run(t.Context(), bench.Config{Concurrency: 3, Duration: 30 * time.Millisecond}, func(int) bench.Caller {
		return func(ctx context.Context) (int32, error) {
			select {
			case <-time.After(time.Millisecond):
				return 0, nil
			case <-ctx.Done():
				return -7, ctx.Err()
			}
		}
	})
	if err != nil || rep.Calls == 0 || rep.Errors != 0 {
		t.Fatalf("report %+v, %v (calls cut short by the end must not count)", rep, err)
	}
}

const idlFile = "../../examples/interop-server/Interop.tars"

func serve(t *testing.T) string {
	srv := server.New(server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(echo.Echo{}))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return ad.Endpoint().String()
}

func TestMainCommand(t *testing.T) {
	ep := serve(t)
	run := func(args ...string) (int, map[string]any, string) {
		var out, errb bytes.Buffer
		code := bench.Main("outpost bench", args, &out, &errb)
		var rep map[string]any
		json.Unmarshal(out.Bytes(), &rep)
		return code, rep, errb.String()
	}
	code, rep, errs := run("-idl", idlFile, "-endpoint", ep, "-n", "300", "-c", "4", "-json", "-q", "-payload", "64", echo.Obj, "echoBytes")
	if code != bench.ExitOK || rep["calls"] != 300.0 || rep["codes"].(map[string]any)["0"] != 300.0 {
		t.Fatalf("echoBytes: %d %v %s", code, rep, errs)
	}
	lat := rep["latency_us"].(map[string]any)
	if lat["min"].(float64) <= 0 || lat["p50"].(float64) < lat["min"].(float64) || lat["max"].(float64) < lat["p999"].(float64) {
		t.Errorf("latencies %v", lat)
	}
	code, rep, errs = run("-idl", idlFile, "-n", "40", "-c", "2", "-json", "-q", echo.Obj+"@"+ep, "fail", `{"code":-42,"message":"boom"}`)
	if code != bench.ExitErrors || rep["codes"].(map[string]any)["-42"] != 40.0 ||
		!strings.Contains(rep["error_samples"].(map[string]any)["-42"].(string), "boom") {
		t.Fatalf("fail: %d %v %s", code, rep, errs)
	}
	var out, errb bytes.Buffer
	if code := bench.Main("b", []string{"-idl", idlFile, "-endpoint", ep, "-n", "20", "-interval", "1ms", echo.Obj, "addSub", `{"a":1,"b":2}`},
		&out, &errb); code != 0 || !strings.Contains(out.String(), "Outpost.Interop.EchoObj.addSub  concurrency 16") ||
		!strings.Contains(out.String(), "calls 20  errors 0") {
		t.Fatalf("text: %d %s %s", code, out.String(), errb.String())
	}
	for _, bad := range [][]string{
		{"-idl", idlFile, "-endpoint", ep, "-payload", "8", echo.Obj, "addSub"},
		{"-idl", idlFile, "-endpoint", ep, "-payload", "8", echo.Obj, "echoInt"},
		{"-idl", idlFile, "-endpoint", ep, echo.Obj, "nope"},
		{"-idl", idlFile, echo.Obj, "echoInt", `{"v":1}`},
		{"-endpoint", ep, echo.Obj, "echoInt"},
	} {
		if code, _, errs := run(bad...); code != bench.ExitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errs)
		}
	}
}
