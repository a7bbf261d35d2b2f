package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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

var (
	edgeNSSeq   atomic.Int32
	staleSwept  sync.Map     // prefix → struct{}: swept once per process
	edgeNSNames = "%s-%d-%d" // <prefix>-<pid>-<n>: namespaces
	edgeNSVeths = "%s%d%c%d" // <prefix><pid><h|e><n>: veth ends (15 bytes at most)
)

// NewEdgeNS creates a namespace named <prefix>-<pid>-<n> (prefix: a few
// letters of the test package, so that packages running at once never
// touch each other's), on subnet 10.<octet>.<x>.0/24 with x unique to
// this process and namespace, removed when the test ends. What earlier
// runs of the same prefix left behind when they were killed is removed
// first; namespaces of live processes are kept. Tests must run as root
// with iproute2.
func NewEdgeNS(tb testing.TB, prefix string, octet int) *EdgeNS {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Fatal("this test creates network namespaces and must run as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		tb.Fatal("ip (iproute2) is required: .ci/run installs it")
	}
	if _, swept := staleSwept.LoadOrStore(prefix, struct{}{}); !swept {
		removeStaleEdgeNS(prefix)
	}
	n := int(edgeNSSeq.Add(1))
	pid := os.Getpid()
	// Subnets differ per process too, so test processes run side by side.
	subnet := (pid*7 + n) % 250
	e := &EdgeNS{
		Name:     fmt.Sprintf(edgeNSNames, prefix, pid, n),
		hostVeth: fmt.Sprintf(edgeNSVeths, prefix, pid, 'h', n),
		CloudIP:  fmt.Sprintf("10.%d.%d.1", octet, subnet),
		EdgeIP:   fmt.Sprintf("10.%d.%d.2", octet, subnet),
	}
	edgeVeth := fmt.Sprintf(edgeNSVeths, prefix, pid, 'e', n)
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

// removeStaleEdgeNS deletes the namespaces and host veths of prefix whose
// creating process is gone (a run killed before its cleanup ran).
func removeStaleEdgeNS(prefix string) {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		var pid, n int
		if _, err := fmt.Sscanf(name, prefix+"-%d-%d", &pid, &n); err == nil && !processAlive(pid) {
			_ = exec.Command("ip", "netns", "delete", name).Run()
		}
	}
	out, _ = exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		dev, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		rest, ok := strings.CutPrefix(dev, prefix)
		if !ok {
			continue
		}
		digits, _, found := strings.Cut(rest, "h")
		if pid, err := strconv.Atoi(digits); found && err == nil && !processAlive(pid) {
			_ = exec.Command("ip", "link", "delete", dev).Run()
		}
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
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
