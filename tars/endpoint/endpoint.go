package endpoint

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Proto is an endpoint's transport.
type Proto string

// Transports. SSL is TLS over TCP with the same framing.
const (
	TCP Proto = "tcp"
	UDP Proto = "udp"
	SSL Proto = "ssl"
)

// Endpoint is one parsed endpoint. Unset integer flags keep the defaults
// noted on each field (those of TarsCpp and TarsGo).
type Endpoint struct {
	Proto      Proto
	Host       string // -h; "*" means every interface (servers only)
	Port       int    // -p, 0-65535; 0 asks a server for any free port
	Timeout    int    // -t, milliseconds: a server adapter's idle timeout; 0 if absent
	Grid       int    // -g
	Qos        int    // -q
	Weight     int    // -w, 0-100; -1 when unset
	WeightType int    // -v: 0 round robin, 1 static weight
	AuthType   int    // -e: 0 none, 1 local
	Bind       string // -b: local address to dial from (TarsGo only)
}

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("endpoint: bad syntax")

func syntaxError(s, format string, args ...any) error {
	return fmt.Errorf("%w: %q: %s", ErrSyntax, s, fmt.Sprintf(format, args...))
}

// Parse parses one endpoint, e.g. "tcp -h 127.0.0.1 -p 10000 -t 60000".
// Flags may come in any order; unknown flags are ignored with their value,
// as TarsCpp does. The host and port are required.
func Parse(s string) (Endpoint, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return Endpoint{}, syntaxError(s, "empty endpoint")
	}
	e := Endpoint{Proto: Proto(strings.ToLower(fields[0])), Weight: -1}
	switch e.Proto {
	case TCP, UDP, SSL:
	default:
		return Endpoint{}, syntaxError(s, "unknown transport %q (want tcp, udp or ssl)", fields[0])
	}
	var hasHost, hasPort bool
	for i := 1; i < len(fields); i++ {
		flag := fields[i]
		if len(flag) < 2 || flag[0] != '-' {
			return Endpoint{}, syntaxError(s, "%q is not a flag", flag)
		}
		var val string
		hasVal := i+1 < len(fields)
		if hasVal {
			val = fields[i+1]
		}
		var dst *int
		switch flag {
		case "-h":
			if !hasVal {
				return Endpoint{}, syntaxError(s, "-h needs a host")
			}
			e.Host, hasHost = strings.TrimSuffix(strings.TrimPrefix(val, "["), "]"), true
			if e.Host == "" {
				return Endpoint{}, syntaxError(s, "empty host")
			}
			i++
			continue
		case "-b":
			if !hasVal {
				return Endpoint{}, syntaxError(s, "-b needs an address")
			}
			e.Bind = val
			i++
			continue
		case "-p":
			dst, hasPort = &e.Port, true
		case "-t":
			dst = &e.Timeout
		case "-g":
			dst = &e.Grid
		case "-q":
			dst = &e.Qos
		case "-w":
			dst = &e.Weight
		case "-v":
			dst = &e.WeightType
		case "-e":
			dst = &e.AuthType
		default:
			// Unknown flag: skip it and its value, if it has one.
			if hasVal && !isFlag(val) {
				i++
			}
			continue
		}
		if !hasVal {
			return Endpoint{}, syntaxError(s, "%s needs a number", flag)
		}
		n, err := strconv.ParseInt(val, 10, 32)
		if err != nil {
			return Endpoint{}, syntaxError(s, "%s %q is not a 32-bit integer", flag, val)
		}
		*dst = int(n)
		i++
	}
	switch {
	case !hasHost:
		return Endpoint{}, syntaxError(s, "missing -h host")
	case !hasPort:
		return Endpoint{}, syntaxError(s, "missing -p port")
	case e.Port < 0 || e.Port > 65535:
		return Endpoint{}, syntaxError(s, "port %d out of range", e.Port)
	case e.Timeout < 0:
		return Endpoint{}, syntaxError(s, "negative timeout %d", e.Timeout)
	case endsWithSeparator(e.Host) || endsWithSeparator(e.Bind):
		// "-h a:tcp" would read as a separator in a list.
		return Endpoint{}, syntaxError(s, "address ends in a transport name after ':'")
	}
	return e, nil
}

// endsWithSeparator reports whether an address ends in ":tcp", ":udp" or
// ":ssl", which ParseList would take for the start of another endpoint.
func endsWithSeparator(addr string) bool {
	i := strings.LastIndexByte(addr, ':')
	return i >= 0 && startsWithProto(addr[i+1:])
}

// isFlag reports whether a token is a flag rather than a (possibly
// negative) value.
func isFlag(tok string) bool {
	if len(tok) < 2 || tok[0] != '-' {
		return false
	}
	_, err := strconv.ParseInt(tok, 10, 64)
	return err != nil
}

// String formats e so that Parse gives e back. Flags equal to their
// defaults are left out.
func (e Endpoint) String() string {
	var b strings.Builder
	b.WriteString(string(e.Proto))
	b.WriteString(" -h ")
	b.WriteString(e.Host)
	b.WriteString(" -p ")
	b.WriteString(strconv.Itoa(e.Port))
	num := func(flag string, v, def int) {
		if v != def {
			b.WriteString(" " + flag + " " + strconv.Itoa(v))
		}
	}
	num("-t", e.Timeout, 0)
	num("-g", e.Grid, 0)
	num("-q", e.Qos, 0)
	num("-w", e.Weight, -1)
	num("-v", e.WeightType, 0)
	num("-e", e.AuthType, 0)
	if e.Bind != "" {
		b.WriteString(" -b " + e.Bind)
	}
	return b.String()
}

// Address returns host:port for net.Dial or net.Listen, with "*" as every
// interface and IPv6 hosts bracketed.
func (e Endpoint) Address() string {
	host := e.Host
	if host == "*" {
		host = ""
	}
	return net.JoinHostPort(host, strconv.Itoa(e.Port))
}

// Network returns the Go network name: "tcp" for TCP and SSL, "udp" for UDP.
func (e Endpoint) Network() string {
	if e.Proto == UDP {
		return "udp"
	}
	return "tcp"
}
