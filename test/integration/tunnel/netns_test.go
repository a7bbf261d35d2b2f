package tunnel

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// An edge site in its own Linux network namespace, joined to the host (the
// cloud) by a veth pair. The edge's services listen on the namespace's own
// loopback, which no address in the cloud namespace reaches: the only way
// in is the tunnel the agent dials out.
type edgeNS struct {
	Name            string
	CloudIP, EdgeIP string
	hostVeth        string
}

// nsPrefix names every namespace these tests create, so a run cleans up
// what a killed earlier run left behind.
const nsPrefix = "otun"

var nsSeq atomic.Int32

func ipCmd(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func requireNetns(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("these tests create network namespaces and must run as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("ip (iproute2) is required: .ci/run installs it")
	}
}

// cleanupStale deletes namespaces and veths left by runs that were killed
// before their cleanup ran: those whose creating process is gone (other
// test processes may be running at the same time; theirs are kept).
func cleanupStale() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if pid, ok := ownerPID(strings.TrimPrefix(name, nsPrefix+"-"), "-"); ok && strings.HasPrefix(name, nsPrefix+"-") && !alive(pid) {
			_ = exec.Command("ip", "netns", "delete", name).Run()
		}
	}
	out, _ = exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 {
			dev, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if pid, ok := ownerPID(strings.TrimPrefix(dev, "ot"), "h"); ok && strings.HasPrefix(dev, "ot") && !alive(pid) {
				_ = exec.Command("ip", "link", "delete", dev).Run()
			}
		}
	}
}

// ownerPID parses the "<pid><sep><n>" part of a name.
func ownerPID(s, sep string) (int, bool) {
	p, _, ok := strings.Cut(s, sep)
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	return pid, err == nil
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

func newEdgeNS(t testing.TB) *edgeNS {
	t.Helper()
	requireNetns(t)
	n := int(nsSeq.Add(1))
	pid := os.Getpid()
	// Subnets differ per process too, so test processes run side by side.
	subnet := (pid*7 + n) % 250
	e := &edgeNS{
		Name:     fmt.Sprintf("%s-%d-%d", nsPrefix, pid, n),
		hostVeth: fmt.Sprintf("ot%dh%d", pid, n),
		CloudIP:  fmt.Sprintf("10.231.%d.1", subnet),
		EdgeIP:   fmt.Sprintf("10.231.%d.2", subnet),
	}
	edgeVeth := fmt.Sprintf("ot%de%d", pid, n)
	ipCmd(t, "netns", "add", e.Name)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", e.hostVeth).Run()
		_ = exec.Command("ip", "netns", "delete", e.Name).Run()
	})
	ipCmd(t, "link", "add", e.hostVeth, "type", "veth", "peer", "name", edgeVeth)
	ipCmd(t, "link", "set", edgeVeth, "netns", e.Name)
	ipCmd(t, "addr", "add", e.CloudIP+"/24", "dev", e.hostVeth)
	ipCmd(t, "link", "set", e.hostVeth, "up")
	ipCmd(t, "-n", e.Name, "addr", "add", e.EdgeIP+"/24", "dev", edgeVeth)
	ipCmd(t, "-n", e.Name, "link", "set", edgeVeth, "up")
	ipCmd(t, "-n", e.Name, "link", "set", "lo", "up")
	return e
}

// Command runs name in the edge namespace.
func (e *edgeNS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", e.Name, name}, args...)...)
}

// SetLink cuts (false) or restores (true) the link between edge and cloud.
func (e *edgeNS) SetLink(t testing.TB, up bool) {
	state := "down"
	if up {
		state = "up"
	}
	ipCmd(t, "link", "set", e.hostVeth, state)
}
