package tunnel

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/pki"
	"github.com/outpost-edge/outpost/internal/tunnel/trust"
)

const (
	// SystemNamespace holds the CA Secret, node certificate records and
	// node ownership Leases.
	SystemNamespace = "kube-system"
	// CASecret holds the tunnel CA (tls.crt, tls.key), shared by every
	// replica; created once by whichever replica comes first.
	CASecret = "outpost-tunnel-ca"
	// PublicNamespace and CAConfigMap publish the CA certificate (not the
	// key) so clients (`outpost ssh`, joining agents via the hash in the
	// join command) can verify the server.
	PublicNamespace = "kube-public"
	CAConfigMap     = "outpost-tunnel-ca"
)

// sharedCA is the tunnel CA. It signs replica serving and peer certificates
// and node client certificates; it is not the cluster CA, so a node
// certificate grants nothing against the API server.
type sharedCA struct {
	*pki.CA
}

// loadOrCreateCA reads the CA Secret, creating it on first use. Two replicas
// starting together both try to create it; the loser of the race reads the
// winner's, so all replicas share one CA (KubeEdge #5922 lost every edge node
// when two cloudcores raced to create theirs).
func loadOrCreateCA(ctx context.Context, client kubernetes.Interface) (*sharedCA, error) {
	secrets := client.CoreV1().Secrets(SystemNamespace)
	for attempt := 0; ; attempt++ {
		sec, err := secrets.Get(ctx, CASecret, metav1.GetOptions{})
		if err == nil {
			ca, err := parseCA(sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey])
			if err != nil {
				return nil, fmt.Errorf("secret %s/%s: %w", SystemNamespace, CASecret, err)
			}
			return ca, publishCA(ctx, client, ca)
		}
		if !apierrors.IsNotFound(err) || attempt > 0 {
			return nil, fmt.Errorf("tunnel CA: %w", err)
		}
		certPEM, keyPEM, err := newCA()
		if err != nil {
			return nil, err
		}
		_, err = secrets.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: CASecret, Namespace: SystemNamespace},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM},
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("tunnel CA: %w", err)
		}
		// Created, or lost the race: read back whichever was stored.
	}
}

func publishCA(ctx context.Context, client kubernetes.Interface, ca *sharedCA) error {
	if err := allowReadingCA(ctx, client); err != nil {
		return err
	}
	cms := client.CoreV1().ConfigMaps(PublicNamespace)
	want := map[string]string{"ca.crt": string(ca.CertPEM()), "ca-cert-hash": CAHash(ca.Cert)}
	cm, err := cms.Get(ctx, CAConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: CAConfigMap, Namespace: PublicNamespace},
			Data:       want,
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	if err != nil || cm.Data["ca-cert-hash"] == want["ca-cert-hash"] {
		return err
	}
	cm.Data = want
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}

// CAHash is the pin of the tunnel CA that join commands carry.
func CAHash(cert *x509.Certificate) string { return trust.CAHash(cert) }

func newCA() (certPEM, keyPEM []byte, err error) {
	key, err := pki.NewKey()
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: fmt.Sprintf("outpost-tunnel-ca@%d", now.Unix())},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

func parseCA(certPEM, keyPEM []byte) (*sharedCA, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, errors.New("not a CA certificate")
	}
	s, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("CA key cannot sign")
	}
	return &sharedCA{&pki.CA{Cert: cert, Key: s}}, nil
}

func (ca *sharedCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// issue signs a fresh key pair for leaf.
func (ca *sharedCA) issue(leaf pki.Leaf) (tls.Certificate, error) {
	key, err := pki.NewKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := ca.Sign(leaf, key.Public())
	if err != nil {
		return tls.Certificate{}, err
	}
	leafCert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key, Leaf: leafCert}, nil
}

// servingLeaf is the replica's certificate: serving for agents and users,
// client for forwarding to peer replicas.
func (s *Server) servingLeaf() pki.Leaf {
	leaf := pki.Leaf{
		CommonName:   PeerCommonNamePrefix + s.cfg.ServerID,
		Organization: []string{PeerOrganization},
		DNSNames:     []string{"localhost"},
		IPs:          []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		Server:       true,
		Client:       true,
	}
	if h, err := os.Hostname(); err == nil {
		leaf.DNSNames = append(leaf.DNSNames, h)
	}
	for _, n := range append([]string{s.cfg.AdvertiseHost}, s.cfg.SANs...) {
		if ip := net.ParseIP(n); ip != nil {
			leaf.IPs = append(leaf.IPs, ip)
		} else if n != "" {
			leaf.DNSNames = append(leaf.DNSNames, n)
		}
	}
	return leaf
}

// PeerOrganization marks replica certificates; PeerCommonNamePrefix starts
// their common name. A node certificate never carries them.
const (
	PeerOrganization     = "outpost:tunnel-replicas"
	PeerCommonNamePrefix = "outpost-tunnel-replica:"
	// NodeOrganization and NodeCommonNamePrefix mark node certificates.
	NodeOrganization     = "outpost:tunnel-nodes"
	NodeCommonNamePrefix = "outpost-tunnel-node:"
)

// allowReadingCA lets every authenticated user read the published CA, as
// kubeadm does for kube-public/cluster-info: `outpost ssh` needs it to
// verify the proxy before the user's own permissions are checked there.
func allowReadingCA(ctx context.Context, client kubernetes.Interface) error {
	const name = "outpost-tunnel-ca-reader"
	_, err := client.RbacV1().Roles(PublicNamespace).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: PublicNamespace},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"},
			ResourceNames: []string{CAConfigMap}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("role %s/%s: %w", PublicNamespace, name, err)
	}
	_, err = client.RbacV1().RoleBindings(PublicNamespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: PublicNamespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "Group", Name: "system:authenticated"}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("role binding %s/%s: %w", PublicNamespace, name, err)
	}
	return nil
}
