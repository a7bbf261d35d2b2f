package controlplane

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/k3s-io/kine/pkg/drivers/generic"
	"github.com/k3s-io/kine/pkg/drivers/sqlite"
	"github.com/k3s-io/kine/pkg/endpoint"
	"github.com/k3s-io/kine/pkg/tls"
)

// datastoreEndpoints is what the API server needs to reach its storage.
type datastoreEndpoints struct {
	endpoints                 []string
	caFile, certFile, keyFile string
}

// startDatastore starts kine on SQLite in the data directory, or, with an
// external etcd endpoint, hands that straight to the API server (kine passes
// etcd endpoints through untouched). The returned func waits for kine to
// finish after ctx is cancelled.
func startDatastore(ctx context.Context, cfg Config, p Paths) (datastoreEndpoints, func(), error) {
	if cfg.DatastoreEndpoint != "" && isEtcd(cfg.DatastoreEndpoint) {
		return datastoreEndpoints{
			endpoints: strings.Split(cfg.DatastoreEndpoint, ","),
			caFile:    cfg.DatastoreCAFile, certFile: cfg.DatastoreCertFile, keyFile: cfg.DatastoreKeyFile,
		}, func() {}, nil
	}
	ep := cfg.DatastoreEndpoint
	if ep == "" {
		if err := os.MkdirAll(filepath.Dir(p.Database()), 0o700); err != nil {
			return datastoreEndpoints{}, nil, err
		}
		ep = "sqlite://" + p.Database() + "?" + sqlite.DefaultParams
	}
	var wg sync.WaitGroup
	etcd, err := endpoint.Listen(ctx, endpoint.Config{
		Endpoint:  ep,
		Listener:  "unix://" + kineSocket(p),
		WaitGroup: &wg,
		// kine's own command-line defaults; its library has none.
		NotifyInterval:      5 * time.Second,
		EmulatedETCDVersion: "3.6.11",
		CompactInterval:     5 * time.Minute,
		CompactTimeout:      5 * time.Second,
		CompactMinRetain:    1000,
		CompactBatchSize:    1000,
		PollBatchSize:       500,
		PollInterval:        time.Second,
		ConnectionPoolConfig: generic.ConnectionPoolConfig{
			MaxIdleTime: 2 * time.Minute,
		},
		BackendTLSConfig: tls.Config{
			CAFile: cfg.DatastoreCAFile, CertFile: cfg.DatastoreCertFile, KeyFile: cfg.DatastoreKeyFile,
		},
	})
	if err != nil {
		return datastoreEndpoints{}, nil, err
	}
	return datastoreEndpoints{endpoints: etcd.Endpoints}, wg.Wait, nil
}

func isEtcd(endpoint string) bool {
	return strings.HasPrefix(endpoint, "http://") || strings.HasPrefix(endpoint, "https://")
}

// kineSocket is the unix socket kine serves on, only reachable by this user.
// Socket paths are limited to about 100 bytes, so a deep data directory gets
// a socket in the temp directory named after it.
func kineSocket(p Paths) string {
	path := p.join("kine.sock")
	if len(path) < 100 {
		return path
	}
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(os.TempDir(), "outpost-kine-"+hex.EncodeToString(sum[:6])+".sock")
}
