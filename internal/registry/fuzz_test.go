package registry

import (
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Service labels and annotations are written by users: parsing them never
// panics, and what it accepts stays within TARS's ranges.
func FuzzParseService(f *testing.F) {
	f.Add("TestApp", "Hello", "HelloObj=hello,AdminObj=admin", "mtt.s.1", "40", "1", "3000", "hello")
	f.Add("A", "B", "=,,=x,Obj=", "a.b", "-1", "7", "x", "")
	f.Add("A.B", "C", "", "", "", "", "", "p")
	f.Fuzz(func(t *testing.T, app, server, servants, set, weight, weightType, timeout, port string) {
		svc := tarsService("fuzz", map[string]string{
			AnnotationServants: servants, AnnotationSet: set, AnnotationWeight: weight,
			AnnotationWeightType: weightType, AnnotationTimeout: timeout,
		}, corev1.ServicePort{Name: port, Port: 80}, corev1.ServicePort{Name: "other", Port: 81})
		svc.Labels = map[string]string{LabelApp: app, LabelServer: server}
		s, _ := parseService(svc)
		if s == nil {
			return
		}
		if s.weight < -1 || s.weight > 100 || s.weightType < 0 || s.weightType > 1 || s.timeout < 0 {
			t.Fatalf("out of range: %+v", s)
		}
		if s.setID != "" && len(strings.Split(s.setID, ".")) != 3 {
			t.Fatalf("set id %q", s.setID)
		}
		for _, obj := range s.objects() {
			if _, _, _, ok := splitObject(obj); !ok {
				t.Fatalf("object %q is not App.Server.Servant", obj)
			}
		}
		sl := slice("s", "fuzz", 9000, ep("10.0.0.1", "n", true))
		sl.Ports = append(sl.Ports, discoveryv1.EndpointPort{Name: ptr.To(port), Port: ptr.To[int32](9001)})
		for p, servant := range s.servants {
			s.sliceInstances(nil, app+"."+server+"."+servant, p, sl, func(string) string { return "" }, func(_, _ string) string { return "" })
		}
	})
}

// Registration Leases can be edited by anyone allowed to: reading one back
// never panics, and an accepted one is a valid registration.
func FuzzParseLease(f *testing.F) {
	f.Add("Edge.Sensor.ReadingObj", "tcp -h 192.0.2.7 -p 7000 -t 3000", "laptop", int32(30))
	f.Add("x", "ssl -h :: -p 0", "", int32(-5))
	f.Add("A.B.C", "udp -h h -p 65536 -w 999", "n", int32(1<<30))
	f.Fuzz(func(t *testing.T, obj, ep, holder string, seconds int32) {
		now := metav1.NewMicroTime(time.Unix(1e9, 0))
		l := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: "l", Annotations: map[string]string{AnnotationObject: obj, AnnotationEndpoint: ep}},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &seconds, RenewTime: &now},
		}
		inst, _, err := parseLease(l)
		if err != nil {
			return
		}
		if err := validateInstance(inst); err != nil {
			t.Fatalf("accepted an invalid registration %+v: %v", inst, err)
		}
	})
}
