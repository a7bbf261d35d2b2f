package simkubelet

import (
	"fmt"
	"net/netip"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestNodeSubnetsAreDistinctSlash24s(t *testing.T) {
	cfg := Config{Count: 300}
	if err := cfg.complete(); err != nil {
		t.Fatal(err)
	}
	seen := map[netip.Prefix]bool{}
	for i := range cfg.Count {
		s := cfg.nodeSubnet(i)
		if s.Bits() != 24 || !cfg.PodCIDR.Contains(s.Addr()) || seen[s] {
			t.Fatalf("node %d subnet %s: want a new /24 inside %s", i, s, cfg.PodCIDR)
		}
		seen[s] = true
	}
	if got := cfg.nodeSubnet(256).String(); got != "100.65.0.0/24" {
		t.Errorf("node 256 subnet = %s, want 100.65.0.0/24 (carry into the second octet)", got)
	}
}

func TestConfigRejectsFleetLargerThanPodCIDR(t *testing.T) {
	cfg := Config{Count: 5, PodCIDR: netip.MustParsePrefix("10.0.0.0/22")}
	if err := cfg.complete(); err == nil {
		t.Fatal("5 nodes fit in a /22 of /24s")
	}
}

func TestIPPoolAllocatesUniqueIPsAndReusesReleased(t *testing.T) {
	p := newIPPool(netip.MustParsePrefix("100.64.7.0/24"))
	seen := map[netip.Addr]types.UID{}
	for i := range 253 {
		uid := types.UID(fmt.Sprint(i))
		ip, err := p.assign(uid)
		if err != nil {
			t.Fatalf("pod %d: %v", i, err)
		}
		if other, dup := seen[ip]; dup {
			t.Fatalf("%s given to pods %s and %s", ip, other, uid)
		}
		last := ip.As4()[3]
		if last == 0 || last == 1 || last == 255 {
			t.Fatalf("gave out reserved address %s", ip)
		}
		seen[ip] = uid
		if again, _ := p.assign(uid); again != ip {
			t.Fatalf("a pod's IP changed from %s to %s", ip, again)
		}
	}
	if _, err := p.assign("one-too-many"); err == nil {
		t.Fatal("allocated past the end of the /24")
	}
	p.release("7")
	if _, err := p.assign("newcomer"); err != nil {
		t.Fatalf("released IP not reused: %v", err)
	}
}

func TestIPPoolClaimKeepsExistingIPs(t *testing.T) {
	p := newIPPool(netip.MustParsePrefix("100.64.0.0/24"))
	p.claim("old", netip.MustParseAddr("100.64.0.2"))
	ip, err := p.assign("new")
	if err != nil {
		t.Fatal(err)
	}
	if ip == netip.MustParseAddr("100.64.0.2") {
		t.Fatal("assigned an IP that a running pod already has")
	}
}
