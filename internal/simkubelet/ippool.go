package simkubelet

import (
	"fmt"
	"net/netip"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// ipPool hands out pod IPs from a node's /24, skipping the network address,
// the node's own address (.1) and the broadcast address.
type ipPool struct {
	mu     sync.Mutex
	subnet netip.Prefix
	byPod  map[types.UID]netip.Addr
	used   map[netip.Addr]bool
	next   netip.Addr
}

func newIPPool(subnet netip.Prefix) *ipPool {
	return &ipPool{subnet: subnet, byPod: map[types.UID]netip.Addr{}, used: map[netip.Addr]bool{}}
}

// assign returns the pod's IP, allocating one on first call.
func (p *ipPool) assign(uid types.UID) (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ip, ok := p.byPod[uid]; ok {
		return ip, nil
	}
	first := p.subnet.Addr().Next().Next() // .2
	if !p.next.IsValid() {
		p.next = first
	}
	for range 253 {
		ip := p.next
		p.next = ip.Next()
		if !p.subnet.Contains(p.next) || p.next.As4()[3] == 255 {
			p.next = first
		}
		if !p.used[ip] {
			p.byPod[uid], p.used[ip] = ip, true
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no pod IP left in %s", p.subnet)
}

// claim records an IP the pod already has.
func (p *ipPool) claim(uid types.UID, ip netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.byPod[uid], p.used[ip] = ip, true
}

// release frees the pod's IP.
func (p *ipPool) release(uid types.UID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ip, ok := p.byPod[uid]; ok {
		delete(p.used, ip)
		delete(p.byPod, uid)
	}
}
