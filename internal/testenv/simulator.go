package testenv

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Simulator is an `outpost agent --simulate-kubelet` subprocess.
type Simulator struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

// SimulatorOptions tune StartSimulator.
type SimulatorOptions struct {
	Nodes      int
	NamePrefix string
	Labels     map[string]string
	Args       []string
}

// StartSimulator runs simulated nodes against kubeconfig and waits until
// they are registered. The process is killed when the test ends.
func StartSimulator(tb testing.TB, kubeconfig string, opts SimulatorOptions) *Simulator {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		tb.Fatal(err)
	}
	args := []string{"agent", "--simulate-kubelet", "--kubeconfig", kubeconfig,
		"--nodes", strconv.Itoa(max(opts.Nodes, 1)),
		// Free kubelet API ports: tests run several simulators at once.
		"--kubelet-port=0"}
	if opts.NamePrefix != "" {
		args = append(args, "--node-name-prefix", opts.NamePrefix)
	}
	for k, v := range opts.Labels {
		args = append(args, "--node-labels", k+"="+v)
	}
	args = append(args, opts.Args...)
	s := &Simulator{cmd: exec.Command(bin, args...), out: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	tb.Cleanup(s.Kill)
	Eventually(tb, StartTimeout, "simulated nodes registered", func() error {
		select {
		case <-s.exited:
			tb.Fatalf("simulator exited:\n%s", s.out.String())
		default:
		}
		if !strings.Contains(s.out.String(), "simulated nodes registered") {
			return errNotYet
		}
		return nil
	})
	return s
}

// Kill ends the simulator at once, as a node losing power would.
func (s *Simulator) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
	}
}

// Output is what the simulator printed.
func (s *Simulator) Output() string { return s.out.String() }

type notYet struct{}

func (notYet) Error() string { return "not yet" }

var errNotYet error = notYet{}
