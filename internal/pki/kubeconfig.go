package pki

import (
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// WriteKubeconfig writes a kubeconfig that reaches server, trusting caFile
// and authenticating with the given client certificate. Files are referenced
// by absolute path, not embedded, so that certificates renewed at the next
// start are picked up by every kubeconfig without rewriting it... except the
// admin one, which is self-contained so it can be copied to another machine.
func WriteKubeconfig(path, server, caFile, certFile, keyFile string, embed bool) error {
	cluster := &clientcmdapi.Cluster{Server: server, CertificateAuthority: caFile}
	user := &clientcmdapi.AuthInfo{ClientCertificate: certFile, ClientKey: keyFile}
	if embed {
		var err error
		if cluster.CertificateAuthorityData, err = os.ReadFile(caFile); err != nil {
			return err
		}
		if user.ClientCertificateData, err = os.ReadFile(certFile); err != nil {
			return err
		}
		if user.ClientKeyData, err = os.ReadFile(keyFile); err != nil {
			return err
		}
		cluster.CertificateAuthority, user.ClientCertificate, user.ClientKey = "", "", ""
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["outpost"] = cluster
	cfg.AuthInfos["outpost"] = user
	cfg.Contexts["outpost"] = &clientcmdapi.Context{Cluster: "outpost", AuthInfo: "outpost"}
	cfg.CurrentContext = "outpost"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
