package tunnel

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/outpost-edge/outpost/internal/pki"
	"github.com/outpost-edge/outpost/internal/tunnel/token"
)

// JoinRequest is what an agent posts to JoinPath: its node name and a PEM
// certificate request for the key it generated (the key never leaves the
// node). It authenticates with "Authorization: Bearer <bootstrap token>"
// to join, or with its current node certificate to renew it.
type JoinRequest struct {
	Node string `json:"node"`
	CSR  string `json:"csr"`
}

// JoinResponse carries the node certificate and the tunnel CA.
type JoinResponse struct {
	Certificate string `json:"certificate"`
	CA          string `json:"ca"`
}

// maxJoinBody bounds the request body: a CSR is well under 2 KiB
// (KubeEdge CVE-2022-31075 was a CSR endpoint reading unbounded bodies).
const maxJoinBody = 64 << 10

func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a JoinRequest", http.StatusMethodNotAllowed)
		return
	}
	var req JoinRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJoinBody)).Decode(&req); err != nil {
		http.Error(w, "bad join request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if errs := validation.IsDNS1123Subdomain(req.Node); len(errs) > 0 {
		http.Error(w, fmt.Sprintf("bad node name %q: %s", req.Node, strings.Join(errs, "; ")), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	var tokenID, how string
	var expect *string // see certRecords.record
	if node, cert := s.nodeFromTLS(r); cert != nil {
		// Renewal: the current certificate vouches for the same node.
		if node != req.Node {
			http.Error(w, fmt.Sprintf("certificate of node %s cannot renew for %s", node, req.Node), http.StatusForbidden)
			return
		}
		id, err := s.certs.check(ctx, node, cert)
		if err != nil {
			s.log.Warn("tunnel renewal refused", "node", node, "remote", r.RemoteAddr, "err", err)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		tokenID, how = id, "renewed"
	} else {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "join needs Authorization: Bearer <bootstrap token>, or a node certificate to renew", http.StatusUnauthorized)
			return
		}
		id, bound, err := token.Validate(ctx, s.client, strings.TrimSpace(tok))
		if err != nil {
			s.log.Warn("tunnel join refused", "node", req.Node, "remote", r.RemoteAddr, "err", err)
			code := http.StatusUnauthorized
			if !isTokenError(err) {
				code = http.StatusServiceUnavailable
			}
			http.Error(w, err.Error(), code)
			return
		}
		var code int
		if expect, code, err = s.mayJoin(r, req.Node, id, bound); err != nil {
			s.log.Warn("tunnel join refused", "node", req.Node, "token", id, "remote", r.RemoteAddr, "err", err)
			http.Error(w, err.Error(), code)
			return
		}
		tokenID, how = id, "joined"
		if bound != "" {
			how = "re-joined (node-bound token)"
		}
	}
	pub, err := parseCSR(req.CSR)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	der, err := s.ca.Sign(pki.Leaf{
		CommonName:   NodeCommonNamePrefix + req.Node,
		Organization: []string{NodeOrganization},
		Client:       true,
	}, pub)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	cert, _ := x509.ParseCertificate(der)
	if err := s.certs.record(ctx, req.Node, tokenID, cert, expect); err != nil {
		code := http.StatusServiceUnavailable
		if errors.Is(err, ErrNodeTaken) {
			code = http.StatusConflict
		}
		http.Error(w, "recording the certificate: "+err.Error(), code)
		return
	}
	s.log.Info("tunnel node "+how, "node", req.Node, "token", tokenID, "serial", serialOf(cert), "remote", r.RemoteAddr, "notAfter", cert.NotAfter)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(JoinResponse{
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		CA:          string(s.ca.CertPEM()),
	})
}

// mayJoin refuses a node takeover: a token bound to a node joins only that
// node (and may replace its certificate: re-provisioning); an unbound token
// joins only a node name with no valid certificate on record, since
// otherwise anyone holding any bootstrap token could replace a connected
// node's certificate and receive its traffic.
//
// For an unbound token it returns the record's resourceVersion it checked,
// which the certificate record must still have when it is written.
func (s *Server) mayJoin(r *http.Request, node, tokenID, bound string) (expect *string, code int, _ error) {
	if bound != "" {
		if bound != node {
			return nil, http.StatusForbidden, fmt.Errorf("bootstrap token %s is bound to node %s, not %s", tokenID, bound, node)
		}
		return nil, 0, nil
	}
	notAfter, held, rv, err := s.certs.held(r.Context(), node)
	if err != nil {
		return nil, http.StatusServiceUnavailable, fmt.Errorf("reading the certificate record of node %s: %w", node, err)
	}
	if held {
		return nil, http.StatusConflict, fmt.Errorf("%w: node %s already holds a valid tunnel certificate (until %s); "+
			"to re-provision it, delete the node (kubectl delete node %s) or revoke the token it joined with, "+
			"or join with a token bound to it (outpost token create --node %s)",
			ErrNodeTaken, node, notAfter.UTC().Format(time.RFC3339), node, node)
	}
	return &rv, 0, nil
}

func isTokenError(err error) bool {
	for _, e := range []error{token.ErrMalformed, token.ErrUnknown, token.ErrExpired, token.ErrMismatch, token.ErrUsage} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func parseCSR(p string) (any, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("csr: no PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("csr: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("csr: %w", err)
	}
	return csr.PublicKey, nil
}

// nodeFromTLS returns the node a verified node certificate names, if the
// client presented one.
func (s *Server) nodeFromTLS(r *http.Request) (string, *x509.Certificate) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return "", nil
	}
	leaf := r.TLS.VerifiedChains[0][0]
	node, ok := strings.CutPrefix(leaf.Subject.CommonName, NodeCommonNamePrefix)
	if !ok || !hasOrg(leaf, NodeOrganization) {
		return "", nil
	}
	return node, leaf
}

func hasOrg(c *x509.Certificate, org string) bool {
	for _, o := range c.Subject.Organization {
		if o == org {
			return true
		}
	}
	return false
}
