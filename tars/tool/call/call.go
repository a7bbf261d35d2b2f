// Package call is "outpost call": it invokes any function of any TARS
// servant with JSON arguments, typed by the servant's .tars file, and
// prints the results as JSON, the way grpcurl does for gRPC:
//
//	outpost call -idl Interop.tars -endpoint 'tcp -h 127.0.0.1 -p 10000' \
//	    Outpost.Interop.EchoObj echoPoint '{"v":{"x":1,"y":2}}'
//	{
//	  "tars_ret": {"x": 1, "y": 2, "label": "origin"}
//	}
//
// The IDL is loaded at run time (idl.Load) and turned into the same
// descriptors generated code carries (package dynamic), so arguments and
// results follow the JSON protocol's conventions (servant.ArgsFromJSON):
// structs are objects keyed by member name, enums are numbers, byte vectors
// are arrays or base64 strings, int64 stays exact. The return value is
// "tars_ret" and each out-parameter appears under its name. Without a
// function name the servant's functions are listed.
//
// The whole command is Main, so that the outpost CLI embeds it.
package call

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/dynamic"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Exit statuses.
const (
	ExitOK     = 0
	ExitFailed = 1 // the call failed: a non-zero iRet, a timeout, no connection
	ExitUsage  = 2 // bad flags, IDL, function or arguments: nothing was sent
)

// Main runs the command with args (flags, then servant, function and JSON
// arguments) and returns the exit status. name is the command name used in
// messages.
func Main(name string, args []string, stdout, stderr io.Writer) int {
	cmd, code := parse(name, args, stderr)
	if cmd == nil {
		return code
	}
	cmd.stdout, cmd.stderr = stdout, stderr
	return cmd.run()
}

type command struct {
	name           string
	stdout, stderr io.Writer

	idl, includes   listFlag
	endpoints       string
	locator, setID  string
	iface           string
	timeout         time.Duration
	ctxKV, statusKV mapFlag
	protocol        string
	oneway, compact bool
	verbose         bool
	tlsCA           string
	tlsInsecure     bool

	obj, fn string
	jsonArg []byte
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type mapFlag map[string]string

func (m *mapFlag) String() string { return fmt.Sprint(map[string]string(*m)) }
func (m *mapFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return errors.New("want key=value")
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
	return nil
}

func parse(name string, args []string, stderr io.Writer) (*command, int) {
	c := &command{name: name}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&c.idl, "idl", "`file`.tars defining the servant's interface (repeatable)")
	fs.Var(&c.includes, "I", "search `dir` for #include files (repeatable)")
	fs.StringVar(&c.endpoints, "endpoint", "", "TARS `endpoints` of the servant, e.g. 'tcp -h 127.0.0.1 -p 10000' (or write servant@endpoints)")
	fs.StringVar(&c.locator, "locator", os.Getenv(locator.EnvLocator), "registry `proxy` resolving servants given without endpoints, e.g. 'tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890' (default $"+locator.EnvLocator+")")
	fs.StringVar(&c.setID, "set", "", "resolve with set routing, as a caller in `set` name.area.group")
	fs.StringVar(&c.iface, "interface", "", "`Module.Interface` to take the function from, when several define it")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Second, "call timeout, sent to the server as iTimeout")
	fs.Var(&c.ctxKV, "context", "`key=value` for the request context map (repeatable)")
	fs.Var(&c.statusKV, "status", "`key=value` for the request status map (repeatable)")
	fs.StringVar(&c.protocol, "protocol", "tars", "request encoding: tars (iVersion 1) or json (iVersion 5)")
	fs.BoolVar(&c.oneway, "oneway", false, "send a oneway call (no reply is awaited)")
	fs.BoolVar(&c.compact, "compact", false, "print the results on one line")
	fs.BoolVar(&c.verbose, "v", false, "also print the reply's context and status maps to stderr")
	fs.StringVar(&c.tlsCA, "tls-ca", "", "dial TLS, trusting the CA certificates in `file` (PEM)")
	fs.BoolVar(&c.tlsInsecure, "tls-insecure", false, "dial TLS without verifying the server's certificate")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s -idl file.tars [flags] servant[@endpoints] [function ['{json args}' | -]]\n", name)
		fmt.Fprintf(stderr, "Calls function with JSON arguments keyed by parameter name and prints the results.\n"+
			"Without a function, lists the functions the IDL defines.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, ExitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 || len(rest) > 3 || len(c.idl) == 0 {
		fs.Usage()
		return nil, ExitUsage
	}
	c.obj = rest[0]
	if len(rest) > 1 {
		c.fn = rest[1]
	}
	c.jsonArg = []byte("{}")
	if len(rest) > 2 {
		c.jsonArg = []byte(rest[2])
	}
	if c.protocol != "tars" && c.protocol != "json" {
		fmt.Fprintf(stderr, "%s: -protocol %q: want tars or json\n", name, c.protocol)
		return nil, ExitUsage
	}
	return c, ExitOK
}

func (c *command) errorf(code int, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.name, fmt.Sprintf(format, args...))
	return code
}

func (c *command) run() int {
	ifaces, err := dynamic.Load(c.idl, c.includes)
	if err != nil {
		return c.errorf(ExitUsage, "%v", err)
	}
	if c.fn == "" {
		c.list(ifaces)
		return ExitOK
	}
	_, m, err := dynamic.Method(ifaces, c.iface, c.fn)
	if err != nil {
		return c.errorf(ExitUsage, "%v", err)
	}
	if string(c.jsonArg) == "-" {
		if c.jsonArg, err = io.ReadAll(os.Stdin); err != nil {
			return c.errorf(ExitUsage, "read arguments: %v", err)
		}
	}
	req, err := c.request(m)
	if err != nil {
		return c.errorf(ExitUsage, "arguments for %s: %v", m.Name, err)
	}
	cl, closeClient, err := c.client()
	if err != nil {
		return c.errorf(ExitUsage, "%v", err)
	}
	defer closeClient()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	resp, err := cl.Invoke(ctx, req)
	if err != nil {
		code, desc := servant.Result(err)
		return c.errorf(ExitFailed, "%s.%s failed: iRet=%d%s sResultDesc=%q", cl.Object(), m.Name, code, codeName(code), desc)
	}
	if c.oneway {
		return ExitOK
	}
	if c.verbose {
		fmt.Fprintf(c.stderr, "iRet: %d\ncontext: %v\nstatus: %v\n", resp.Ret, resp.Context, resp.Status)
	}
	if resp.Ret != protocol.ServerSuccess {
		return c.errorf(ExitFailed, "%s.%s failed: iRet=%d%s sResultDesc=%q", cl.Object(), m.Name, resp.Ret, codeName(resp.Ret), resp.ResultDesc)
	}
	out := resp.Buffer
	if req.Version == protocol.VersionTars {
		if out, err = servant.ResultsToJSON(m, resp.Buffer); err != nil {
			return c.errorf(ExitFailed, "decode results of %s: %v", m.Name, err)
		}
	}
	return c.print(out)
}

func codeName(code int32) string {
	if n := protocol.ResultCodeName(code); n != "" {
		return " (" + n + ")"
	}
	return ""
}

// request encodes the call. JSON arguments are checked against the IDL in
// both protocols, so that type errors are reported before anything is sent.
func (c *command) request(m *servant.MethodDesc) (*protocol.RequestPacket, error) {
	args, err := servant.ArgsFromJSON(m, c.jsonArg)
	if err != nil {
		return nil, err
	}
	req := &protocol.RequestPacket{Version: protocol.VersionTars, FuncName: m.Name, Buffer: args,
		Context: c.ctxKV, Status: c.statusKV}
	if c.protocol == "json" {
		req.Version, req.Buffer = protocol.VersionJSON, c.jsonArg
	}
	if c.oneway {
		req.PacketType = protocol.PacketOneway
	}
	return req, nil
}

// client returns a client for the servant: direct to its endpoints, or
// resolved through the registry given with -locator.
func (c *command) client() (*client.Client, func(), error) {
	proxy := c.obj
	if c.endpoints != "" {
		if strings.Contains(c.obj, "@") {
			return nil, nil, errors.New("give the endpoints either with -endpoint or as servant@endpoints, not both")
		}
		proxy += "@" + c.endpoints
	}
	p, err := endpoint.ParseProxy(proxy)
	if err != nil {
		return nil, nil, err
	}
	opts := []client.Option{client.WithTimeout(c.timeout), client.WithDialTimeout(c.timeout)}
	if cfg, err := c.tlsConfig(p.Endpoints); err != nil {
		return nil, nil, err
	} else if cfg != nil {
		opts = append(opts, client.WithTLS(cfg))
	}
	// One call: a query, no push subscription.
	cfg := locator.Config{Locator: c.locator, SetID: c.setID, NoPush: true, Timeout: c.timeout}
	return locator.NewClient(proxy, cfg, opts...)
}

func (c *command) tlsConfig(eps []endpoint.Endpoint) (*tls.Config, error) {
	ssl := false
	for _, e := range eps {
		ssl = ssl || e.Proto == endpoint.SSL
	}
	if c.tlsCA == "" && !c.tlsInsecure && !ssl {
		return nil, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: c.tlsInsecure}
	if c.tlsCA != "" {
		pem, err := os.ReadFile(c.tlsCA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificates", c.tlsCA)
		}
	}
	return cfg, nil
}

func (c *command) print(out []byte) int {
	var buf bytes.Buffer
	var err error
	if c.compact {
		err = json.Compact(&buf, out)
	} else {
		err = json.Indent(&buf, out, "", "  ")
	}
	if err != nil {
		return c.errorf(ExitFailed, "bad JSON results %q: %v", out, err)
	}
	buf.WriteByte('\n')
	c.stdout.Write(buf.Bytes())
	return ExitOK
}
