// Command leanagent is the tunnel agent alone, for measuring its memory
// without the rest of the outpost binary (whose Kubernetes packages take
// ~140 MiB of RSS at start whatever runs). BenchmarkFootprint runs it.
//
//	go build -o bin/tunnel-leanagent ./internal/tunnel/agent/leanagent
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/outpost-edge/outpost/internal/tunnel/agent"
)

func main() {
	var cfg agent.Config
	servers := flag.String("tunnel-server", "", "server addresses, comma-separated")
	allow := flag.String("tunnel-allow", "22,10250", "allowlist, comma-separated")
	flag.StringVar(&cfg.Token, "tunnel-token", "", "bootstrap token")
	flag.StringVar(&cfg.CAHash, "tunnel-ca-hash", "", "CA pin")
	flag.StringVar(&cfg.Node, "node-name", "", "node name")
	flag.StringVar(&cfg.DataDir, "data-dir", "", "data directory")
	flag.Parse()
	cfg.Servers, cfg.Allow = strings.Split(*servers, ","), strings.Split(*allow, ",")
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	a, err := agent.New(cfg, log)
	if err != nil {
		log.Error("agent", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	_ = a.Run(ctx)
}
