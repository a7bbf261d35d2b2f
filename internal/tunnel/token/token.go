// Package token manages the bootstrap tokens edge agents join with. They are
// stock Kubernetes bootstrap tokens: Secrets of type
// bootstrap.kubernetes.io/token named bootstrap-token-<id> in kube-system,
// with an expiration the controller manager's tokencleaner honours. So
// kubeadm's tooling and `kubectl get secrets` see them as they expect, and
// the same token can also TLS-bootstrap a kubelet.
package token

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	bootstraputil "k8s.io/cluster-bootstrap/token/util"
	bootstrapsecret "k8s.io/cluster-bootstrap/util/secrets"
)

// Group is the extra group the API server gives the token's user, should it
// be used for kubelet TLS bootstrap.
const Group = "system:bootstrappers:outpost"

// NodeKey is the Secret data key binding a token to one node name. An
// unbound token may only join a node name that has no valid certificate on
// record; a bound one may only join its node, and may replace that node's
// certificate: it is how an operator re-provisions a box (a token is a
// credential to become one node, never to take over any node).
const NodeKey = "outpost-node"

// Token is one bootstrap token as listed.
type Token struct {
	ID          string
	Description string
	Node        string    // empty: not bound to a node
	Expires     time.Time // zero: never
	Expired     bool
}

// Create stores a new token valid for ttl (0: no expiry) and returns it in
// the form id.secret.
func Create(ctx context.Context, client kubernetes.Interface, ttl time.Duration, description string) (string, *Token, error) {
	return CreateForNode(ctx, client, ttl, description, "")
}

// CreateForNode is Create for a token bound to node (see NodeKey); an empty
// node makes an unbound token.
func CreateForNode(ctx context.Context, client kubernetes.Interface, ttl time.Duration, description, node string) (string, *Token, error) {
	tok, err := bootstraputil.GenerateBootstrapToken()
	if err != nil {
		return "", nil, err
	}
	id, secret, _ := strings.Cut(tok, ".")
	data := map[string][]byte{
		bootstrapapi.BootstrapTokenIDKey:               []byte(id),
		bootstrapapi.BootstrapTokenSecretKey:           []byte(secret),
		bootstrapapi.BootstrapTokenUsageAuthentication: []byte("true"),
		bootstrapapi.BootstrapTokenExtraGroupsKey:      []byte(Group),
	}
	t := &Token{ID: id, Description: description, Node: node}
	if node != "" {
		data[NodeKey] = []byte(node)
	}
	if description != "" {
		data[bootstrapapi.BootstrapTokenDescriptionKey] = []byte(description)
	}
	if ttl > 0 {
		t.Expires = time.Now().Add(ttl).UTC().Truncate(time.Second)
		data[bootstrapapi.BootstrapTokenExpirationKey] = []byte(t.Expires.Format(time.RFC3339))
	}
	_, err = client.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: bootstraputil.BootstrapTokenSecretName(id), Namespace: metav1.NamespaceSystem},
		Type:       bootstrapapi.SecretTypeBootstrapToken,
		Data:       data,
	}, metav1.CreateOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("storing bootstrap token: %w", err)
	}
	return tok, t, nil
}

// List returns the bootstrap tokens, expired ones included (marked).
func List(ctx context.Context, client kubernetes.Interface) ([]Token, error) {
	list, err := client.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("type", string(bootstrapapi.SecretTypeBootstrapToken)).String(),
	})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []Token
	for i := range list.Items {
		s := &list.Items[i]
		id := bootstrapsecret.GetData(s, bootstrapapi.BootstrapTokenIDKey)
		t := Token{ID: id, Description: bootstrapsecret.GetData(s, bootstrapapi.BootstrapTokenDescriptionKey), Node: bootstrapsecret.GetData(s, NodeKey)}
		if exp := bootstrapsecret.GetData(s, bootstrapapi.BootstrapTokenExpirationKey); exp != "" {
			t.Expires, _ = time.Parse(time.RFC3339, exp)
			t.Expired = bootstrapsecret.HasExpired(s, now)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Revoke deletes the token's Secret. Certificates issued with it are
// revoked by the tunnel server, which watches for this.
func Revoke(ctx context.Context, client kubernetes.Interface, id string) error {
	if !bootstraputil.IsValidBootstrapTokenID(id) {
		return fmt.Errorf("%q is not a bootstrap token ID (6 characters [a-z0-9])", id)
	}
	err := client.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, bootstraputil.BootstrapTokenSecretName(id), metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("token %s not found", id)
	}
	return err
}

// Errors of Validate, for callers (and tests) that tell them apart. The
// messages are meant for the operator reading the agent's log.
var (
	ErrMalformed = errors.New("malformed bootstrap token: want <6 chars [a-z0-9]>.<16 chars [a-z0-9]>")
	ErrUnknown   = errors.New("bootstrap token unknown: never created, or revoked")
	ErrExpired   = errors.New("bootstrap token expired")
	ErrMismatch  = errors.New("bootstrap token secret does not match")
	ErrUsage     = errors.New("bootstrap token not usable for authentication")
)

// Validate checks tok against its Secret and returns its ID and the node it
// is bound to ("" if none).
func Validate(ctx context.Context, client kubernetes.Interface, tok string) (id, node string, _ error) {
	var secret string
	if !bootstraputil.IsValidBootstrapToken(tok) {
		return "", "", ErrMalformed
	}
	id, secret, _ = strings.Cut(tok, ".")
	s, err := client.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, bootstraputil.BootstrapTokenSecretName(id), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return id, "", fmt.Errorf("%w (id %s)", ErrUnknown, id)
	}
	if err != nil {
		return id, "", fmt.Errorf("reading bootstrap token %s: %w", id, err)
	}
	if s.Type != bootstrapapi.SecretTypeBootstrapToken || s.DeletionTimestamp != nil {
		return id, "", fmt.Errorf("%w (id %s)", ErrUnknown, id)
	}
	want := bootstrapsecret.GetData(s, bootstrapapi.BootstrapTokenSecretKey)
	if subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 {
		return id, "", fmt.Errorf("%w (id %s)", ErrMismatch, id)
	}
	if bootstrapsecret.HasExpired(s, time.Now()) {
		return id, "", fmt.Errorf("%w (id %s, at %s)", ErrExpired, id, bootstrapsecret.GetData(s, bootstrapapi.BootstrapTokenExpirationKey))
	}
	if bootstrapsecret.GetData(s, bootstrapapi.BootstrapTokenUsageAuthentication) != "true" {
		return id, "", fmt.Errorf("%w (id %s)", ErrUsage, id)
	}
	return id, bootstrapsecret.GetData(s, NodeKey), nil
}
