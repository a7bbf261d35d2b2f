// Package etcd_test checks the production HA path: servers that keep their
// state in an external etcd cluster instead of SQLite.
package etcd_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/pki"
	"github.com/outpost-edge/outpost/internal/replica"
	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// etcdTLS is the TLS material of the test's etcd: it requires client
// certificates, as a production etcd does.
type etcdTLS struct{ ca, cert, key string }

// startEtcd runs a real single-member etcd server in the test process,
// serving clients over mutual TLS.
func startEtcd(t *testing.T) (string, etcdTLS) {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(dir, "etcd-ca", "etcd-ca")
	if err != nil {
		t.Fatal(err)
	}
	creds := etcdTLS{ca: ca.CertFile, cert: filepath.Join(dir, "client.crt"), key: filepath.Join(dir, "client.key")}
	if err := ca.Issue(pki.Leaf{CommonName: "outpost", Client: true}, creds.cert, creds.key); err != nil {
		t.Fatal(err)
	}
	serverCert, serverKey := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := ca.Issue(pki.Leaf{CommonName: "etcd", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Server: true}, serverCert, serverKey); err != nil {
		t.Fatal(err)
	}

	cfg := embed.NewConfig()
	cfg.Dir = filepath.Join(dir, "data")
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.ClientTLSInfo = transport.TLSInfo{
		CertFile: serverCert, KeyFile: serverKey, TrustedCAFile: ca.CertFile, ClientCertAuth: true,
	}
	clientPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	peerPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	clientURL, _ := url.Parse(fmt.Sprintf("https://127.0.0.1:%d", clientPort))
	peerURL, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", peerPort))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*clientURL}, []url.URL{*clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peerURL}, []url.URL{*peerURL}
	cfg.InitialCluster = cfg.Name + "=" + peerURL.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(time.Minute):
		t.Fatal("etcd not ready")
	}
	return clientURL.String(), creds
}

func TestTwoServersShareAnExternalEtcd(t *testing.T) {
	endpoint, creds := startEtcd(t)
	args := []string{"--datastore-endpoint", endpoint,
		"--datastore-cafile", creds.ca, "--datastore-certfile", creds.cert, "--datastore-keyfile", creds.key}
	first := testenv.StartServer(t, testenv.ServerOptions{Args: args})
	client := first.Client(t)
	ns := testenv.Namespace(t, client)
	_, err := client.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "in-etcd"}, Data: map[string]string{"k": "v"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The object is in etcd itself, under the API server's usual key.
	tlsCfg, err := (transport.TLSInfo{CertFile: creds.cert, KeyFile: creds.key, TrustedCAFile: creds.ca}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, TLS: tlsCfg, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := etcd.Get(ctx, "/registry/configmaps/"+ns+"/in-etcd")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("the ConfigMap is not in etcd: %d keys", len(resp.Kvs))
	}

	// A second server with its own data dir on the same etcd serves the same
	// objects: this is how Outpost runs highly available.
	second := testenv.StartServer(t, testenv.ServerOptions{Args: args})
	got, err := second.Client(t).CoreV1().ConfigMaps(ns).Get(t.Context(), "in-etcd", metav1.GetOptions{})
	if err != nil || got.Data["k"] != "v" {
		t.Fatalf("second server does not see the first's ConfigMap: %v %v", got, err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "both replicas live", func() error {
		ids, err := replica.Live(t.Context(), client)
		if err != nil {
			return err
		}
		if len(ids) != 2 {
			return fmt.Errorf("live replicas %v", ids)
		}
		return nil
	})

	// One replica going away leaves the cluster served by the other.
	first.Kill()
	if _, err := second.Client(t).CoreV1().ConfigMaps(ns).Get(t.Context(), "in-etcd", metav1.GetOptions{}); err != nil {
		t.Fatalf("after the first server died: %v", err)
	}
}
