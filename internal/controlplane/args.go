package controlplane

import (
	"strconv"
	"strings"
)

// The flags below are the upstream components' own; Outpost picks values
// that make a single-binary control plane work out of the box, and the
// user's extra args (appended last) win over them.

func apiServerArgs(cfg Config, p Paths, etcd datastoreEndpoints) []string {
	args := []string{
		"--bind-address=" + cfg.BindAddress.String(),
		"--secure-port=" + strconv.Itoa(cfg.Port),
		"--cert-dir=" + p.PKI(),
		"--tls-cert-file=" + p.Cert(certAPIServer),
		"--tls-private-key-file=" + p.Key(certAPIServer),
		"--client-ca-file=" + p.Cert(certCA),
		"--etcd-servers=" + strings.Join(etcd.endpoints, ","),
		"--storage-backend=etcd3",
		"--service-cluster-ip-range=" + cfg.ServiceCIDR,
		"--service-account-key-file=" + p.join("pki", keyServiceAccount+".pub"),
		"--service-account-signing-key-file=" + p.Key(keyServiceAccount),
		"--service-account-issuer=" + serviceAccountIssue,
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--enable-bootstrap-token-auth=true",
		"--allow-privileged=true",
		"--kubelet-client-certificate=" + p.Cert(certKubeletClient),
		"--kubelet-client-key=" + p.Key(certKubeletClient),
		"--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
		"--proxy-client-cert-file=" + p.Cert(certFrontProxyClnt),
		"--proxy-client-key-file=" + p.Key(certFrontProxyClnt),
		"--requestheader-client-ca-file=" + p.Cert(certFrontProxyCA),
		"--requestheader-allowed-names=" + frontProxyCN,
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-username-headers=X-Remote-User",
		"--profiling=false",
	}
	if cfg.AdvertiseAddress != nil {
		args = append(args, "--advertise-address="+cfg.AdvertiseAddress.String())
	}
	if cfg.EgressSelectorConfigFile != "" {
		args = append(args, "--egress-selector-config-file="+cfg.EgressSelectorConfigFile)
	}
	if etcd.caFile != "" {
		args = append(args, "--etcd-cafile="+etcd.caFile)
	}
	if etcd.certFile != "" {
		args = append(args, "--etcd-certfile="+etcd.certFile, "--etcd-keyfile="+etcd.keyFile)
	}
	return append(args, cfg.APIServerArgs...)
}

func controllerManagerArgs(cfg Config, p Paths, leaderElect bool) []string {
	args := append(clientArgs(p.Kubeconfig(certControllerMgr), leaderElect),
		"--cluster-signing-cert-file="+p.Cert(certCA),
		"--cluster-signing-key-file="+p.Key(certCA),
		"--root-ca-file="+p.Cert(certCA),
		"--service-account-private-key-file="+p.Key(keyServiceAccount),
		"--use-service-account-credentials=true",
		"--service-cluster-ip-range="+cfg.ServiceCIDR,
		"--controllers=*,tokencleaner,bootstrapsigner",
		// Release the lease on exit, so that a restarted or second server
		// takes over at once instead of after the lease expires; without
		// it the upstream controller manager also exits the process.
		"--feature-gates=ControllerManagerReleaseLeaderElectionLockOnExit=true",
	)
	return append(args, cfg.ControllerManagerArgs...)
}

func schedulerArgs(cfg Config, p Paths, leaderElect bool) []string {
	return append(clientArgs(p.Kubeconfig(certScheduler), leaderElect), cfg.SchedulerArgs...)
}

// clientArgs are the flags shared by the components that are clients of
// the API server.
func clientArgs(kubeconfig string, leaderElect bool) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		// No serving port: several servers may share a host in tests, and
		// the API server's health is what users and probes look at.
		"--secure-port=0",
		"--leader-elect=" + strconv.FormatBool(leaderElect),
		"--profiling=false",
	}
}
