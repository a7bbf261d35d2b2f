// Package controlplane runs an embedded Kubernetes control plane: the
// upstream kube-apiserver, kube-controller-manager and kube-scheduler, in
// this process, on a kine (SQLite) or etcd datastore, with certificates it
// creates on first start.
package controlplane

import (
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// Config says how to run the control plane. The zero value of every optional
// field picks the default documented on it.
type Config struct {
	// DataDir holds the datastore, certificates, kubeconfigs and logs.
	DataDir string
	// BindAddress is where the API server listens (default 0.0.0.0).
	BindAddress net.IP
	// Port is the API server's HTTPS port (default 6443; 0 picks a free one).
	Port int
	// AdvertiseAddress is the address other members of the cluster use to
	// reach this API server (default: the bind address, or the host's
	// primary address when binding to all interfaces).
	AdvertiseAddress net.IP
	// DatastoreEndpoint is an external etcd cluster ("https://h1:2379,...").
	// Empty means kine on SQLite under DataDir.
	DatastoreEndpoint string
	// Datastore TLS material for an external etcd.
	DatastoreCAFile, DatastoreCertFile, DatastoreKeyFile string
	// ServiceCIDR is the range of Service cluster IPs (default 10.43.0.0/16).
	ServiceCIDR string
	// ExtraSANs are added to the API server's serving certificate.
	ExtraSANs []string
	// EgressSelectorConfigFile, when set, is the API server's
	// --egress-selector-config-file (see package egress).
	EgressSelectorConfigFile string
	// Extra upstream flags per component, "--name=value", applied last so
	// they override Outpost's choices.
	APIServerArgs, ControllerManagerArgs, SchedulerArgs []string
}

// Paths of everything the control plane keeps in its data directory.
type Paths struct{ dir string }

// PathsFor returns the paths under dataDir.
func PathsFor(dataDir string) Paths { return Paths{dir: dataDir} }

func (p Paths) join(elem ...string) string { return filepath.Join(append([]string{p.dir}, elem...)...) }

// AdminKubeconfig has full access; it is what users point kubectl at.
func (p Paths) AdminKubeconfig() string { return p.join("admin.kubeconfig") }

// PKI is the directory of certificates and keys.
func (p Paths) PKI() string { return p.join("pki") }

// Cert and Key of the named certificate in the PKI directory.
func (p Paths) Cert(name string) string { return p.join("pki", name+".crt") }
func (p Paths) Key(name string) string  { return p.join("pki", name+".key") }

// Kubeconfig of the named component.
func (p Paths) Kubeconfig(component string) string {
	return p.join("kubeconfig", component+".kubeconfig")
}

// Database is the SQLite file of the default datastore.
func (p Paths) Database() string { return p.join("db", "state.db") }

// EgressSocket is the unix socket of the API server's egress proxy. Unix
// socket paths are limited to about 100 bytes, so a deep data directory
// gets one in the temporary directory, named after it.
func (p Paths) EgressSocket() string {
	if s := p.join("egress.sock"); len(s) < 100 {
		return s
	}
	sum := sha256.Sum256([]byte(p.dir))
	return filepath.Join(os.TempDir(), fmt.Sprintf("outpost-egress-%x.sock", sum[:6]))
}

// EgressSelectorConfig is the EgressSelectorConfiguration file written for
// the embedded API server.
func (p Paths) EgressSelectorConfig() string { return p.join("egress-selector.yaml") }

// KubernetesLog receives the upstream components' logs.
func (p Paths) KubernetesLog() string { return p.join("logs", "kubernetes.log") }
