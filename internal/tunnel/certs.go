package tunnel

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Node certificate records. Each node may use exactly one certificate: the
// last one issued to it, whose serial is kept in ConfigMap
// kube-system/outpost-tunnel-cert-<node>. An agent presenting any other
// certificate of the tunnel CA is refused, so revoking is deleting (or
// replacing) the record: `outpost token revoke` deletes the records of the
// certificates issued with that token, deleting the Node deletes its record,
// and a node joining again replaces it. Replicas watch the records and drop
// connected sessions whose certificate is no longer the recorded one.
const (
	certRecordPrefix = "outpost-tunnel-cert-"
	// LabelCertRecord marks certificate records; LabelTokenID names the
	// bootstrap token a certificate was first obtained with (kept across
	// renewals, so revoking the token revokes the node's line).
	LabelCertRecord = "outpost.io/tunnel-cert"
	LabelTokenID    = "outpost.io/token-id"
)

// ErrCertRevoked is returned for a certificate that is not its node's
// recorded one.
var ErrCertRevoked = errors.New("node certificate revoked or superseded")

// ErrNodeTaken refuses a join, with a token not bound to the node, under a
// node name that holds a valid certificate.
var ErrNodeTaken = errors.New("join refused")

// objectName derives an object name from a node name, hashing names that
// would be too long with the prefix.
func objectName(prefix, node string) string {
	if len(prefix)+len(node) <= 253 {
		return prefix + node
	}
	sum := sha256.Sum256([]byte(node))
	return prefix + node[:200] + "-" + hex.EncodeToString(sum[:8])
}

func serialOf(c *x509.Certificate) string { return c.SerialNumber.Text(16) }

type certRecords struct {
	client kubernetes.Interface
}

// record makes cert the only one node may use. With expect nil it
// replaces any record; otherwise only the record seen by held (its
// resourceVersion, "" for none), so two joins racing for a free name
// cannot both win: the loser gets ErrNodeTaken.
func (c *certRecords) record(ctx context.Context, node, tokenID string, cert *x509.Certificate, expect *string) error {
	cms := c.client.CoreV1().ConfigMaps(SystemNamespace)
	want := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: objectName(certRecordPrefix, node), Namespace: SystemNamespace,
			Labels: map[string]string{LabelCertRecord: "true", LabelTokenID: tokenID}},
		Data: map[string]string{
			"node": node, "serial": serialOf(cert), "token-id": tokenID,
			"not-after": cert.NotAfter.UTC().Format(time.RFC3339),
		},
	}
	if expect != nil {
		var err error
		if *expect == "" {
			_, err = cms.Create(ctx, want, metav1.CreateOptions{})
		} else {
			want.ResourceVersion = *expect
			_, err = cms.Update(ctx, want, metav1.UpdateOptions{})
		}
		if apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) {
			return fmt.Errorf("%w: node %s was joined by another request meanwhile", ErrNodeTaken, node)
		}
		return err
	}
	for {
		cm, err := cms.Get(ctx, want.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = cms.Create(ctx, want, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		want.ResourceVersion = cm.ResourceVersion
		_, err = cms.Update(ctx, want, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		return err
	}
}

// check returns the token ID the node's line was issued with, or
// ErrCertRevoked. It reads the API server, not a cache, so a revocation is
// effective for every connection attempt after it.
func (c *certRecords) check(ctx context.Context, node string, cert *x509.Certificate) (string, error) {
	cm, err := c.client.CoreV1().ConfigMaps(SystemNamespace).Get(ctx, objectName(certRecordPrefix, node), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("%w: node %s has no certificate on record (deleted node or revoked token)", ErrCertRevoked, node)
	}
	if err != nil {
		return "", err
	}
	if cm.Data["node"] != node || cm.Data["serial"] != serialOf(cert) {
		return "", fmt.Errorf("%w: node %s, serial %s is not the current one", ErrCertRevoked, node, serialOf(cert))
	}
	return cm.Data["token-id"], nil
}

// held reports whether the node holds a certificate that has not expired
// yet (an expired record may be replaced by a join), with its expiry, and
// the record's resourceVersion ("" for none) for record's expect.
func (c *certRecords) held(ctx context.Context, node string) (notAfter time.Time, ok bool, rv string, _ error) {
	cm, err := c.client.CoreV1().ConfigMaps(SystemNamespace).Get(ctx, objectName(certRecordPrefix, node), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return time.Time{}, false, "", nil
	}
	if err != nil {
		return time.Time{}, false, "", err
	}
	if cm.Data["node"] != node {
		return time.Time{}, false, cm.ResourceVersion, nil
	}
	notAfter, err = time.Parse(time.RFC3339, cm.Data["not-after"])
	if err != nil {
		// An unreadable record counts as held: refusing is the safe side.
		return time.Time{}, true, cm.ResourceVersion, nil
	}
	return notAfter, time.Now().Before(notAfter), cm.ResourceVersion, nil
}

func (c *certRecords) forget(ctx context.Context, node string) error {
	err := c.client.CoreV1().ConfigMaps(SystemNamespace).Delete(ctx, objectName(certRecordPrefix, node), metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// RevokeToken revokes the certificates issued with bootstrap token id (the
// token's Secret itself is deleted by token.Revoke). It returns the nodes
// whose certificates were revoked.
func RevokeToken(ctx context.Context, client kubernetes.Interface, id string) ([]string, error) {
	cms := client.CoreV1().ConfigMaps(SystemNamespace)
	list, err := cms.List(ctx, metav1.ListOptions{LabelSelector: LabelCertRecord + "=true," + LabelTokenID + "=" + id})
	if err != nil {
		return nil, err
	}
	var nodes []string
	for _, cm := range list.Items {
		if err := cms.Delete(ctx, cm.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return nodes, err
		}
		nodes = append(nodes, cm.Data["node"])
	}
	return nodes, nil
}
