package simkubelet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/plugin/pkg/authorizer/webhook"
	webhookmetrics "k8s.io/apiserver/plugin/pkg/authorizer/webhook/metrics"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	certutil "k8s.io/client-go/util/cert"
)

// KubeletConfig turns on the kubelet API of the simulated nodes: the HTTPS
// endpoint the API server calls for `kubectl logs`, `exec`, `attach` and
// `port-forward`. Each node gets its own listener, so that node address
// and port identify the node, as they do for real kubelets.
type KubeletConfig struct {
	// Address the listeners bind to; it is also what the nodes report as
	// their InternalIP, so it must be an address the API server (or its
	// egress proxy) can dial.
	Address netip.Addr
	// Port of node 0; node i listens on Port+i. 0 picks a free port per node.
	Port int
	// ClientCAs verify client certificates: the CA of the API server's
	// --kubelet-client-certificate. Requests without a certificate it
	// signed are refused, as a kubelet with anonymous auth off does.
	ClientCAs *x509.CertPool
	// Authorizer decides what an authenticated client may do. Nil builds
	// the kubelet's own: a SubjectAccessReview against the API server for
	// nodes/<subresource> (cached as the kubelet caches it).
	Authorizer authorizer.Authorizer
	// LogInterval is how often a followed log gets a new line (default 1s).
	LogInterval time.Duration
}

// Kubelet streaming defaults, as the real kubelet's.
const (
	streamIdleTimeout     = 4 * time.Hour
	streamCreationTimeout = 30 * time.Second
)

// kubeletAPI serves one simulated node's kubelet endpoint.
type kubeletAPI struct {
	node     *node
	pods     corelisters.PodLister
	authn    *x509request.Authenticator
	authz    authorizer.Authorizer
	interval time.Duration
	log      *slog.Logger
}

// listenKubelets opens one listener per node before the nodes register, so
// that they can report their ports.
func listenKubelets(cfg *KubeletConfig, nodes []*node) error {
	for i, n := range nodes {
		port := 0
		if cfg.Port != 0 {
			port = cfg.Port + i
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Address.String(), strconv.Itoa(port)))
		if err != nil {
			closeKubelets(nodes)
			return fmt.Errorf("kubelet API of node %s: %w", n.name, err)
		}
		n.kubeletListener = ln
		n.kubeletPort = ln.Addr().(*net.TCPAddr).Port
	}
	return nil
}

func closeKubelets(nodes []*node) {
	for _, n := range nodes {
		if n.kubeletListener != nil {
			n.kubeletListener.Close()
		}
	}
}

// newKubeletAuthorizer is what a kubelet with --authorization-mode=Webhook
// runs: SubjectAccessReviews, allowed answers cached 5 minutes and denials
// 30 seconds (the kubelet's defaults).
func newKubeletAuthorizer(client kubernetes.Interface) (authorizer.Authorizer, error) {
	backoff := wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 3}
	return webhook.NewFromInterface(client.AuthorizationV1(), 5*time.Minute, 30*time.Second, backoff,
		authorizer.DecisionNoOpinion, webhookmetrics.NoopAuthorizerMetrics{}, nil)
}

// serveKubelet serves the node's kubelet API until ctx ends.
func serveKubelet(ctx context.Context, n *node, pods corelisters.PodLister, cfg *KubeletConfig, authz authorizer.Authorizer, log *slog.Logger) error {
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey(n.name, []net.IP{net.IP(cfg.Address.AsSlice())}, nil)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	verify := x509request.DefaultVerifyOptions()
	verify.Roots = cfg.ClientCAs
	k := &kubeletAPI{
		node: n, pods: pods, authz: authz, interval: cfg.LogInterval, log: log.With("node", n.name),
		authn: x509request.New(verify, x509request.CommonNameUserConversion),
	}
	if k.interval == 0 {
		k.interval = time.Second
	}
	srv := &http.Server{
		Handler: k.routes(),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    cfg.ClientCAs,
			MinVersion:   tls.VersionTLS12,
		},
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err = srv.ServeTLS(n.kubeletListener, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (k *kubeletAPI) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", k.containerLogs)
	mux.HandleFunc("/exec/{ns}/{pod}/{container}", k.exec)
	mux.HandleFunc("/exec/{ns}/{pod}/{uid}/{container}", k.exec)
	mux.HandleFunc("/attach/{ns}/{pod}/{container}", k.attach)
	mux.HandleFunc("/attach/{ns}/{pod}/{uid}/{container}", k.attach)
	mux.HandleFunc("/portForward/{ns}/{pod}", k.portForward)
	mux.HandleFunc("/portForward/{ns}/{pod}/{uid}", k.portForward)
	mux.HandleFunc("GET /stats/summary", k.statsSummary)
	return k.guard(mux)
}

// guard authenticates the client certificate and authorizes the request
// as the kubelet does (k8s.io/kubernetes/pkg/kubelet/server/auth.go): verb
// from the HTTP method, resource nodes/<subresource> named after the node.
func (k *kubeletAPI) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, ok, err := k.authn.AuthenticateRequest(r)
		if err != nil || !ok {
			k.log.Info("kubelet API: unauthenticated request", "path", r.URL.Path, "err", err)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		attrs := authorizer.AttributesRecord{
			User:            resp.User,
			Verb:            kubeletVerb(r.Method),
			Resource:        "nodes",
			Subresource:     kubeletSubresource(r.URL.Path),
			Name:            k.node.name,
			APIVersion:      "v1",
			ResourceRequest: true,
			Path:            r.URL.Path,
		}
		decision, reason, err := k.authz.Authorize(r.Context(), attrs)
		if decision != authorizer.DecisionAllow {
			msg := fmt.Sprintf("Forbidden (user=%s, verb=%s, resource=nodes, subresource=%s)", resp.User.GetName(), attrs.Verb, attrs.Subresource)
			k.log.Info("kubelet API: request denied", "user", resp.User.GetName(), "path", r.URL.Path, "reason", reason, "err", err)
			http.Error(w, msg, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func kubeletVerb(method string) string {
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	}
	return "get"
}

func kubeletSubresource(path string) string {
	for _, p := range []struct{ prefix, sub string }{
		{"/stats", "stats"}, {"/metrics", "metrics"}, {"/logs", "log"}, {"/spec", "spec"},
	} {
		if path == p.prefix || strings.HasPrefix(path, p.prefix+"/") {
			return p.sub
		}
	}
	return "proxy"
}

// pod finds a pod bound to this node, answering the client itself when
// there is none.
func (k *kubeletAPI) pod(w http.ResponseWriter, r *http.Request) (*corev1.Pod, bool) {
	ns, name := r.PathValue("ns"), r.PathValue("pod")
	pod, err := k.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) || (err == nil && pod.Spec.NodeName != k.node.name) {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on node %s", ns, name, k.node.name), http.StatusNotFound)
		return nil, false
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, false
	}
	if uid := r.PathValue("uid"); uid != "" && uid != string(pod.UID) {
		http.Error(w, fmt.Sprintf("pod %s/%s has UID %s, not %s", ns, name, pod.UID, uid), http.StatusNotFound)
		return nil, false
	}
	return pod, true
}

// podContainer is the pod and its container named in the path (regular,
// init or ephemeral), or false once the client has been answered.
func (k *kubeletAPI) podContainer(w http.ResponseWriter, r *http.Request) (*corev1.Pod, string, bool) {
	pod, ok := k.pod(w, r)
	if !ok {
		return nil, "", false
	}
	name, ok := k.container(w, r, pod)
	return pod, name, ok
}

func (k *kubeletAPI) container(w http.ResponseWriter, r *http.Request, pod *corev1.Pod) (string, bool) {
	name := r.PathValue("container")
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return name, true
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return name, true
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return name, true
		}
	}
	http.Error(w, fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name), http.StatusBadRequest)
	return "", false
}
