package pki

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

func TestCAIsCreatedOnceAndIssuesVerifiableCerts(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cert.Equal(ca.Cert) {
		t.Fatal("a second LoadOrCreateCA made a new CA instead of loading the first")
	}

	certFile, keyFile := filepath.Join(dir, "srv.crt"), filepath.Join(dir, "srv.key")
	leaf := Leaf{CommonName: "kube-apiserver", DNSNames: []string{"kubernetes"}, IPs: []net.IP{net.IPv4(10, 43, 0, 1)}, Server: true}
	if err := ca.Issue(leaf, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	cert, _, err := LoadPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for _, name := range []string{"kubernetes", "10.43.0.1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("serving cert does not verify for %s: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("a serving-only certificate verified as a client certificate")
	}
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
}

func TestClientCertCarriesIdentity(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	c, k := filepath.Join(dir, "admin.crt"), filepath.Join(dir, "admin.key")
	if err := ca.Issue(Leaf{CommonName: "admin", Organization: []string{"system:masters"}, Client: true}, c, k); err != nil {
		t.Fatal(err)
	}
	cert, _, err := LoadPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "admin" || len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != "system:masters" {
		t.Errorf("subject = %v", cert.Subject)
	}
}

func TestServiceAccountKeyPersists(t *testing.T) {
	dir := t.TempDir()
	key, pub := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := LoadOrCreateKey(key, pub); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(key)
	if err := LoadOrCreateKey(key, pub); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(key)
	if string(first) != string(second) {
		t.Fatal("the service-account key changed; tokens issued before would stop verifying")
	}
}

func TestWriteKubeconfigEmbedded(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	c, k := filepath.Join(dir, "u.crt"), filepath.Join(dir, "u.key")
	if err := ca.Issue(Leaf{CommonName: "u", Client: true}, c, k); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kc")
	if err := WriteKubeconfig(path, "https://127.0.0.1:6443", ca.CertFile, c, k, true); err != nil {
		t.Fatal(err)
	}
	// An embedded kubeconfig keeps working when copied away from its files.
	for _, f := range []string{ca.CertFile, c, k} {
		os.Remove(f)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || len(cfg.TLSClientConfig.CAData) == 0 || len(cfg.TLSClientConfig.CertData) == 0 {
		t.Errorf("kubeconfig lacks embedded credentials: host %q", cfg.Host)
	}
}

func TestLoadPairRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	c, k := filepath.Join(dir, "c"), filepath.Join(dir, "k")
	os.WriteFile(c, []byte("not pem"), 0o600)
	os.WriteFile(k, []byte("not pem"), 0o600)
	if _, _, err := LoadPair(c, k); err == nil {
		t.Fatal("garbage loaded as a certificate")
	}
}
