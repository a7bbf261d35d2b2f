package registry

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/registry"
)

// The labels and annotations that map Kubernetes objects to TARS servant
// objects. docs/registry.md describes them with an example.
const (
	// LabelApp and LabelServer on a Service name the TARS server whose
	// servants its ports are: objects "<app>.<server>.<servant>". Label
	// values keep their case, as TARS names do. The EndpointSlice
	// controller copies Service labels onto the Service's slices, which is
	// what lets the registry watch only the slices of TARS Services.
	LabelApp    = "tars.outpost.io/app"
	LabelServer = "tars.outpost.io/server"
	// AnnotationServants maps servant names to the Service's port names,
	// "HelloObj=hello,AdminObj=admin". Service port names are lowercase DNS
	// labels and TARS servant names usually are not; a named port missing
	// from the annotation is a servant of the same name.
	AnnotationServants = "tars.outpost.io/servants"
	// AnnotationSet puts every endpoint of the Service in a TARS set,
	// "name.area.group". Servers with instances in several sets use one
	// Service per set, all labelled with the same app and server, or label
	// their pods: LabelSet on a pod overrides its Service's set.
	AnnotationSet = "tars.outpost.io/set"
	LabelSet      = AnnotationSet
	// AnnotationWeight (0-100) gives every endpoint of the Service a static
	// weight (EndpointF weight, weightType 1 unless AnnotationWeightType
	// says otherwise).
	AnnotationWeight     = "tars.outpost.io/weight"
	AnnotationWeightType = "tars.outpost.io/weight-type"
	// AnnotationTimeout is the EndpointF timeout in milliseconds.
	AnnotationTimeout = "tars.outpost.io/timeout"
	// AnnotationStrictLocal lists servants ("HelloObj,AdminObj", or "*"
	// for all of the Service's server) whose callers are served only by
	// instances at their own site; by default a caller falls back to its
	// region, then anywhere.
	AnnotationStrictLocal = "tars.outpost.io/strict-local"

	// LabelSite on a Node names the edge site it is at: the Group of the
	// instances on it and of callers from it.
	LabelSite = "outpost.io/site"
	// LabelRegion on a Node (the standard topology label) puts its site in
	// a region, for callers whose own site has no instance.
	LabelRegion = "topology.kubernetes.io/region"

	// AppProtocolSSL on a Service port marks a servant that speaks TARS
	// over TLS (EndpointF istcp 2).
	AppProtocolSSL = "ssl"
)

// service is what the registry needs of a Service labelled as a TARS server.
type service struct {
	key         types.NamespacedName
	app, server string
	servants    map[string]string // port name -> servant name
	ssl         map[string]bool   // port name -> TLS
	setID       string
	weight      int // -1 when unset
	weightType  int
	timeout     int
	strict      []string // strict-local servants
	strictAll   bool
}

// parseService reads a Service's TARS labels and annotations. It returns nil
// for Services that are not TARS servers, and an error (with a usable
// result) for annotations it had to ignore.
func parseService(svc *corev1.Service) (*service, error) {
	app, server := svc.Labels[LabelApp], svc.Labels[LabelServer]
	if app == "" || server == "" || strings.Contains(app, ".") || strings.Contains(server, ".") {
		return nil, nil
	}
	s := &service{
		key:      types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name},
		app:      app,
		server:   server,
		servants: map[string]string{},
		ssl:      map[string]bool{},
		weight:   -1,
	}
	var errs []string
	named := map[string]string{} // port name -> servant, from the annotation
	if a, ok := svc.Annotations[AnnotationServants]; ok {
		for _, pair := range strings.Split(a, ",") {
			pair = strings.TrimSpace(pair)
			if pair == "" {
				continue
			}
			servant, port, ok := strings.Cut(pair, "=")
			servant, port = strings.TrimSpace(servant), strings.TrimSpace(port)
			// An empty port names the Service's only, unnamed port.
			if !ok || servant == "" || strings.Contains(servant, ".") {
				errs = append(errs, fmt.Sprintf("%s: %q is not servant=port", AnnotationServants, pair))
				continue
			}
			named[port] = servant
		}
	}
	for _, p := range svc.Spec.Ports {
		servant := named[p.Name]
		if servant == "" {
			if p.Name == "" {
				continue // a lone unnamed port is a servant only through the annotation
			}
			servant = p.Name
		}
		if strings.Contains(servant, ".") {
			continue // the API server refuses such port names; stay safe regardless
		}
		s.servants[p.Name] = servant
		s.ssl[p.Name] = p.AppProtocol != nil && strings.EqualFold(*p.AppProtocol, AppProtocolSSL)
	}
	if v, ok := svc.Annotations[AnnotationSet]; ok {
		if validSetID(v) {
			s.setID = v
		} else {
			errs = append(errs, fmt.Sprintf("%s: %q is not name.area.group", AnnotationSet, v))
		}
	}
	intAnnotation := func(key string, lo, hi int, dst *int) bool {
		v, ok := svc.Annotations[key]
		if !ok {
			return false
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Sprintf("%s: %q is not an integer in [%d, %d]", key, v, lo, hi))
			return false
		}
		*dst = n
		return true
	}
	if intAnnotation(AnnotationWeight, 0, 100, &s.weight) {
		s.weightType = 1
	}
	intAnnotation(AnnotationWeightType, 0, 1, &s.weightType)
	intAnnotation(AnnotationTimeout, 0, 1<<31-1, &s.timeout)
	for _, name := range strings.Split(svc.Annotations[AnnotationStrictLocal], ",") {
		switch name = strings.TrimSpace(name); name {
		case "":
		case "*":
			s.strictAll = true
		default:
			s.strict = append(s.strict, name)
		}
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("service %s: %s", s.key, strings.Join(errs, "; "))
	}
	return s, nil
}

// validSetID reports whether id is a TARS set id, "name.area.group".
func validSetID(id string) bool {
	parts := strings.Split(id, ".")
	return len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != ""
}

// objects are the servant objects the Service serves.
func (s *service) objects() []string {
	objs := make([]string, 0, len(s.servants))
	for _, servant := range s.servants {
		objs = append(objs, s.app+"."+s.server+"."+servant)
	}
	return objs
}

// serverKey is the part of an object name that selects Services.
func serverKey(app, server string) string { return app + "." + server }

// splitObject splits "App.Server.Servant"; ok is false for other shapes.
func splitObject(obj string) (app, server, servant string, ok bool) {
	parts := strings.Split(obj, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// sliceInstances appends the instances of servant obj that slice lists
// behind the Service's port portName. Ready endpoints are active; not ready
// ones (starting, failing their probe, terminating) are inactive. site
// gives a node's site, podSet the set of a pod ("" for the Service's).
func (s *service) sliceInstances(dst []registry.Instance, obj, portName string, slice *discoveryv1.EndpointSlice,
	site func(node string) string, podSet func(namespace, name string) string) []registry.Instance {
	if slice.AddressType != discoveryv1.AddressTypeIPv4 && slice.AddressType != discoveryv1.AddressTypeIPv6 {
		return dst // FQDN slices name no address a TARS client can use as is
	}
	var port *discoveryv1.EndpointPort
	for i := range slice.Ports {
		if p := &slice.Ports[i]; p.Name != nil && *p.Name == portName && p.Port != nil {
			port = p
			break
		}
	}
	if port == nil {
		return dst
	}
	proto := endpoint.TCP
	switch {
	case port.Protocol != nil && *port.Protocol == corev1.ProtocolUDP:
		proto = endpoint.UDP
	case port.Protocol != nil && *port.Protocol == corev1.ProtocolSCTP:
		return dst
	case s.ssl[portName] || (port.AppProtocol != nil && strings.EqualFold(*port.AppProtocol, AppProtocolSSL)):
		proto = endpoint.SSL
	}
	for _, ep := range slice.Endpoints {
		// Ready is nil when unknown, which consumers are told to read as
		// ready; terminating endpoints are never ready.
		active := (ep.Conditions.Ready == nil || *ep.Conditions.Ready) &&
			(ep.Conditions.Terminating == nil || !*ep.Conditions.Terminating)
		var node string
		if ep.NodeName != nil {
			node = *ep.NodeName
		}
		set := s.setID
		if ref := ep.TargetRef; ref != nil && ref.Kind == "Pod" {
			if ps := podSet(cmp.Or(ref.Namespace, slice.Namespace), ref.Name); ps != "" {
				set = ps
			}
		}
		for _, addr := range ep.Addresses {
			dst = append(dst, registry.Instance{
				Object: obj,
				Endpoint: endpoint.Endpoint{
					Proto:      proto,
					Host:       addr,
					Port:       int(*port.Port),
					Timeout:    s.timeout,
					Weight:     s.weight,
					WeightType: s.weightType,
				},
				Active:   active,
				NodeName: node,
				Group:    site(node),
				SetID:    set,
			})
		}
	}
	return dst
}
