package egress

import (
	apiserverv1beta1 "k8s.io/apiserver/pkg/apis/apiserver/v1beta1"
	"sigs.k8s.io/yaml"
)

// SelectorConfiguration is the EgressSelectorConfiguration that sends the
// API server's "cluster" traffic (to nodes, pods and services) through
// this package's Server at transport. Control-plane and etcd traffic stay
// direct.
func SelectorConfiguration(transport apiserverv1beta1.Transport) ([]byte, error) {
	cfg := apiserverv1beta1.EgressSelectorConfiguration{
		EgressSelections: []apiserverv1beta1.EgressSelection{{
			Name: "cluster",
			Connection: apiserverv1beta1.Connection{
				ProxyProtocol: apiserverv1beta1.ProtocolHTTPConnect,
				Transport:     &transport,
			},
		}},
	}
	cfg.APIVersion = apiserverv1beta1.SchemeGroupVersion.String()
	cfg.Kind = "EgressSelectorConfiguration"
	return yaml.Marshal(cfg)
}

// UDS is the transport of a unix socket.
func UDS(path string) apiserverv1beta1.Transport {
	return apiserverv1beta1.Transport{UDS: &apiserverv1beta1.UDSTransport{UDSName: path}}
}

// MutualTLS is the transport of an https:// URL with the CA that signed
// the server's certificate and the API server's client certificate.
func MutualTLS(url, caFile, certFile, keyFile string) apiserverv1beta1.Transport {
	return apiserverv1beta1.Transport{TCP: &apiserverv1beta1.TCPTransport{
		URL:       url,
		TLSConfig: &apiserverv1beta1.TLSConfig{CABundle: caFile, ClientCert: certFile, ClientKey: keyFile},
	}}
}
