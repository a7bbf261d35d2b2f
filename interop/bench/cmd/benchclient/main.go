// Command benchclient loads a benchserver with one client implementation
// through Outpost's bench.Run engine and prints its report as JSON:
//
//	benchclient -impl outpost|tarsgo|grpc|tcp|inline -port N -c 100 -size 16 -d 3s -warmup 1s
//
// The TARS clients call echoBytes (the Outpost one through the generated
// client, the TarsGo one through its tars2go-style proxy), gRPC calls a
// unary echo and tcp runs one length-prefixed ping-pong per worker, each
// on its own connection.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"runtime/pprof"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/outpost-edge/outpost/interop/bench/internal/peer"
	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/tool/bench"
)

func main() {
	impl := flag.String("impl", "outpost", "outpost, tarsgo, grpc, tcp or inline (serial TARS)")
	port := flag.Int("port", 0, "server port on 127.0.0.1")
	size := flag.Int("size", 16, "payload bytes")
	var cfg bench.Config
	flag.IntVar(&cfg.Concurrency, "c", 1, "calls in flight")
	flag.DurationVar(&cfg.Duration, "d", 3*time.Second, "measured duration")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "warm-up")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured run to `file`")
	flag.Parse()
	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = byte(i)
	}
	newCaller, closeFn, err := callers(*impl, fmt.Sprintf("127.0.0.1:%d", *port), payload)
	if err != nil {
		log.Fatal(err)
	}
	defer closeFn()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		// Profile from the end of the warm-up.
		time.AfterFunc(cfg.Warmup, func() { pprof.StartCPUProfile(f) })
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(context.Background(), cfg, newCaller)
	if err != nil {
		log.Fatal(err)
	}
	rep.WriteJSON(os.Stdout)
}

var errMismatch = errors.New("echo mismatch")

func callers(impl, addr string, payload []byte) (func(int) bench.Caller, func(), error) {
	host, port, _ := net.SplitHostPort(addr)
	tarsEP := fmt.Sprintf("tcp -h %s -p %s -t 600000", host, port)
	switch impl {
	case "outpost":
		c, err := client.New(peer.Obj + "@" + tarsEP)
		if err != nil {
			return nil, nil, err
		}
		e := interop.NewEchoClient(c)
		return func(int) bench.Caller {
			return func(ctx context.Context) (int32, error) {
				out, err := e.EchoBytes(ctx, payload)
				if err != nil {
					return -1, err
				}
				if len(out) != len(payload) {
					return -1, errMismatch
				}
				return 0, nil
			}
		}, func() { c.Close() }, nil
	case "tarsgo":
		rogger.SetLevel(rogger.OFF)
		comm := tars.NewCommunicator()
		p := new(Interop.Echo)
		comm.StringToProxy(peer.Obj+"@"+tarsEP, p)
		in := make([]int8, len(payload))
		for i, b := range payload {
			in[i] = int8(b)
		}
		return func(int) bench.Caller {
			return func(ctx context.Context) (int32, error) {
				out, err := p.EchoBytesWithContext(ctx, in)
				if err != nil {
					return -1, err
				}
				if len(out) != len(in) {
					return -1, errMismatch
				}
				return 0, nil
			}
		}, func() {}, nil
	case "grpc":
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(peer.RawCodec{})))
		if err != nil {
			return nil, nil, err
		}
		return func(int) bench.Caller {
			return func(ctx context.Context) (int32, error) {
				in, out := payload, []byte(nil)
				if err := conn.Invoke(ctx, peer.GRPCMethod, &in, &out); err != nil {
					return -1, err
				}
				if len(out) != len(payload) {
					return -1, errMismatch
				}
				return 0, nil
			}
		}, func() { conn.Close() }, nil
	case "inline":
		// "Serial TARS", a reference point: a TARS client with no
		// concurrency at all, each worker writing its request and reading
		// its reply on its own connection.
		return func(int) bench.Caller {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				return func(context.Context) (int32, error) { return -1, err }
			}
			fr := protocol.NewFrameReader(bufio.NewReader(nc), 0)
			var w, args codec.Writer
			args.WriteBytes(1, payload)
			var id int32
			return func(ctx context.Context) (int32, error) {
				id++
				w.Reset()
				protocol.WriteFrame(&w, &protocol.RequestPacket{Version: 1, RequestID: id, ServantName: peer.Obj,
					FuncName: "echoBytes", Buffer: args.Bytes(), Timeout: 3000})
				if _, err := nc.Write(w.Bytes()); err != nil {
					return -1, err
				}
				body, err := fr.Next()
				if err != nil {
					return -1, err
				}
				var resp protocol.ResponsePacket
				if err := resp.Decode(body); err != nil {
					return -1, err
				}
				return resp.Ret, nil
			}
		}, func() {}, nil
	case "tcp":
		return func(int) bench.Caller {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				return func(context.Context) (int32, error) { return -1, err }
			}
			r := bufio.NewReader(nc)
			var out, in []byte
			return func(ctx context.Context) (int32, error) {
				if out, err = peer.WriteFrame(nc, out, payload); err != nil {
					return -1, err
				}
				if in, err = peer.ReadFrame(r, in); err != nil {
					return -1, err
				}
				return 0, nil
			}
		}, func() {}, nil
	}
	return nil, nil, fmt.Errorf("unknown -impl %q", impl)
}
