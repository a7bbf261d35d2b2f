package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/server"
)

// ListenMessage is logged, with the bound address as "address", once the
// name service accepts calls; tests find a port chosen by the system there.
const ListenMessage = "TARS registry listening"

// Serve serves the name service (QueryObj, WatchObj, RegisterObj) from b on
// addr ("host:port") until ctx ends. It starts listening only once b's
// informers have synced, so that no client is told an object has no
// instances merely because the registry had not yet read them.
func (b *Backend) Serve(ctx context.Context, addr string) error {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("registry address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("registry address %q: bad port", addr)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	select {
	case <-ctx.Done():
		return nil
	case <-b.synced:
	}
	log := b.opts.Log.With("component", "tars-registry")
	reg := tarsregistry.New(tarsregistry.Config{Source: b, Registrar: b, Logger: log,
		Rules: tarsregistry.Rules{RegionOf: b.RegionOf, StrictLocal: b.StrictLocal}})
	defer reg.Close()
	serving.Store(reg)
	defer serving.CompareAndSwap(reg, nil)
	srv := server.New(server.WithLogger(log), server.WithInterceptors(observe))
	ep := endpoint.Endpoint{Proto: endpoint.TCP, Host: host, Port: port, Weight: -1}
	ad, err := srv.Listen(ep.String())
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	reg.Mount(ad)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	log.Info(ListenMessage, "address", ad.Addr().String())
	select {
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		<-served
		return nil
	case err := <-served:
		if errors.Is(err, server.ErrServerClosed) {
			return nil
		}
		return err
	}
}
