package registry

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/registry"
)

func tarsService(name string, annotations map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Annotations: annotations,
			Labels: map[string]string{LabelApp: "TestApp", LabelServer: "Hello"}},
		Spec: corev1.ServiceSpec{Ports: ports},
	}
}

func slice(name, svc string, port int32, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("hello"), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints:   eps,
	}
}

func ep(ip, node string, ready bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: ptr.To(node), Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)}}
}

func TestParseService(t *testing.T) {
	svc := tarsService("hello", map[string]string{
		AnnotationServants: "HelloObj=hello, AdminObj = admin,bad",
		AnnotationSet:      "mtt.s.1",
		AnnotationWeight:   "40",
		AnnotationTimeout:  "3000",
	},
		corev1.ServicePort{Name: "hello", Port: 80},
		corev1.ServicePort{Name: "admin", Port: 81, AppProtocol: ptr.To("ssl")},
		corev1.ServicePort{Name: "metrics", Port: 82},
	)
	s, err := parseService(svc)
	if err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("err = %v, want a complaint about the malformed pair", err)
	}
	want := map[string]string{"hello": "HelloObj", "admin": "AdminObj", "metrics": "metrics"}
	if !mapsEqual(s.servants, want) {
		t.Errorf("servants = %v, want %v", s.servants, want)
	}
	if s.setID != "mtt.s.1" || s.weight != 40 || s.weightType != 1 || s.timeout != 3000 || !s.ssl["admin"] || s.ssl["hello"] {
		t.Errorf("parsed %+v", s)
	}
	objs := s.objects()
	slices.Sort(objs)
	if want := []string{"TestApp.Hello.AdminObj", "TestApp.Hello.HelloObj", "TestApp.Hello.metrics"}; !slices.Equal(objs, want) {
		t.Errorf("objects = %v, want %v", objs, want)
	}

	for _, bad := range []map[string]string{{AnnotationSet: "a.b"}, {AnnotationWeight: "101"}, {AnnotationWeightType: "x"}} {
		s, err := parseService(tarsService("x", bad, corev1.ServicePort{Name: "hello"}))
		if err == nil || s == nil || s.setID != "" || s.weight != -1 || s.weightType != 0 {
			t.Errorf("%v: got %+v, %v; want defaults and an error", bad, s, err)
		}
	}
	plain := tarsService("plain", nil)
	plain.Labels = map[string]string{LabelApp: "A"}
	if s, err := parseService(plain); s != nil || err != nil {
		t.Errorf("a Service without the server label is no TARS server: %+v, %v", s, err)
	}
	lone := tarsService("lone", map[string]string{AnnotationServants: "HelloObj="}, corev1.ServicePort{Port: 80})
	if s, _ := parseService(lone); s.servants[""] != "HelloObj" {
		t.Errorf("lone unnamed port: servants %v", s.servants)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// recorder collects subscription callbacks.
type recorder struct {
	mu   sync.Mutex
	objs []string
}

func (r *recorder) changed(obj string) { r.mu.Lock(); r.objs = append(r.objs, obj); r.mu.Unlock() }
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.objs
	r.objs = nil
	return o
}

func TestIndexServicesAndSlices(t *testing.T) {
	x := newIndex()
	var rec recorder
	defer x.Subscribe(rec.changed)()
	const obj = "TestApp.Hello.HelloObj"
	key := types.NamespacedName{Namespace: "ns", Name: "hello"}
	x.setNode("n1", "lyon", "", []string{"10.0.0.1"}, false)

	// A slice may arrive before its Service: it counts once the Service does.
	x.setSlice(key, "hello-1", slice("hello-1", "hello", 9000, ep("100.64.0.2", "n1", true), ep("100.64.0.3", "n2", false)))
	if got := x.Instances(obj); len(got) != 0 {
		t.Fatalf("instances before the Service: %v", got)
	}
	s, _ := parseService(tarsService("hello", map[string]string{AnnotationServants: "HelloObj=hello", AnnotationWeight: "50"}, corev1.ServicePort{Name: "hello"}))
	x.setService(key, s)
	got := x.Instances(obj)
	want := []registry.Instance{
		{Object: obj, Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "100.64.0.2", Port: 9000, Weight: 50, WeightType: 1}, Active: true, NodeName: "n1", Group: "lyon"},
		{Object: obj, Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "100.64.0.3", Port: 9000, Weight: 50, WeightType: 1}, Active: false, NodeName: "n2"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("instances =\n%+v\nwant\n%+v", got, want)
	}
	if c := rec.take(); !slices.Equal(c, []string{obj}) {
		t.Errorf("notified %v, want [%s]", c, obj)
	}

	// The same endpoint in a second slice (a move between slices) counts
	// once, active.
	x.setSlice(key, "hello-2", slice("hello-2", "hello", 9000, ep("100.64.0.3", "n2", true)))
	if got := x.Instances(obj); len(got) != 2 || !got[1].Active {
		t.Errorf("after the duplicate: %+v", got)
	}
	rec.take()

	// A node heartbeat changes nothing and tells no one; a site does.
	x.setNode("n1", "lyon", "", []string{"10.0.0.1"}, false)
	if c := rec.take(); len(c) != 0 {
		t.Errorf("heartbeat notified %v", c)
	}
	x.setNode("n2", "paris", "", []string{"10.0.1.1"}, false)
	if got := x.Instances(obj); got[1].Group != "paris" {
		t.Errorf("group after labelling n2: %+v", got[1])
	}
	if c := rec.take(); !slices.Equal(c, []string{obj}) {
		t.Errorf("site change notified %v", c)
	}

	x.setService(key, nil)
	if got := x.Instances(obj); len(got) != 0 {
		t.Errorf("instances after the Service is gone: %v", got)
	}
	if c := rec.take(); !slices.Equal(c, []string{obj}) {
		t.Errorf("deletion notified %v", c)
	}
}

// A pod's set label overrides its Service's set, and changing it changes
// the answer.
func TestIndexPodSet(t *testing.T) {
	x := newIndex()
	var rec recorder
	defer x.Subscribe(rec.changed)()
	const obj = "TestApp.Hello.HelloObj"
	key := types.NamespacedName{Namespace: "ns", Name: "hello"}
	s, _ := parseService(tarsService("hello", map[string]string{AnnotationServants: "HelloObj=hello", AnnotationSet: "a.b.1"}, corev1.ServicePort{Name: "hello"}))
	x.setService(key, s)
	e1, e2 := ep("100.64.0.2", "n1", true), ep("100.64.0.3", "n1", true)
	e1.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: "p1"}
	e2.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: "p2"}
	x.setSlice(key, "s", slice("s", "hello", 9000, e1, e2))
	sets := func() []string {
		var out []string
		for _, i := range x.Instances(obj) {
			out = append(out, i.SetID)
		}
		return out
	}
	if got := sets(); !slices.Equal(got, []string{"a.b.1", "a.b.1"}) {
		t.Fatalf("sets %v", got)
	}
	rec.take()
	x.setPod(podKey{Namespace: "ns", Name: "p2"}, podAddrs{node: "n1", ips: []string{"100.64.0.3"}, set: "a.b.2"}, false)
	if got := sets(); !slices.Equal(got, []string{"a.b.1", "a.b.2"}) {
		t.Errorf("after labelling p2: sets %v", got)
	}
	if c := rec.take(); !slices.Equal(c, []string{obj}) {
		t.Errorf("notified %v", c)
	}
	// Its other updates (a status heartbeat) change nothing.
	x.setPod(podKey{Namespace: "ns", Name: "p2"}, podAddrs{node: "n1", ips: []string{"100.64.0.3"}, set: "a.b.2"}, false)
	if c := rec.take(); len(c) != 0 {
		t.Errorf("notified %v", c)
	}
	x.setPod(podKey{Namespace: "ns", Name: "p2"}, podAddrs{}, true)
	if got := sets(); !slices.Equal(got, []string{"a.b.1", "a.b.1"}) {
		t.Errorf("after p2 is gone: sets %v", got)
	}
}

func TestIndexGroupOf(t *testing.T) {
	x := newIndex()
	x.setNode("n1", "lyon", "", []string{"10.0.0.1"}, false)
	x.setNode("n2", "paris", "", []string{"10.0.1.1", "127.0.0.1"}, false)
	x.setNode("n3", "lyon", "", []string{"127.0.0.1"}, false)
	x.setPod(podKey{Namespace: "ns", Name: "p"}, podAddrs{node: "n1", ips: []string{"100.64.0.9"}}, false)
	x.setPod(podKey{Namespace: "ns", Name: "hostnet"}, podAddrs{node: "n1", ips: []string{"10.0.0.1"}}, false)
	// The same pod IP on another node, terminating: the running pod wins.
	x.setPod(podKey{Namespace: "old", Name: "p"}, podAddrs{node: "n2", ips: []string{"100.64.0.9"}, terminating: true}, false)
	for ip, want := range map[string]string{"10.0.0.1": "lyon", "100.64.0.9": "lyon", "::ffff:100.64.0.9": "lyon", "192.0.2.1": "",
		"127.0.0.1": "" /* two nodes at two sites */} {
		if got := x.GroupOf(ip); got != want {
			t.Errorf("GroupOf(%s) = %q, want %q", ip, got, want)
		}
	}
	// A host-network pod going away leaves its node's address alone.
	x.setPod(podKey{Namespace: "ns", Name: "hostnet"}, podAddrs{}, true)
	x.setPod(podKey{Namespace: "ns", Name: "p"}, podAddrs{}, true)
	if x.GroupOf("10.0.0.1") != "lyon" || x.GroupOf("100.64.0.9") != "paris" {
		t.Errorf("after pod deletions: %q %q", x.GroupOf("10.0.0.1"), x.GroupOf("100.64.0.9"))
	}
	x.setPod(podKey{Namespace: "old", Name: "p"}, podAddrs{}, true)
	if x.GroupOf("100.64.0.9") != "" {
		t.Errorf("an address no one has: %q", x.GroupOf("100.64.0.9"))
	}
}

func TestIndexRegistrationExpires(t *testing.T) {
	x := newIndex()
	var rec recorder
	defer x.Subscribe(rec.changed)()
	const obj = "Edge.Box.SensorObj"
	inst := registry.Instance{Object: obj, Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "192.0.2.7", Port: 7000, Weight: -1}, Active: true, Group: "lyon"}
	x.setRegistration("r", &inst, time.Now().Add(300*time.Millisecond))
	if got := x.Instances(obj); len(got) != 1 || got[0] != inst {
		t.Fatalf("instances = %+v", got)
	}
	if x.GroupOf("192.0.2.7") != "lyon" {
		t.Errorf("a registered process's declared group is its host's")
	}
	if c := rec.take(); !slices.Equal(c, []string{obj}) {
		t.Errorf("registration notified %v", c)
	}
	// A renewal of the same instance is news to no one.
	x.setRegistration("r", &inst, time.Now().Add(300*time.Millisecond))
	if c := rec.take(); len(c) != 0 {
		t.Errorf("renewal notified %v", c)
	}
	deadline := time.Now().Add(5 * time.Second)
	var notified []string
	for len(x.Instances(obj)) != 0 || len(notified) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("registration did not expire: %+v, notified %v", x.Instances(obj), notified)
		}
		time.Sleep(20 * time.Millisecond)
		notified = append(notified, rec.take()...)
	}
	if got := x.expired(time.Now()); !slices.Equal(got, []string{"r"}) {
		t.Errorf("expired = %v", got)
	}
	x.setRegistration("r", nil, time.Time{})
	if got := x.expired(time.Now()); len(got) != 0 {
		t.Errorf("expired after deletion = %v", got)
	}
}

func TestValidateAndLeaseName(t *testing.T) {
	inst := registry.Instance{Object: "Edge.Box.SensorObj", Endpoint: endpoint.Endpoint{Proto: endpoint.SSL, Host: "2001:db8::7", Port: 7000, Timeout: 3000, Weight: 20, WeightType: 1},
		NodeName: "laptop", Group: "lyon", SetID: "a.b.c"}
	for _, bad := range []registry.Instance{
		{Object: "NoDots", Endpoint: inst.Endpoint},
		{Object: inst.Object, Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "*", Port: 1}},
		{Object: inst.Object, Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "h", Port: 0}},
		{Object: inst.Object, Endpoint: endpoint.Endpoint{Proto: "quic", Host: "h", Port: 1}},
	} {
		if validateInstance(bad) == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if a, b := leaseName(inst), leaseName(registry.Instance{Object: inst.Object, Endpoint: endpoint.Endpoint{Proto: endpoint.SSL, Host: "2001:0db8::7", Port: 7000}}); a != b {
		t.Errorf("lease names differ for the same address: %s %s", a, b)
	}
}

func TestIndexRegionsAndStrictLocal(t *testing.T) {
	x := newIndex()
	x.setNode("n1", "lyon", "fr", nil, false)
	x.setNode("n2", "lyon", "fr", nil, false)
	x.setNode("n3", "paris", "fr", nil, false)
	x.setNode("n4", "berlin", "de", nil, false)
	x.setNode("n5", "berlin", "eu", nil, false) // disagrees with n4
	for site, want := range map[string]string{"lyon": "fr", "paris": "fr", "berlin": "", "nowhere": ""} {
		if got := x.RegionOf(site); got != want {
			t.Errorf("RegionOf(%s) = %q, want %q", site, got, want)
		}
	}
	x.setNode("n5", "berlin", "de", nil, false)
	if got := x.RegionOf("berlin"); got != "de" {
		t.Errorf("RegionOf(berlin) after relabelling = %q", got)
	}

	s, _ := parseService(tarsService("hello", map[string]string{AnnotationServants: "HelloObj=hello,AdminObj=admin", AnnotationStrictLocal: "HelloObj"},
		corev1.ServicePort{Name: "hello"}, corev1.ServicePort{Name: "admin"}))
	x.setService(types.NamespacedName{Namespace: "ns", Name: "hello"}, s)
	if !x.StrictLocal("TestApp.Hello.HelloObj") || x.StrictLocal("TestApp.Hello.AdminObj") || x.StrictLocal("Other.Hello.HelloObj") {
		t.Errorf("strict-local: HelloObj %v, AdminObj %v", x.StrictLocal("TestApp.Hello.HelloObj"), x.StrictLocal("TestApp.Hello.AdminObj"))
	}
	all, _ := parseService(tarsService("all", map[string]string{AnnotationStrictLocal: " * "}, corev1.ServicePort{Name: "x"}))
	if !all.strictAll {
		t.Errorf("\"*\" is every servant")
	}
}
