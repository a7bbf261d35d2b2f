// Command leanagent runs the edge API proxy alone, linked without the rest
// of Outpost. It exists to measure what the proxy itself costs in memory,
// apart from the all-in-one outpost binary whose package initialisation
// (all of Kubernetes) dominates the agent's resident set; see
// docs/performance.md. It is not shipped.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
)

func main() {
	var cfg edgeproxy.Config
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cloud API server")
	admin := flag.String("admin-listen", "127.0.0.1:0", "address of /healthz, /readyz and /metrics")
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:10261", "proxy address")
	flag.StringVar(&cfg.DataDir, "data-dir", "", "cache and PKI directory")
	flag.StringVar(&cfg.FrontProxyCertFile, "front-proxy-cert", "", "front-proxy client certificate")
	flag.StringVar(&cfg.FrontProxyKeyFile, "front-proxy-key", "", "front-proxy client key")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cloud, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfg.Cloud = cloud
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	p, err := edgeproxy.New(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { _ = p.ServeAdmin(ctx, *admin, reg) }()
	if err := p.Run(ctx, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
