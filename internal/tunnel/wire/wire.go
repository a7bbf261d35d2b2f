// Package wire is the little protocol the tunnel speaks itself; everything
// else rides on TLS, HTTP and yamux. Each yamux stream the server opens to an
// agent starts with one dial request (the address the agent should connect
// to) and the agent answers with one reply before the stream carries raw
// bytes. Both are length-prefixed and bounded, so a peer cannot make the
// other allocate more than a few hundred bytes, and they are fuzzed.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

const (
	// Version of the dial request; a different value is refused so that a
	// future change is detected rather than misparsed.
	Version = 1
	// MaxAddrLen bounds the address in a dial request (host:port; a DNS
	// name is at most 253 bytes).
	MaxAddrLen = 300
	// MaxMessageLen bounds the error text in a reply.
	MaxMessageLen = 1024

	// UpgradeProtocol is the HTTP Upgrade token an agent asks for to turn
	// its TLS connection into a yamux session.
	UpgradeProtocol = "outpost-tunnel/1"
	// ConnectPath is where agents upgrade; JoinPath is where they exchange a
	// bootstrap token (or a current certificate) for a node certificate.
	ConnectPath = "/v1/connect"
	JoinPath    = "/v1/join"
	// HeaderNode names the node on agent requests and on forwarded CONNECTs
	// between replicas.
	HeaderNode = "X-Outpost-Node"
	// HeaderUser carries the authenticated user on forwarded CONNECTs, for
	// the owner replica's audit log.
	HeaderUser = "X-Outpost-User"
)

// Code is the outcome of a dial on the agent.
type Code byte

const (
	OK Code = iota
	// Refused: the agent's allowlist does not allow the address.
	Refused
	// DialFailed: the agent could not connect to the address.
	DialFailed
	maxCode = DialFailed
)

func (c Code) String() string {
	switch c {
	case OK:
		return "ok"
	case Refused:
		return "refused by the agent's allowlist"
	case DialFailed:
		return "dial failed on the node"
	}
	return "code " + strconv.Itoa(int(c))
}

// WriteRequest writes a dial request for addr.
func WriteRequest(w io.Writer, addr string) error {
	if err := checkAddr(addr); err != nil {
		return err
	}
	b := make([]byte, 3+len(addr))
	b[0] = Version
	binary.BigEndian.PutUint16(b[1:], uint16(len(addr)))
	copy(b[3:], addr)
	_, err := w.Write(b)
	return err
}

// ReadRequest reads a dial request and returns its address, a valid
// host:port.
func ReadRequest(r io.Reader) (string, error) {
	var h [3]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", fmt.Errorf("dial request: %w", err)
	}
	if h[0] != Version {
		return "", fmt.Errorf("dial request: version %d, want %d", h[0], Version)
	}
	n := int(binary.BigEndian.Uint16(h[1:]))
	if n > MaxAddrLen {
		return "", fmt.Errorf("dial request: address of %d bytes exceeds %d", n, MaxAddrLen)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("dial request: %w", err)
	}
	addr := string(b)
	if err := checkAddr(addr); err != nil {
		return "", err
	}
	return addr, nil
}

func checkAddr(addr string) error {
	if len(addr) == 0 || len(addr) > MaxAddrLen {
		return fmt.Errorf("dial request: address length %d not in 1..%d", len(addr), MaxAddrLen)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dial request: %w", err)
	}
	if host == "" {
		return fmt.Errorf("dial request: %q has no host", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("dial request: %q: port not in 1..65535", addr)
	}
	return nil
}

// WriteReply answers a dial request; msg explains a failure.
func WriteReply(w io.Writer, code Code, msg string) error {
	if len(msg) > MaxMessageLen {
		msg = msg[:MaxMessageLen]
	}
	b := make([]byte, 3+len(msg))
	b[0] = byte(code)
	binary.BigEndian.PutUint16(b[1:], uint16(len(msg)))
	copy(b[3:], msg)
	_, err := w.Write(b)
	return err
}

// DialError is a failure the agent reported.
type DialError struct {
	Code    Code
	Message string
}

func (e *DialError) Error() string {
	if e.Message == "" {
		return e.Code.String()
	}
	return e.Code.String() + ": " + e.Message
}

// ErrBadReply marks a malformed reply.
var ErrBadReply = errors.New("malformed dial reply")

// ReadReply reads the agent's answer: nil when the stream is connected, a
// *DialError when the agent refused or failed.
func ReadReply(r io.Reader) error {
	var h [3]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return fmt.Errorf("dial reply: %w", err)
	}
	code := Code(h[0])
	n := int(binary.BigEndian.Uint16(h[1:]))
	if code > maxCode || n > MaxMessageLen {
		return fmt.Errorf("%w: code %d, message of %d bytes", ErrBadReply, code, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("dial reply: %w", err)
	}
	if code == OK {
		return nil
	}
	return &DialError{Code: code, Message: string(b)}
}
