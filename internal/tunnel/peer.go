package tunnel

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
	"github.com/outpost-edge/outpost/internal/tunnel/trust"
	"github.com/outpost-edge/outpost/internal/tunnel/wire"
)

// Forwarding between replicas: a replica that is asked for a node another
// replica holds sends that replica an HTTP CONNECT on its agent-facing
// listener, authenticated with its replica certificate, naming the node in
// a header. The owner dials through its local session only (never forwards
// again, so there are no loops) and answers 200 before relaying bytes.
type peers struct {
	cert tls.Certificate
	pool *x509.CertPool
}

// headerDialCode carries the agent's wire.Code on a failed forwarded dial.
const headerDialCode = "X-Outpost-Dial-Code"

func (p *peers) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{p.cert},
		InsecureSkipVerify: true, // replaced by VerifyPeerCertificate: chain and role, not host name
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			_, err := trust.VerifyChain(raw, p.pool, x509.ExtKeyUsageServerAuth, PeerOrganization)
			return err
		},
	}
}

func (p *peers) dial(ctx context.Context, peerAddr, who, node, addr string) (net.Conn, error) {
	d := tls.Dialer{Config: p.tlsConfig()}
	c, err := d.DialContext(ctx, "tcp", peerAddr)
	if err != nil {
		return nil, fmt.Errorf("forwarding to replica at %s: %w", peerAddr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	req := fmt.Sprintf("CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s: %s\r\n%s: %s\r\n\r\n", addr, addr, wire.HeaderNode, node, wire.HeaderUser, who)
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, fmt.Errorf("forwarding to replica at %s: %w", peerAddr, err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("forwarding to replica at %s: %w", peerAddr, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, wire.MaxMessageLen))
		c.Close()
		if code, err := strconv.Atoi(resp.Header.Get(headerDialCode)); err == nil {
			return nil, fmt.Errorf("node %s, %s: %w", node, addr, &wire.DialError{Code: wire.Code(code), Message: string(msg)})
		}
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%w: %s (via replica at %s)", ErrNodeNotConnected, node, peerAddr)
		}
		return nil, fmt.Errorf("replica at %s: %s: %s", peerAddr, resp.Status, msg)
	}
	_ = c.SetDeadline(noDeadline)
	return pipe.Buffered(c, br), nil
}
