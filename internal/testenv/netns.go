package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// EdgeNS is an edge site in its own Linux network namespace, joined to the
// host (the cloud) by a veth pair: the edge reaches CloudIP, and the cloud
// reaches the edge only at EdgeIP, where nothing needs to listen.
type EdgeNS struct {
	Name            string
	CloudIP, EdgeIP string
	hostVeth        string
}

var edgeNSSeq atomic.Int32

// NewEdgeNS creates a namespace named <prefix>-<pid><n> (prefix: a few
// letters of the test package, so that packages running at once never
// touch each other's), on subnet 10.<octet>.<n>.0/24, removed when the
// test ends. Tests must run as root with iproute2.
func NewEdgeNS(tb testing.TB, prefix string, octet int) *EdgeNS {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Fatal("this test creates network namespaces and must run as root")
	}
	n := int(edgeNSSeq.Add(1))
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, n)
	e := &EdgeNS{
		Name:     prefix + "-" + id,
		hostVeth: prefix + "h" + id,
		CloudIP:  fmt.Sprintf("10.%d.%d.1", octet, n),
		EdgeIP:   fmt.Sprintf("10.%d.%d.2", octet, n),
	}
	edgeVeth := prefix + "e" + id
	IP(tb, "netns", "add", e.Name)
	tb.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", e.hostVeth).Run()
		_ = exec.Command("ip", "netns", "delete", e.Name).Run()
	})
	IP(tb, "link", "add", e.hostVeth, "type", "veth", "peer", "name", edgeVeth)
	IP(tb, "link", "set", edgeVeth, "netns", e.Name)
	IP(tb, "addr", "add", e.CloudIP+"/24", "dev", e.hostVeth)
	IP(tb, "link", "set", e.hostVeth, "up")
	IP(tb, "-n", e.Name, "addr", "add", e.EdgeIP+"/24", "dev", edgeVeth)
	IP(tb, "-n", e.Name, "link", "set", edgeVeth, "up")
	IP(tb, "-n", e.Name, "link", "set", "lo", "up")
	return e
}

// IP runs the ip command (iproute2), failing the test on error.
func IP(tb testing.TB, args ...string) {
	tb.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		tb.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Command runs name in the edge namespace.
func (e *EdgeNS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", e.Name, name}, args...)...)
}

// SetLink cuts (false) or restores (true) the link between edge and cloud.
func (e *EdgeNS) SetLink(tb testing.TB, up bool) {
	state := "down"
	if up {
		state = "up"
	}
	IP(tb, "link", "set", e.hostVeth, state)
}
