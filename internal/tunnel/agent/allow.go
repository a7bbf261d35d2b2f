package agent

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Allowlist is the agent's own policy on what the cloud may reach through
// it, enforced on the node whatever the server asks: a compromised or
// misconfigured cloud still cannot use the node as a gateway to ports it
// was not given.
//
// Entries: "PORT" (any host), "HOST:PORT", "CIDR:PORT" ("[CIDR]:PORT" for
// IPv6), with "*" for any host or any port; "*" alone allows everything.
// Host names match literally (e.g. "localhost:8080"); CIDRs match IPs.
type Allowlist []rule

type rule struct {
	anyHost bool
	host    string
	cidr    *net.IPNet
	port    int // 0: any
}

// maxEntries bounds a list read from flags or configuration.
const maxEntries = 1024

// ParseAllowlist parses entries as described on Allowlist.
func ParseAllowlist(entries []string) (Allowlist, error) {
	if len(entries) > maxEntries {
		return nil, fmt.Errorf("allowlist: %d entries, at most %d", len(entries), maxEntries)
	}
	var out Allowlist
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		r, err := parseRule(e)
		if err != nil {
			return nil, fmt.Errorf("allowlist entry %q: %w", e, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRule(e string) (rule, error) {
	if e == "*" {
		return rule{anyHost: true}, nil
	}
	host, port := "*", e
	if strings.ContainsAny(e, ":[") {
		var err error
		if host, port, err = net.SplitHostPort(e); err != nil {
			return rule{}, err
		}
	}
	var r rule
	switch {
	case port == "*":
	default:
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return rule{}, fmt.Errorf("port %q not in 1..65535 or *", port)
		}
		r.port = p
	}
	switch {
	case host == "*":
		r.anyHost = true
	case strings.Contains(host, "/"):
		_, n, err := net.ParseCIDR(host)
		if err != nil {
			return rule{}, err
		}
		r.cidr = n
	case host == "":
		return rule{}, fmt.Errorf("empty host")
	default:
		if ip := net.ParseIP(host); ip != nil {
			host = ip.String()
		}
		r.host = strings.ToLower(host)
	}
	return r, nil
}

// Allows reports whether addr (host:port) may be dialled.
func (l Allowlist) Allows(addr string) bool {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip != nil {
		host = ip.String()
	}
	host = strings.ToLower(host)
	for _, r := range l {
		if r.port != 0 && r.port != port {
			continue
		}
		switch {
		case r.anyHost:
			return true
		case r.cidr != nil:
			if ip != nil && r.cidr.Contains(ip) {
				return true
			}
		case r.host == host:
			return true
		}
	}
	return false
}
