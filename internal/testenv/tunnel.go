package testenv

import (
	"regexp"
	"testing"
)

// TunnelAddresses are where the server's tunnel listens, as it logged them:
// the agent-facing address, the user-facing proxy and the CA pin agents
// join with. It waits for the log line.
func (s *Server) TunnelAddresses(tb testing.TB) (agents, proxy, caHash string) {
	tb.Helper()
	re := regexp.MustCompile(`tunnel serving.* agents=(\S+).* proxy=(\S+) caHash=(\S+)`)
	Eventually(tb, DefaultTimeout, "the tunnel listening", func() error {
		m := re.FindStringSubmatch(s.Output())
		if m == nil {
			return errNotYet
		}
		agents, proxy, caHash = m[1], m[2], m[3]
		return nil
	})
	return agents, proxy, caHash
}
