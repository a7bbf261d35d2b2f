// Package testenv gives tests a real Kubernetes control plane: the outpost
// binary, built once per test process, runs `outpost server` as a
// subprocess on a free port and a temporary data directory. Tests talk to it
// with real clients; nothing here fakes the API server.
//
// A test package shares one server through Shared, started on first use and
// stopped by Main after the last test:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := testenv.Shared(t)
//		ns := testenv.Namespace(t, srv.Client(t))
//		...
//	}
//
// Tests that need a server of their own (restarts, attach mode) call
// StartServer. Set OUTPOST_BIN to a prebuilt binary to skip the build.
package testenv
