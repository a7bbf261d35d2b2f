package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/simkubelet"
)

func newAgentCommand(g *globalFlags) *cobra.Command {
	var (
		kubeconfig string
		simulate   bool
		sim        simkubelet.Config
		labels     []string
		qps        float32
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the edge side on a node (or simulate edge nodes)",
		Long: `Run the edge side of Outpost on a node.

--simulate-kubelet registers simulated nodes instead: they keep their Leases
and Ready condition fresh and report the pods scheduled onto them as Running,
without running containers. Use it to try Outpost, in tests and for scale
tests; one process hosts hundreds of nodes. Simulated nodes carry the label
outpost.io/simulated=true.`,
		Example: `  outpost agent --simulate-kubelet --nodes 3 --kubeconfig /var/lib/outpost/server/admin.kubeconfig
  outpost agent --simulate-kubelet --nodes 500 --node-name-prefix store --node-labels topology.kubernetes.io/zone=paris`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			if !simulate {
				return errors.New("only --simulate-kubelet is available yet: the edge agent (API cache proxy and tunnel) is being built")
			}
			if sim.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			restCfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				return fmt.Errorf("--kubeconfig: %w", err)
			}
			restCfg.QPS, restCfg.Burst = qps, int(2*qps)
			restCfg.UserAgent = "outpost-simulated-kubelet"
			client, err := kubernetes.NewForConfig(restCfg)
			if err != nil {
				return err
			}
			return simkubelet.Run(cmd.Context(), client, sim, log, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the API endpoint to use (the cloud, or the edge proxy in front of it)")
	f.BoolVar(&simulate, "simulate-kubelet", false, "simulate kubelets instead of running the edge agent")
	f.IntVar(&sim.Count, "nodes", 1, "number of simulated nodes")
	f.StringVar(&sim.NamePrefix, "node-name-prefix", "sim-node", "simulated nodes are named <prefix>-0, <prefix>-1, ...")
	f.StringSliceVar(&labels, "node-labels", nil, "labels for the simulated nodes, key=value (repeatable or comma-separated)")
	f.Float32Var(&qps, "kube-api-qps", 100, "API requests per second allowed to the simulator")
	return cmd
}

func parseLabels(pairs []string) (map[string]string, error) {
	labels := map[string]string{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--node-labels: want key=value, got %q", kv)
		}
		labels[k] = v
	}
	return labels, nil
}
