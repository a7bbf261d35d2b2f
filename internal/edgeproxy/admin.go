package edgeproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminHandler serves /healthz (the proxy runs), /readyz (the proxy
// serves, from the cloud or from its cache; the body says which) and
// /metrics from gatherer.
func (p *Proxy) AdminHandler(gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		state, since := p.up.State()
		if state == Unknown {
			http.Error(w, "cloud: not probed yet", http.StatusServiceUnavailable)
			return
		}
		st := p.store.Stats()
		fmt.Fprintf(w, "ok\ncloud: %s since %s\ncache: %d views, %d bytes\n", state, since.UTC().Format(time.RFC3339), st.Views, st.Bytes)
	})
	if gatherer != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	}
	return mux
}

// ServeAdmin serves AdminHandler on addr (plain HTTP; bind it to
// loopback) until ctx ends.
func (p *Proxy) ServeAdmin(ctx context.Context, addr string, gatherer prometheus.Gatherer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("edge proxy admin: %w", err)
	}
	srv := &http.Server{Handler: p.AdminHandler(gatherer), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	p.log.Info("edge proxy health and metrics listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
