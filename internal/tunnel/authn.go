package tunnel

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Users of the proxy endpoint are who the API server says they are: a
// client certificate signed by the cluster's client CA (what admin and user
// kubeconfigs carry), or a bearer token checked with a TokenReview. They may
// reach node N if a SubjectAccessReview allows them nodes/proxy on N, the
// permission the API server's own node proxy requires, so existing RBAC
// carries over.
type authenticator struct {
	client    kubernetes.Interface
	clientCAs *x509.CertPool

	mu    sync.Mutex
	cache map[[32]byte]cached // TokenReview and SubjectAccessReview answers
}

type cached struct {
	user    *userInfo
	err     error
	expires time.Time
}

type userInfo struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string]authorizationv1.ExtraValue
}

// cacheTTL bounds how long a revoked token or removed binding keeps working
// for new streams; cacheMax bounds the memory it may use.
const (
	cacheTTL = 10 * time.Second
	cacheMax = 10000
)

func newAuthenticator(ctx context.Context, client kubernetes.Interface) (*authenticator, error) {
	a := &authenticator{client: client, cache: map[[32]byte]cached{}}
	// The API server publishes its client CA here for extension servers,
	// embedded or attached alike.
	for {
		cm, err := client.CoreV1().ConfigMaps(SystemNamespace).Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
		if err == nil && cm.Data["client-ca-file"] != "" {
			a.clientCAs = x509.NewCertPool()
			if !a.clientCAs.AppendCertsFromPEM([]byte(cm.Data["client-ca-file"])) {
				return nil, errors.New("extension-apiserver-authentication: no usable client-ca-file")
			}
			return a, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the cluster's client CA: %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func (a *authenticator) tlsConfig(serving tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{serving},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    a.clientCAs,
		NextProtos:   []string{"http/1.1"},
	}
}

var errUnauthenticated = errors.New("authentication required: a client certificate of the cluster, or Proxy-Authorization: Bearer <token>")

func (a *authenticator) authenticate(ctx context.Context, r *http.Request) (*userInfo, error) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		c := r.TLS.VerifiedChains[0][0]
		return &userInfo{Name: c.Subject.CommonName, Groups: c.Subject.Organization}, nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Proxy-Authorization"), "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if !ok || strings.TrimSpace(tok) == "" {
		return nil, errUnauthenticated
	}
	tok = strings.TrimSpace(tok)
	key := sha256.Sum256([]byte("token\x00" + tok))
	if c, ok := a.lookup(key); ok {
		return c.user, c.err
	}
	tr, err := a.client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
		Spec: authenticationv1.TokenReviewSpec{Token: tok},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token review: %w", err)
	}
	var u *userInfo
	if !tr.Status.Authenticated {
		err = fmt.Errorf("token not accepted by the API server: %s", tr.Status.Error)
	} else {
		ui := tr.Status.User
		u = &userInfo{Name: ui.Username, UID: ui.UID, Groups: ui.Groups, Extra: map[string]authorizationv1.ExtraValue{}}
		for k, v := range ui.Extra {
			u.Extra[k] = authorizationv1.ExtraValue(v)
		}
	}
	a.store(key, cached{user: u, err: err})
	return u, err
}

// authorize asks the API server whether u may use nodes/proxy on node.
func (a *authenticator) authorize(ctx context.Context, u *userInfo, node, verb string) error {
	key := sha256.Sum256([]byte(strings.Join(append([]string{"sar", u.Name, u.UID, node, verb}, u.Groups...), "\x00")))
	if c, ok := a.lookup(key); ok {
		return c.err
	}
	sar, err := a.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Resource: "nodes", Subresource: "proxy", Name: node},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("subject access review: %w", err)
	}
	if !sar.Status.Allowed {
		err = fmt.Errorf("user %q may not %s nodes/proxy on node %s", u.Name, verb, node)
	}
	a.store(key, cached{err: err})
	return err
}

func (a *authenticator) lookup(key [32]byte) (cached, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.cache[key]
	if !ok || time.Now().After(c.expires) {
		return cached{}, false
	}
	return c, true
}

func (a *authenticator) store(key [32]byte, c cached) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= cacheMax {
		clear(a.cache)
	}
	c.expires = time.Now().Add(cacheTTL)
	a.cache[key] = c
}
