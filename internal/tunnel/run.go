package tunnel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Run serves the tunnel until ctx ends. client needs, in kube-system,
// Secrets (CA, bootstrap tokens), ConfigMaps (certificate records) and
// Leases; cluster-wide Nodes and Pods (routing), and TokenReview and
// SubjectAccessReview (authenticating proxy users).
func (s *Server) Run(ctx context.Context, client kubernetes.Interface) error {
	s.client = client
	var err error
	if s.ca, err = loadOrCreateCA(ctx, client); err != nil {
		return err
	}
	serving, err := s.ca.issue(s.servingLeaf())
	if err != nil {
		return err
	}
	s.peers = &peers{cert: serving, pool: s.ca.pool()}
	s.certs = &certRecords{client: client}

	sys := informers.NewSharedInformerFactoryWithOptions(client, 10*time.Minute, informers.WithNamespace(SystemNamespace))
	leaseInf := sys.Coordination().V1().Leases()
	s.owners = &owners{client: client, serverID: s.cfg.ServerID, leases: leaseInf.Lister().Leases(SystemNamespace)}
	cmInf := sys.Core().V1().ConfigMaps().Informer()
	_, _ = cmInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) {
			if cm, ok := obj.(*corev1.ConfigMap); ok && cm.Labels[LabelCertRecord] == "true" {
				s.dropSession(cm.Data["node"], cm.Data["serial"])
			}
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if cm, ok := obj.(*corev1.ConfigMap); ok && cm.Labels[LabelCertRecord] == "true" {
				s.dropSession(cm.Data["node"], "")
			}
		},
	})
	all := informers.NewSharedInformerFactory(client, 10*time.Minute)
	s.res = newResolver(all)
	_, _ = all.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if n, ok := obj.(*corev1.Node); ok {
				// A deleted node's certificate is revoked: every replica
				// tries, the first one wins.
				ctx, cancel := s.apiContext()
				defer cancel()
				if err := s.certs.forget(ctx, n.Name); err != nil {
					s.log.Warn("revoking the certificate of a deleted node", "node", n.Name, "err", err)
				}
			}
		},
	})
	sys.Start(ctx.Done())
	all.Start(ctx.Done())
	for typ, ok := range sys.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("tunnel: %v cache did not sync", typ)
		}
	}
	for typ, ok := range all.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("tunnel: %v cache did not sync", typ)
		}
	}

	lc := net.ListenConfig{}
	tl, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("tunnel listener: %w", err)
	}
	s.tunnelAddr = tl.Addr()
	if s.cfg.AdvertiseHost == "" {
		// A listener bound to one address is reached there; one bound to
		// all is reached at the machine's address.
		if ta, ok := tl.Addr().(*net.TCPAddr); ok && !ta.IP.IsUnspecified() {
			s.cfg.AdvertiseHost = ta.IP.String()
		} else {
			s.cfg.AdvertiseHost = advertiseHost()
		}
	}
	agentSrv := &http.Server{Handler: s.agentHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog}
	servers := []*http.Server{agentSrv}
	errc := make(chan error, 2)
	go func() { errc <- agentSrv.Serve(tls.NewListener(tl, s.tlsServerConfig(serving))) }()

	if s.cfg.ProxyListen != "" && s.cfg.ProxyListen != "0" {
		pl, err := lc.Listen(ctx, "tcp", s.cfg.ProxyListen)
		if err != nil {
			tl.Close()
			return fmt.Errorf("tunnel proxy listener: %w", err)
		}
		s.proxyAddr = pl.Addr()
		authn, err := newAuthenticator(ctx, client)
		if err != nil {
			tl.Close()
			pl.Close()
			return err
		}
		proxySrv := &http.Server{Handler: s.proxyHandler(authn), ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog}
		servers = append(servers, proxySrv)
		go func() { errc <- proxySrv.Serve(tls.NewListener(pl, authn.tlsConfig(serving))) }()
	}
	close(s.addrReady)
	_, port, _ := net.SplitHostPort(s.tunnelAddr.String())
	advertised := net.JoinHostPort(s.cfg.AdvertiseHost, port)
	ann := map[string]string{AnnotationAddress: advertised}
	if s.proxyAddr != nil {
		_, pport, _ := net.SplitHostPort(s.proxyAddr.String())
		ann[AnnotationProxyAddress] = net.JoinHostPort(s.cfg.AdvertiseHost, pport)
	}
	go s.owners.advertise(ctx, ann)
	close(s.ready)
	s.log.Info("tunnel serving", "agents", s.tunnelAddr.String(), "advertised", advertised, "proxy", fmt.Sprint(s.proxyAddr),
		"caHash", CAHash(s.ca.Cert), "allowedPorts", s.cfg.AllowedPorts)

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	for _, srv := range servers {
		_ = srv.Close() // hijacked tunnel connections are closed below
	}
	s.mu.Lock()
	for _, ss := range s.sessions {
		_ = ss.mux.Close()
	}
	s.mu.Unlock()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// apiContext bounds the API calls made on behalf of a connection.
func (s *Server) apiContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// ParsePorts parses a comma-separated port list ("22,10250").
func ParsePorts(list []string) ([]int, error) {
	var out []int
	for _, p := range list {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q not in 1..65535", p)
		}
		out = append(out, n)
	}
	return out, nil
}
