package simkubelet

import (
	"fmt"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// LabelSimulated marks every simulated node.
const LabelSimulated = "outpost.io/simulated"

// Config describes a fleet of simulated nodes.
type Config struct {
	// NamePrefix names the nodes <prefix>-0 ... <prefix>-(Count-1).
	NamePrefix string
	// Count is the number of nodes (default 1).
	Count int
	// Labels are put on every node, besides the standard ones.
	Labels map[string]string
	// PodCIDR is carved into one /24 per node for pod IPs (default
	// 100.64.0.0/10, the shared address space, which no real network here
	// routes). Node i gets the i-th /24.
	PodCIDR netip.Prefix
	// Capacity of each node (default 8 CPUs, 32Gi memory, 110 pods).
	Capacity corev1.ResourceList
	// LeaseDuration and RenewInterval of the node Leases (defaults 40s and
	// 10s, as the kubelet).
	LeaseDuration, RenewInterval time.Duration
	// StatusInterval is how often the Ready condition's heartbeat is
	// refreshed (default 1m; the Lease is what proves liveness).
	StatusInterval time.Duration
	// Workers update pod statuses in parallel (default 8).
	Workers int
	// Kubelet, when set, serves the kubelet API of every node (logs, exec,
	// attach, port-forward) and makes its address the nodes' InternalIP.
	Kubelet *KubeletConfig
}

func (c *Config) complete() error {
	if c.NamePrefix == "" {
		c.NamePrefix = "sim-node"
	}
	if c.Count == 0 {
		c.Count = 1
	}
	if !c.PodCIDR.IsValid() {
		c.PodCIDR = netip.MustParsePrefix("100.64.0.0/10")
	}
	if !c.PodCIDR.Addr().Is4() || c.PodCIDR.Bits() > 24 {
		return fmt.Errorf("pod CIDR %s: want an IPv4 prefix of /24 or larger", c.PodCIDR)
	}
	if max := 1 << (24 - c.PodCIDR.Bits()); c.Count > max {
		return fmt.Errorf("pod CIDR %s has room for %d nodes, not %d", c.PodCIDR, max, c.Count)
	}
	if c.Capacity == nil {
		c.Capacity = corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("8"),
			corev1.ResourceMemory: resource.MustParse("32Gi"),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
	}
	if c.LeaseDuration == 0 {
		c.LeaseDuration = 40 * time.Second
	}
	if c.RenewInterval == 0 {
		c.RenewInterval = c.LeaseDuration / 4
	}
	if c.StatusInterval == 0 {
		c.StatusInterval = time.Minute
	}
	if c.Workers == 0 {
		c.Workers = 8
	}
	if k := c.Kubelet; k != nil {
		if !k.Address.IsValid() {
			return fmt.Errorf("kubelet API: no address")
		}
		if k.ClientCAs == nil {
			return fmt.Errorf("kubelet API: no client CA to verify the API server's certificate with")
		}
		if k.Port < 0 || k.Port+c.Count-1 > 65535 {
			return fmt.Errorf("kubelet API: ports %d..%d out of range", k.Port, k.Port+c.Count-1)
		}
	}
	return nil
}

// nodeName is the name of node i.
func (c *Config) nodeName(i int) string { return fmt.Sprintf("%s-%d", c.NamePrefix, i) }

// nodeSubnet is the /24 of node i.
func (c *Config) nodeSubnet(i int) netip.Prefix {
	base := c.PodCIDR.Masked().Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8
	n += uint32(i) << 8
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), 0}), 24)
}
