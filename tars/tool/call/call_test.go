package call_test

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/server"
	"github.com/outpost-edge/outpost/tars/tool/call"
)

const idlFile = "../../examples/interop-server/Interop.tars"

func serve(t *testing.T) string {
	t.Helper()
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

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = call.Main("outpost call", args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCalls(t *testing.T) {
	ep := serve(t)
	base := []string{"-idl", idlFile, "-endpoint", ep, echo.Obj}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"struct", []string{"echoPoint", `{"v":{"x":1,"y":2}}`}, `{"tars_ret":{"x":1,"y":2,"label":"origin"}}`},
		{"out params", []string{"addSub", `{"a":7,"b":3}`}, `{"tars_ret":10,"sum":10,"diff":4}`},
		{"int64 exact", []string{"echoLong", `{"v":-9223372036854775808}`}, `{"tars_ret":-9223372036854775808}`},
		{"vector of structs", []string{"summarize", `{"points":[{"x":1,"y":5,"label":"a"},{"x":-2,"y":9}]}`},
			`{"tars_ret":2,"bounds":[{"x":-2,"y":5,"label":"min"},{"x":1,"y":9,"label":"max"}],"labels":["a","origin"]}`},
		{"map", []string{"echoMap", `{"v":{"k":"v"}}`}, `{"tars_ret":{"k":"v"}}`},
		{"void", []string{"fail", `{"code":0,"message":""}`}, `{}`},
	} {
		code, out, errs := run(append(append([]string{"-compact"}, base...), c.args...)...)
		if code != call.ExitOK || strings.TrimSpace(out) != c.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %s", c.name, code, out, errs, c.want)
		}
	}
	// Indented by default.
	code, out, _ := run(append(base, "echoInt", `{"v":5}`)...)
	if code != 0 || out != "{\n  \"tars_ret\": 5\n}\n" {
		t.Errorf("indented output %q", out)
	}
}

func TestContextProtocolAndForms(t *testing.T) {
	ep := serve(t)
	code, out, errs := run("-compact", "-v", "-idl", idlFile, "-context", "user=alice", "-endpoint", ep, echo.Obj,
		"contextValue", `{"key":"user"}`)
	if code != 0 || strings.TrimSpace(out) != `{"tars_ret":"alice"}` || !strings.Contains(errs, "seen:yes") {
		t.Errorf("contextValue: %d %q %q", code, out, errs)
	}
	code, out, errs = run("-compact", "-protocol", "json", "-idl", idlFile, echo.Obj+"@"+ep, "addSub", `{"a":1,"b":2}`)
	if code != 0 || strings.TrimSpace(out) != `{"tars_ret":3,"sum":3,"diff":-1}` {
		t.Errorf("json protocol: %d %q %q", code, out, errs)
	}
	if code, out, errs := run("-oneway", "-idl", idlFile, "-endpoint", ep, echo.Obj, "echoInt", `{"v":1}`); code != 0 || out != "" {
		t.Errorf("oneway: %d %q %q", code, out, errs)
	}
	code, out, _ = run("-idl", idlFile, echo.Obj)
	if code != 0 || !strings.Contains(out, "Interop.Echo:") ||
		!strings.Contains(out, "int summarize(vector<Interop::Point> points, out vector<Interop::Point> bounds, out vector<string> labels)") {
		t.Errorf("list: %d %q", code, out)
	}
}

func TestFailures(t *testing.T) {
	ep := serve(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "tcp -h 127.0.0.1 -p " + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	for _, c := range []struct {
		name string
		args []string
		code int
		msgs []string
	}{
		{"iRet and desc", []string{"-idl", idlFile, "-endpoint", ep, echo.Obj, "fail", `{"code":-42,"message":"boom"}`},
			call.ExitFailed, []string{"iRet=-42", `sResultDesc="boom"`}},
		{"unknown function", []string{"-idl", idlFile, "-endpoint", ep, echo.Obj, "nope", `{}`},
			call.ExitUsage, []string{`no function "nope"`, "echoPoint"}},
		{"wrong type", []string{"-idl", idlFile, "-endpoint", ep, echo.Obj, "echoPoint", `{"v":{"x":"one","y":2}}`},
			call.ExitUsage, []string{"arguments for echoPoint", "v.x"}},
		{"missing argument", []string{"-idl", idlFile, "-endpoint", ep, echo.Obj, "addSub", `{"a":1}`},
			call.ExitUsage, []string{`"b" missing`}},
		{"bad JSON", []string{"-idl", idlFile, "-endpoint", ep, echo.Obj, "addSub", `{"a":`},
			call.ExitUsage, []string{"JSON arguments"}},
		{"unreachable", []string{"-idl", idlFile, "-endpoint", closed, echo.Obj, "echoInt", `{"v":1}`},
			call.ExitFailed, []string{"iRet=-8", "TARSPROXYCONNECTERR", "refused"}},
		{"timeout", []string{"-idl", idlFile, "-endpoint", ep, "-timeout", "50ms", echo.Obj, "sleepMs", `{"ms":10000}`},
			call.ExitFailed, []string{"iRet="}},
		{"no endpoint", []string{"-idl", idlFile, echo.Obj, "echoInt", `{"v":1}`},
			call.ExitUsage, []string{"no endpoints"}},
		{"bad IDL", []string{"-idl", "nope.tars", "-endpoint", ep, echo.Obj, "echoInt"},
			call.ExitUsage, []string{"nope.tars"}},
		{"no IDL", []string{"-endpoint", ep, echo.Obj, "echoInt"}, call.ExitUsage, []string{"usage:"}},
		{"bad protocol", []string{"-idl", idlFile, "-protocol", "xml", echo.Obj}, call.ExitUsage, []string{"-protocol"}},
	} {
		code, out, errs := run(c.args...)
		if code != c.code || out != "" {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr %q", c.name, code, c.code, out, errs)
			continue
		}
		for _, m := range c.msgs {
			if !strings.Contains(errs, m) {
				t.Errorf("%s: stderr %q lacks %q", c.name, errs, m)
			}
		}
	}
}
