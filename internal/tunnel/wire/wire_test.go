package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:22", "[fd00::1]:10250", "edge-1.example.com:8080"} {
		var b bytes.Buffer
		if err := WriteRequest(&b, addr); err != nil {
			t.Fatal(err)
		}
		got, err := ReadRequest(&b)
		if err != nil || got != addr {
			t.Errorf("%s: got %q, %v", addr, got, err)
		}
	}
}

func TestRequestRejects(t *testing.T) {
	for name, addr := range map[string]string{
		"empty": "", "no port": "host", "port 0": "host:0", "port too big": "host:65536",
		"no host": ":22", "too long": strings.Repeat("a", MaxAddrLen) + ":1",
	} {
		if err := WriteRequest(io.Discard, addr); err == nil {
			t.Errorf("%s: %q accepted", name, addr)
		}
	}
	// A length beyond the bound is refused before anything is allocated.
	if _, err := ReadRequest(bytes.NewReader([]byte{Version, 0xff, 0xff})); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("oversized length: %v", err)
	}
	if _, err := ReadRequest(bytes.NewReader([]byte{9, 0, 1, 'a'})); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("other version: %v", err)
	}
}

func TestReply(t *testing.T) {
	var b bytes.Buffer
	_ = WriteReply(&b, OK, "")
	_ = WriteReply(&b, Refused, "no")
	_ = WriteReply(&b, DialFailed, strings.Repeat("x", 5000)) // truncated to the bound
	if err := ReadReply(&b); err != nil {
		t.Fatal(err)
	}
	var de *DialError
	if err := ReadReply(&b); !errors.As(err, &de) || de.Code != Refused || de.Message != "no" {
		t.Fatalf("refused: %v", err)
	}
	if err := ReadReply(&b); !errors.As(err, &de) || de.Code != DialFailed || len(de.Message) != MaxMessageLen {
		t.Fatalf("failed: %v", err)
	}
	if err := ReadReply(bytes.NewReader([]byte{7, 0, 0})); !errors.Is(err, ErrBadReply) {
		t.Fatalf("unknown code: %v", err)
	}
}

// FuzzReadRequest: any bytes either parse to an address that writes back
// to the same bytes, or fail; never a panic, never more than the bound read.
func FuzzReadRequest(f *testing.F) {
	for _, addr := range []string{"127.0.0.1:22", "[::1]:10250", "node:1"} {
		var b bytes.Buffer
		_ = WriteRequest(&b, addr)
		f.Add(b.Bytes())
	}
	f.Add([]byte{Version, 0xff, 0xff, 'a'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		addr, err := ReadRequest(r)
		if err != nil {
			return
		}
		if consumed := len(data) - r.Len(); consumed > 3+MaxAddrLen {
			t.Fatalf("read %d bytes", consumed)
		}
		var b bytes.Buffer
		if err := WriteRequest(&b, addr); err != nil {
			t.Fatalf("parsed %q but cannot write it: %v", addr, err)
		}
		if !bytes.HasPrefix(data, b.Bytes()) {
			t.Fatalf("round trip differs: %x vs %x", b.Bytes(), data)
		}
	})
}

func FuzzReadReply(f *testing.F) {
	for _, c := range []Code{OK, Refused, DialFailed} {
		var b bytes.Buffer
		_ = WriteReply(&b, c, "message")
		f.Add(b.Bytes())
	}
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		err := ReadReply(r)
		if consumed := len(data) - r.Len(); consumed > 3+MaxMessageLen {
			t.Fatalf("read %d bytes", consumed)
		}
		var de *DialError
		if errors.As(err, &de) && (de.Code == OK || de.Code > maxCode || len(de.Message) > MaxMessageLen) {
			t.Fatalf("bad DialError %+v", de)
		}
	})
}
