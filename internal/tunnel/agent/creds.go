package agent

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/outpost-edge/outpost/internal/tunnel/trust"
	"github.com/outpost-edge/outpost/internal/tunnel/wire"
)

// creds are the node's tunnel credentials, kept under <data-dir>/tunnel:
// node.key (made here, never sent), node.crt and the tunnel CA, ca.crt.
type creds struct {
	cert tls.Certificate
	ca   *x509.CertPool
}

func (a *Agent) path(name string) string { return filepath.Join(a.cfg.DataDir, "tunnel", name) }

// load reads the stored credentials; nil without error when there are none.
func (a *Agent) load() (*creds, error) {
	caPEM, err := os.ReadFile(a.path("ca.crt"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(a.path("node.crt"), a.path("node.key"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stored node certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no certificate", a.path("ca.crt"))
	}
	return &creds{cert: cert, ca: pool}, nil
}

// forget removes a certificate the server refused, so the next attempt
// joins again (with the bootstrap token, if one was given).
func (a *Agent) forget() {
	_ = os.Remove(a.path("node.crt"))
}

// needsRenewal: past two thirds of its lifetime, as kubelet does.
func (c *creds) needsRenewal(now time.Time) bool {
	leaf := c.cert.Leaf
	if leaf == nil {
		return false
	}
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return now.After(leaf.NotBefore.Add(life * 2 / 3))
}

// ErrJoin marks a join the server refused (bad, expired or revoked token;
// revoked certificate); the message is the server's.
var ErrJoin = errors.New("join refused")

// join exchanges the bootstrap token (or, to renew, the current
// certificate) for a node certificate, and stores it.
func (a *Agent) join(ctx context.Context, server string, current *creds) (*creds, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true} // verified below
	var pinned *x509.CertPool
	switch {
	case current != nil:
		tlsCfg.Certificates = []tls.Certificate{current.cert}
		tlsCfg.VerifyPeerCertificate = a.verifyServer(current.ca)
	case a.cfg.CAHash != "":
		tlsCfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			pool, _, err := trust.PinnedPool(raw, a.cfg.CAHash)
			if err != nil {
				return err
			}
			pinned = pool
			return a.verifyServer(pool)(raw, nil)
		}
	default:
		return nil, errors.New("cannot join: no --tunnel-ca-hash to verify the server (outpost token create prints it)")
	}
	if current == nil && a.cfg.Token == "" {
		return nil, fmt.Errorf("%w: no node certificate stored and no --tunnel-token to join with", ErrJoin)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	csrDER, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{Subject: pkix.Name{CommonName: a.cfg.Node}}, key)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{
		"node": a.cfg.Node, "csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})),
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+server+wire.JoinPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if current == nil {
		req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("server %s: %s", server, bytes.TrimSpace(data))
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest ||
			resp.StatusCode == http.StatusConflict { // the node name is taken: see tunnel.ErrNodeTaken
			err = fmt.Errorf("%w: %w", ErrJoin, err)
		}
		return nil, err
	}
	var jr struct{ Certificate, CA string }
	if err := json.Unmarshal(data, &jr); err != nil {
		return nil, fmt.Errorf("join response: %w", err)
	}
	if pinned == nil && current != nil {
		pinned = current.ca
	}
	// The CA returned must be the one verified on the connection.
	block, _ := pem.Decode([]byte(jr.CA))
	if block == nil {
		return nil, errors.New("join response: no CA")
	}
	caCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	if _, err := caCert.Verify(x509.VerifyOptions{Roots: pinned}); err != nil {
		return nil, fmt.Errorf("join response: CA differs from the one verified: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(a.path(""), 0o700); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"node.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
		{"ca.crt", []byte(jr.CA), 0o644},
		{"node.crt", []byte(jr.Certificate), 0o644}, // last: its presence means "joined"
	} {
		if err := writeFile(a.path(f.name), f.data, f.mode); err != nil {
			return nil, err
		}
	}
	c, err := a.load()
	if err == nil && c == nil {
		err = errors.New("credentials vanished after writing")
	}
	return c, err
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// verifyServer checks that the server is a replica certified by the
// tunnel CA (see package trust on why not by host name).
func (a *Agent) verifyServer(pool *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		_, err := trust.VerifyChain(raw, pool, x509.ExtKeyUsageServerAuth, PeerOrganization)
		return err
	}
}

// PeerOrganization is the organization of replica certificates (the same
// constant as the server's; repeated so the agent does not link the server).
const PeerOrganization = "outpost:tunnel-replicas"
