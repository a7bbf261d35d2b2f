package edgeproxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/outpost-edge/outpost/internal/pki"
)

// Files of the agent's own PKI, under <DataDir>/pki.
const (
	proxyCAName      = "proxy-ca"
	proxyServingName = "proxy-serving"
)

// ProxyCAFile is where the agent keeps the CA of its serving certificate,
// which local clients trust.
func ProxyCAFile(dataDir string) string {
	return filepath.Join(dataDir, "pki", proxyCAName+".crt")
}

// setupServing loads or issues the serving certificate and prepares the
// TLS configuration that verifies client certificates.
func (p *Proxy) setupServing(clientCA *x509.CertPool) error {
	var cert tls.Certificate
	var err error
	if p.cfg.ServingCertFile != "" {
		cert, err = tls.LoadX509KeyPair(p.cfg.ServingCertFile, p.cfg.ServingKeyFile)
		if err != nil {
			return fmt.Errorf("edge proxy: serving certificate: %w", err)
		}
	} else {
		dir := filepath.Join(p.cfg.DataDir, "pki")
		ca, err := pki.LoadOrCreateCA(dir, proxyCAName, "outpost-edge-proxy-ca")
		if err != nil {
			return fmt.Errorf("edge proxy: CA: %w", err)
		}
		leaf := pki.Leaf{CommonName: "outpost-edge-proxy", Server: true}
		sans := p.cfg.ServingSANs
		if len(sans) == 0 {
			sans = []string{"localhost", "127.0.0.1", "::1"}
			if host, _, err := net.SplitHostPort(p.cfg.Listen); err == nil && host != "" {
				if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
					sans = append(sans, host)
				}
			}
		}
		for _, s := range sans {
			if ip := net.ParseIP(s); ip != nil {
				leaf.IPs = append(leaf.IPs, ip)
			} else {
				leaf.DNSNames = append(leaf.DNSNames, s)
			}
		}
		certFile, keyFile := filepath.Join(dir, proxyServingName+".crt"), filepath.Join(dir, proxyServingName+".key")
		if err := ca.Issue(leaf, certFile, keyFile); err != nil {
			return fmt.Errorf("edge proxy: serving certificate: %w", err)
		}
		if cert, err = tls.LoadX509KeyPair(certFile, keyFile); err != nil {
			return fmt.Errorf("edge proxy: serving certificate: %w", err)
		}
		p.caPEM = ca.CertPEM()
	}
	if p.caPEM == nil {
		if b, err := os.ReadFile(ProxyCAFile(p.cfg.DataDir)); err == nil {
			p.caPEM = b
		}
	}
	p.serving = &tls.Config{
		Certificates: []tls.Certificate{cert},
		// Certificate-less clients (bearer tokens, anonymous) are welcome;
		// a certificate, when given, must chain to the cluster CA.
		ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs:  clientCA,
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
	}
	return nil
}
