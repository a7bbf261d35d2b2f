package controlplane

import (
	"fmt"
	"net"
	"os"

	"github.com/outpost-edge/outpost/internal/pki"
)

// Names of the certificates in the PKI directory.
const (
	certCA              = "ca"
	certFrontProxyCA    = "front-proxy-ca"
	certAPIServer       = "apiserver"
	certAdmin           = "admin"
	certControllerMgr   = "controller-manager"
	certScheduler       = "scheduler"
	certKubeletClient   = "apiserver-kubelet-client"
	certFrontProxyClnt  = "front-proxy-client"
	keyServiceAccount   = "service-account"
	frontProxyCN        = "front-proxy-client"
	serviceAccountIssue = "https://kubernetes.default.svc"
)

// ensureCerts creates the CAs and the service-account key on first start and
// issues every leaf certificate anew.
func ensureCerts(p Paths, sans []string, ips []net.IP) error {
	if err := os.MkdirAll(p.PKI(), 0o700); err != nil {
		return err
	}
	ca, err := pki.LoadOrCreateCA(p.PKI(), certCA, "outpost-ca")
	if err != nil {
		return err
	}
	frontCA, err := pki.LoadOrCreateCA(p.PKI(), certFrontProxyCA, "outpost-front-proxy-ca")
	if err != nil {
		return err
	}
	if err := pki.LoadOrCreateKey(p.Key(keyServiceAccount), p.join("pki", keyServiceAccount+".pub")); err != nil {
		return err
	}
	issue := func(ca *pki.CA, name string, leaf pki.Leaf) error {
		if err := ca.Issue(leaf, p.Cert(name), p.Key(name)); err != nil {
			return fmt.Errorf("issuing %s certificate: %w", name, err)
		}
		return nil
	}
	leaves := []struct {
		ca   *pki.CA
		name string
		leaf pki.Leaf
	}{
		{ca, certAPIServer, pki.Leaf{CommonName: "kube-apiserver", DNSNames: sans, IPs: ips, Server: true}},
		{ca, certAdmin, pki.Leaf{CommonName: "outpost-admin", Organization: []string{"system:masters"}, Client: true}},
		{ca, certControllerMgr, pki.Leaf{CommonName: "system:kube-controller-manager", Client: true}},
		{ca, certScheduler, pki.Leaf{CommonName: "system:kube-scheduler", Client: true}},
		{ca, certKubeletClient, pki.Leaf{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true}},
		{frontCA, certFrontProxyClnt, pki.Leaf{CommonName: frontProxyCN, Client: true}},
	}
	for _, l := range leaves {
		if err := issue(l.ca, l.name, l.leaf); err != nil {
			return err
		}
	}
	return nil
}
