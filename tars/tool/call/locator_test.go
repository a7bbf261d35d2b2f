package call_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/devserver"
	"github.com/outpost-edge/outpost/tars/tool/call"
)

// TestCallThroughRegistry resolves the servant through a registry given
// with -locator.
func TestCallThroughRegistry(t *testing.T) {
	ep, err := endpoint.Parse(serve(t))
	if err != nil {
		t.Fatal(err)
	}
	d, err := devserver.Start(devserver.Config{Endpoint: "tcp -h 127.0.0.1 -p 0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Store.Set(registry.Instance{Object: echo.Obj, Endpoint: ep, Active: true})
	code, out, errs := run("-compact", "-idl", idlFile, "-locator", d.Locator(), echo.Obj, "echoInt", `{"v":7}`)
	if code != call.ExitOK || strings.TrimSpace(out) != `{"tars_ret":7}` {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// No endpoints and no locator: a usage error naming the way out.
	t.Setenv("OUTPOST_LOCATOR", "")
	code, _, errs = run("-idl", idlFile, echo.Obj, "echoInt", `{"v":7}`)
	if code != call.ExitUsage || !strings.Contains(errs, "OUTPOST_LOCATOR") {
		t.Fatalf("without locator: exit %d, stderr %q", code, errs)
	}
}
