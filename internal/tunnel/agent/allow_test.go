package agent

import (
	"strings"
	"testing"
)

func TestAllowlist(t *testing.T) {
	l, err := ParseAllowlist([]string{"22", "10.0.0.0/8:80", "localhost:8080", "[fd00::/8]:443", "192.168.1.5:*"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"127.0.0.1:22": true, "example.com:22": true, "10.1.2.3:80": true, "11.1.2.3:80": false,
		"localhost:8080": true, "LOCALHOST:8080": true, "127.0.0.1:8080": false, "[fd00::5]:443": true,
		"[fe80::5]:443": false, "192.168.1.5:1": true, "192.168.1.6:1": false, "10.1.2.3:10250": false,
		"garbage": false, "host:port": false,
	} {
		if got := l.Allows(addr); got != want {
			t.Errorf("Allows(%q) = %v, want %v", addr, got, want)
		}
	}
	all, _ := ParseAllowlist([]string{"*"})
	if !all.Allows("1.2.3.4:5") {
		t.Error("* does not allow everything")
	}
	var none Allowlist
	if none.Allows("127.0.0.1:22") {
		t.Error("an empty list allows")
	}
	for _, bad := range []string{"0", "70000", "x", "10.0.0.0/33:1", ":22", "host:"} {
		if _, err := ParseAllowlist([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseAllowlist(make([]string, maxEntries+1)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("too many entries: %v", err)
	}
}

// FuzzAllowlist: parsing and matching arbitrary entries and addresses never
// panics, and "*" allows whatever parses as host:port.
func FuzzAllowlist(f *testing.F) {
	f.Add("22", "127.0.0.1:22")
	f.Add("10.0.0.0/8:80", "10.1.2.3:80")
	f.Add("[fd00::/8]:*", "[fd00::1]:1")
	f.Add("*", "x:1")
	f.Fuzz(func(t *testing.T, entry, addr string) {
		l, err := ParseAllowlist([]string{entry})
		if err == nil {
			_ = l.Allows(addr)
		}
	})
}
