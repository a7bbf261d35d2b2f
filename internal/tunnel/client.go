package tunnel

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/replica"
	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
	"github.com/outpost-edge/outpost/internal/tunnel/trust"
)

// Client reaches nodes through the proxy endpoint as the user of a
// kubeconfig: `outpost ssh` uses it.
type Client struct {
	// Proxy is the proxy endpoint's address; Discover fills it.
	Proxy string
	rest  *rest.Config
	ca    *x509.CertPool
}

// NewClient finds the tunnel CA and, unless proxy is given, a live
// replica's proxy address, through the API server of restCfg.
func NewClient(ctx context.Context, restCfg *rest.Config, proxy string) (*Client, error) {
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return nil, err
	}
	cm, err := client.CoreV1().ConfigMaps(PublicNamespace).Get(ctx, CAConfigMap, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading the tunnel CA (%s/%s; is the tunnel enabled on the server?): %w", PublicNamespace, CAConfigMap, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(cm.Data["ca.crt"])) {
		return nil, errors.New("tunnel CA ConfigMap has no certificate")
	}
	c := &Client{Proxy: proxy, rest: restCfg, ca: pool}
	if c.Proxy == "" {
		addrs, err := ReplicaAddresses(ctx, client, AnnotationProxyAddress)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, errors.New("no live server replica publishes a tunnel proxy address; give --proxy")
		}
		c.Proxy = addrs[0]
	}
	return c, nil
}

// ReplicaAddresses lists an address annotation of the live replicas.
func ReplicaAddresses(ctx context.Context, client kubernetes.Interface, annotation string) ([]string, error) {
	list, err := client.CoordinationV1().Leases(replica.Namespace).List(ctx, metav1.ListOptions{LabelSelector: replica.LabelComponent})
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range list.Items {
		l := &list.Items[i]
		if a := l.Annotations[annotation]; a != "" && live(l) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Dial opens a TCP stream to target (node:port, pod-IP:port) through the
// proxy endpoint.
func (c *Client) Dial(ctx context.Context, target string) (net.Conn, error) {
	tlsCfg, err := rest.TLSConfigFor(c.rest)
	if err != nil {
		return nil, err
	}
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	tlsCfg = tlsCfg.Clone()
	tlsCfg.RootCAs, tlsCfg.ServerName, tlsCfg.NextProtos = nil, "", []string{"http/1.1"}
	tlsCfg.InsecureSkipVerify = true // replaced: chain to the tunnel CA, replica role
	tlsCfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		_, err := trust.VerifyChain(raw, c.ca, x509.ExtKeyUsageServerAuth, PeerOrganization)
		return err
	}
	d := tls.Dialer{Config: tlsCfg}
	conn, err := d.DialContext(ctx, "tcp", c.Proxy)
	if err != nil {
		return nil, fmt.Errorf("tunnel proxy %s: %w", c.Proxy, err)
	}
	auth := ""
	if tok := c.token(); tok != "" {
		auth = "Proxy-Authorization: Bearer " + tok + "\r\n"
	}
	if _, err := fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", target, target, auth); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		conn.Close()
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return pipe.Buffered(conn, br), nil
}

func (c *Client) token() string {
	if c.rest.BearerToken != "" {
		return c.rest.BearerToken
	}
	if c.rest.BearerTokenFile != "" {
		if b, err := os.ReadFile(c.rest.BearerTokenFile); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}
