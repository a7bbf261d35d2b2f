// Package trust verifies the tunnel's TLS peers against the tunnel CA. The
// tunnel CA is private to Outpost and issues only replica and node
// certificates, so the chain and the certificate's role (organization and
// key usage) identify a peer; host names are not checked, because agents
// reach replicas by whatever address or DNS name the operator gave them.
package trust

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// CAHash is the kubeadm-style pin of a CA: sha256 of its public key info.
func CAHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// VerifyChain checks that rawCerts (leaf first) chain to a root in pool,
// for usage, and that the leaf belongs to organization org. It returns the
// leaf.
func VerifyChain(rawCerts [][]byte, pool *x509.CertPool, usage x509.ExtKeyUsage, org string) (*x509.Certificate, error) {
	if len(rawCerts) == 0 {
		return nil, errors.New("no certificate presented")
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, err
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return nil, err
	}
	if org != "" && !slices.Contains(certs[0].Subject.Organization, org) {
		return nil, fmt.Errorf("certificate %q is not of %s", certs[0].Subject.CommonName, org)
	}
	return certs[0], nil
}

// PinnedPool finds, among the certificates a server presented, the CA whose
// public key matches hash, and returns a pool holding it: how an agent that
// has only a bootstrap token and the CA hash from the join command learns
// the CA without trusting the network.
func PinnedPool(rawCerts [][]byte, hash string) (*x509.CertPool, *x509.Certificate, error) {
	for _, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			continue
		}
		if c.IsCA && CAHash(c) == hash {
			p := x509.NewCertPool()
			p.AddCert(c)
			return p, c, nil
		}
	}
	return nil, nil, fmt.Errorf("server presented no CA with public key hash %s", hash)
}
