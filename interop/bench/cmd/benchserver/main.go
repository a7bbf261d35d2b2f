// Command benchserver serves the echo benchmark with one implementation:
//
//	benchserver -impl outpost|tarsgo|grpc|tcp|inline -port N
//
// outpost and tarsgo serve Outpost.Interop.EchoObj (Interop.tars); grpc a
// unary echo with a pass-through codec; tcp a bare length-prefixed echo,
// one goroutine per connection; inline the same servant as "serial TARS"
// (see serveInline). It runs until killed.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"
	"google.golang.org/grpc"

	"github.com/outpost-edge/outpost/interop/bench/internal/peer"
	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/interop/tarsgo/echoimpl"
	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
	"github.com/outpost-edge/outpost/tars/server"
)

func main() {
	impl := flag.String("impl", "outpost", "outpost, tarsgo, grpc, tcp or inline (serial TARS)")
	port := flag.Int("port", 0, "listen port on 127.0.0.1")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to `file` until SIGTERM or SIGINT")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		go func() {
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
			<-sig
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	var err error
	switch *impl {
	case "outpost":
		err = serveOutpost(*port)
	case "tarsgo":
		err = serveTarsGo(*port)
	case "grpc":
		err = serveGRPC(*port)
	case "tcp":
		err = serveTCP(*port)
	case "inline":
		err = serveInline(*port)
	default:
		err = fmt.Errorf("unknown -impl %q", *impl)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func serveOutpost(port int) error {
	srv := server.New()
	ad, err := srv.Listen(fmt.Sprintf("tcp -h 127.0.0.1 -p %d -t 600000", port))
	if err != nil {
		return err
	}
	ad.Handle(peer.Obj, interop.NewEchoDispatcher(echo.Echo{}))
	return srv.Serve()
}

func serveTarsGo(port int) error {
	dir, err := os.MkdirTemp("", "benchserver")
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "server.conf")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, peer.TarsGoConfig, dir, port), 0o600); err != nil {
		return err
	}
	tars.ServerConfigPath = cfg
	tars.GetServerConfig()
	rogger.SetLevel(rogger.OFF)
	tars.AddServantWithContext(new(Interop.Echo), new(echoimpl.Echo), peer.Obj)
	tars.Run()
	return nil
}

func serveGRPC(port int) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	s := grpc.NewServer(grpc.ForceServerCodec(peer.RawCodec{}))
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "bench.Echo",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Echo", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var b []byte
			if err := dec(&b); err != nil {
				return nil, err
			}
			return &b, nil
		}}},
	}, struct{}{})
	return s.Serve(ln)
}

func serveTCP(port int) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	for {
		nc, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer nc.Close()
			r := bufio.NewReader(nc)
			var in, out []byte
			for {
				if in, err = peer.ReadFrame(r, in); err != nil {
					return
				}
				if out, err = peer.WriteFrame(nc, out, in); err != nil {
					return
				}
			}
		}()
	}
}

// serveInline is "serial TARS", a reference point: a TARS server with no
// concurrency at all, decoding, dispatching and answering each request on
// the reading goroutine. Its latency with one call in flight is the floor
// for any TARS implementation (the codec and framing on top of bare TCP).
func serveInline(port int) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	d := interop.NewEchoDispatcher(echo.Echo{})
	for {
		nc, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer nc.Close()
			fr := protocol.NewFrameReader(bufio.NewReader(nc), 0)
			var w codec.Writer
			for {
				body, err := fr.Next()
				if err != nil {
					return
				}
				var req protocol.RequestPacket
				if req.Decode(body) != nil {
					return
				}
				resp := protocol.ResponsePacket{Version: req.Version, RequestID: req.RequestID}
				if err := d.Dispatch(context.Background(), &req, &resp); err != nil {
					resp.Ret, resp.ResultDesc = servant.Result(err)
				}
				w.Reset()
				protocol.WriteFrame(&w, &resp)
				if _, err := nc.Write(w.Bytes()); err != nil {
					return
				}
			}
		}()
	}
}
