package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/tunnel"
	"github.com/outpost-edge/outpost/internal/tunnel/agent"
	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
	"github.com/outpost-edge/outpost/internal/tunnel/token"
)

// addTunnelServerFlags adds the tunnel server's flags to `outpost server`.
func addTunnelServerFlags(f *pflag.FlagSet, c *tunnel.Config) {
	f.StringVar(&c.Listen, "tunnel-listen", ":8132", "TLS address edge agents connect to (join, tunnel, forwarding between replicas; 0 disables the tunnel)")
	f.StringVar(&c.ProxyListen, "tunnel-proxy-listen", ":8133", "HTTPS proxy address for users: CONNECT <node>:<port> (outpost ssh) and http:// URLs of node and pod addresses (0 disables it)")
	f.StringVar(&c.AdvertiseHost, "tunnel-advertise-host", "", "host other replicas and users reach this replica's tunnel at (default: the machine's first address)")
	f.IntSliceVar(&c.AllowedPorts, "tunnel-allowed-ports", []int{22}, "node ports users may reach through the proxy (0: any); the agent's --tunnel-allow applies too")
	f.StringSliceVar(&c.SANs, "tunnel-tls-san", nil, "extra names for the tunnel's serving certificate")
	f.DurationVar(&c.KeepAlive, "tunnel-keepalive", 15*time.Second, "ping interval on agent connections; one unanswered for this long closes the connection")
}

// addTunnelAgent adds the tunnel client to `outpost agent`: with
// --tunnel-server it runs next to whatever else the agent runs (or alone,
// when the agent is given no --kubeconfig).
func addTunnelAgent(cmd *cobra.Command, g *globalFlags) {
	var cfg agent.Config
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Servers, "tunnel-server", nil, "tunnel addresses of the server replicas (host:port, tried in turn); enables the tunnel")
	f.StringVar(&cfg.Token, "tunnel-token", "", "bootstrap token to join with (outpost token create); unused once the node certificate is stored")
	f.StringVar(&cfg.CAHash, "tunnel-ca-hash", "", "sha256:<hex> pin of the tunnel CA, to verify the server when joining")
	f.StringVar(&cfg.Node, "node-name", "", "this node's name (default: the host name)")
	f.StringSliceVar(&cfg.Allow, "tunnel-allow", []string{"22", "10250"}, "what the cloud may reach through this node: PORT, HOST:PORT, CIDR:PORT, * (repeatable or comma-separated)")
	f.DurationVar(&cfg.KeepAlive, "tunnel-keepalive", 15*time.Second, "ping interval on the tunnel; one unanswered for this long reconnects")
	f.DurationVar(&cfg.MaxBackoff, "tunnel-max-backoff", 30*time.Second, "longest wait between reconnection attempts (jittered, doubling from 500ms)")
	inner := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(cfg.Servers) == 0 {
			return inner(cmd, args)
		}
		log, err := g.logger()
		if err != nil {
			return err
		}
		if cfg.Node == "" {
			h, err := os.Hostname()
			if err != nil {
				return err
			}
			cfg.Node = strings.ToLower(h)
		}
		if cfg.DataDir, err = filepath.Abs(cmd.Flag("data-dir").Value.String()); err != nil {
			return err
		}
		a, err := agent.New(cfg, log)
		if err != nil {
			return err
		}
		if !cmd.Flags().Changed("kubeconfig") {
			return a.Run(cmd.Context()) // the tunnel alone
		}
		grp, ctx := errgroup.WithContext(cmd.Context())
		cmd.SetContext(ctx)
		grp.Go(func() error { return a.Run(ctx) })
		grp.Go(func() error { return inner(cmd, args) })
		return grp.Wait()
	}
}

// kubeClientConfig loads --kubeconfig, else the usual kubeconfig, else the
// admin kubeconfig of a server on this machine.
func kubeClientConfig(path string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	if path == "" && os.Getenv("KUBECONFIG") == "" {
		if _, err := os.Stat(clientcmd.RecommendedHomeFile); err != nil {
			rules.ExplicitPath = filepath.Join(defaultDataDir("server"), "admin.kubeconfig")
		}
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
}

func newTokenCommand() *cobra.Command {
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage the bootstrap tokens edge agents join with",
		Long: `Manage bootstrap tokens. They are standard Kubernetes bootstrap tokens
(Secrets kube-system/bootstrap-token-<id>). An agent joins with one and gets
a node certificate for the tunnel; the token is not needed after that.
Revoking a token also revokes the certificates issued with it.`,
	}
	cmd.PersistentFlags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: $KUBECONFIG, ~/.kube/config, or the local server's admin.kubeconfig)")
	client := func() (kubernetes.Interface, error) {
		rc, err := kubeClientConfig(kubeconfig)
		if err != nil {
			return nil, err
		}
		return kubernetes.NewForConfig(rc)
	}
	var (
		ttl         time.Duration
		description string
		node        string
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a bootstrap token and print it with the join command",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			tok, _, err := token.CreateForNode(cmd.Context(), c, ttl, description, node)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, tok)
			printJoinHint(cmd.Context(), cmd.ErrOrStderr(), c, tok)
			return nil
		},
	}
	create.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token may be used to join (0: forever)")
	create.Flags().StringVar(&description, "description", "", "what the token is for")
	create.Flags().StringVar(&node, "node", "", "bind the token to this node name: it joins only that node, and may replace the node's "+
		"current certificate (re-provisioning a box); an unbound token cannot join a node name that holds a valid certificate")
	list := &cobra.Command{
		Use:   "list",
		Short: "List bootstrap tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			toks, err := token.List(cmd.Context(), c)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEXPIRES\tNODE\tDESCRIPTION")
			for _, t := range toks {
				exp := "never"
				if !t.Expires.IsZero() {
					exp = t.Expires.Format(time.RFC3339)
					if t.Expired {
						exp += " (expired)"
					}
				}
				node := t.Node
				if node == "" {
					node = "<any>"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, exp, node, t.Description)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a bootstrap token and the node certificates issued with it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			id, _, _ := strings.Cut(args[0], ".") // accept the whole token too
			tokErr := token.Revoke(cmd.Context(), c, id)
			nodes, err := tunnel.RevokeToken(cmd.Context(), c, id)
			if err != nil {
				return err
			}
			if tokErr != nil && len(nodes) == 0 {
				return tokErr
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked", id)
			if len(nodes) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "; node certificates revoked: %s", strings.Join(nodes, ", "))
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func printJoinHint(ctx context.Context, w io.Writer, c kubernetes.Interface, tok string) {
	cm, err := c.CoreV1().ConfigMaps(tunnel.PublicNamespace).Get(ctx, tunnel.CAConfigMap, metav1.GetOptions{})
	if err != nil {
		fmt.Fprintln(w, "(the tunnel CA is not published yet: start `outpost server` with the tunnel enabled to get the join command)")
		return
	}
	servers, _ := tunnel.ReplicaAddresses(ctx, c, tunnel.AnnotationAddress)
	if len(servers) == 0 {
		servers = []string{"<server>:8132"}
	}
	fmt.Fprintf(w, "\nJoin an edge node with:\n\n    outpost agent --tunnel-server %s --tunnel-token %s --tunnel-ca-hash %s --node-name <name>\n\n",
		strings.Join(servers, ","), tok, cm.Data["ca-cert-hash"])
}

func newSSHCommand() *cobra.Command {
	var (
		kubeconfig, proxy, user string
		port                    int
		stdio                   bool
	)
	cmd := &cobra.Command{
		Use:   "ssh NODE [-- SSH-ARGS...]",
		Short: "ssh to an edge node through the tunnel",
		Long: `ssh to an edge node through the cloud–edge tunnel: the node needs no
inbound connectivity. Runs the system ssh with itself as ProxyCommand; with
--stdio it is that ProxyCommand, connecting stdin and stdout to the node's
port, so any ssh client (or another TCP client) can use it:

    ssh -o ProxyCommand='outpost ssh --stdio %h' root@edge-1

You need nodes/proxy on the node (RBAC), as for the API server's node proxy;
the server's --tunnel-allowed-ports and the agent's --tunnel-allow must allow
the port.`,
		Example: `  outpost ssh edge-1
  outpost ssh edge-1 -l admin -- -L 8080:localhost:80
  outpost ssh --stdio -p 5432 edge-1 > dump.bin`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			node := args[0]
			if !stdio {
				return execSSH(cmd, node, port, user, kubeconfig, proxy, args[1:])
			}
			rc, err := kubeClientConfig(kubeconfig)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := tunnel.NewClient(ctx, rc, proxy)
			if err != nil {
				return err
			}
			conn, err := c.Dial(ctx, node+":"+strconv.Itoa(port))
			if err != nil {
				return fmt.Errorf("ssh %s: %w", node, err)
			}
			defer conn.Close()
			done := make(chan error, 2)
			go func() {
				_, err := io.Copy(conn, cmd.InOrStdin())
				pipe.CloseWrite(conn)
				done <- err
			}()
			go func() { _, err := io.Copy(cmd.OutOrStdout(), conn); done <- err }()
			select {
			case err := <-done:
				if err == nil {
					err = <-done
				}
				return err
			case <-ctx.Done():
				return nil
			}
		},
	}
	f := cmd.Flags()
	f.IntVarP(&port, "port", "p", 22, "port on the node")
	f.StringVarP(&user, "login", "l", "", "user to log in as")
	f.BoolVar(&stdio, "stdio", false, "connect stdin/stdout to the node's port (for ssh ProxyCommand)")
	f.StringVar(&proxy, "proxy", "", "tunnel proxy address (default: found in the cluster)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: $KUBECONFIG, ~/.kube/config, or the local server's admin.kubeconfig)")
	return cmd
}

func execSSH(cmd *cobra.Command, node string, port int, user, kubeconfig, proxy string, extra []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	pc := []string{shellQuote(self), "ssh", "--stdio", "-p", strconv.Itoa(port)}
	if kubeconfig != "" {
		pc = append(pc, "--kubeconfig", shellQuote(kubeconfig))
	}
	if proxy != "" {
		pc = append(pc, "--proxy", shellQuote(proxy))
	}
	pc = append(pc, shellQuote(node))
	args := []string{"-o", "ProxyCommand=" + strings.Join(pc, " "), "-o", "HostKeyAlias=" + node}
	if user != "" {
		args = append(args, "-l", user)
	}
	args = append(args, extra...)
	args = append(args, node)
	ssh := exec.CommandContext(cmd.Context(), "ssh", args...)
	ssh.Stdin, ssh.Stdout, ssh.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	err = ssh.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee.ExitCode())
	}
	return err
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
