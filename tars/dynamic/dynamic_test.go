package dynamic_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/dynamic"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/servant"
)

const interopIDL = "../examples/interop-server/Interop.tars"

// TestMatchesGenerated: descriptors built at run time equal those the
// generator emitted for the same IDL, handlers aside.
func TestMatchesGenerated(t *testing.T) {
	ifaces, err := dynamic.Load([]string{interopIDL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ifaces) != 1 || ifaces[0].Name != "Interop.Echo" {
		t.Fatalf("interfaces = %v", ifaces)
	}
	want := interop.EchoServiceDesc
	want.Methods = append([]servant.MethodDesc(nil), want.Methods...)
	for i := range want.Methods {
		want.Methods[i].Handler = nil
	}
	if got := *ifaces[0].Desc; !reflect.DeepEqual(got, want) {
		for i := range want.Methods {
			if !reflect.DeepEqual(got.Methods[i], want.Methods[i]) {
				t.Errorf("method %s differs:\n got %+v\nwant %+v", want.Methods[i].Name, got.Methods[i], want.Methods[i])
			}
		}
		t.Fatal("descriptors differ")
	}
}

func TestMethod(t *testing.T) {
	a, err := dynamic.Load([]string{interopIDL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A second interface defining echoInt too.
	b := &dynamic.Interface{Name: "Other.Echo2", Desc: &servant.ServiceDesc{Name: "Other.Echo2",
		Methods: []servant.MethodDesc{{Name: "echoInt"}}}}
	all := append(a, b)
	if in, m, err := dynamic.Method(all, "", "addSub"); err != nil || in.Name != "Interop.Echo" || m.Name != "addSub" {
		t.Errorf("addSub = %v %v %v", in, m, err)
	}
	if _, _, err := dynamic.Method(all, "", "echoInt"); err == nil || !strings.Contains(err.Error(), "several interfaces") {
		t.Errorf("ambiguous = %v", err)
	}
	if in, _, err := dynamic.Method(all, "Echo2", "echoInt"); err != nil || in.Name != "Other.Echo2" {
		t.Errorf("qualified = %v %v", in, err)
	}
	if _, _, err := dynamic.Method(all, "", "nope"); err == nil || !strings.Contains(err.Error(), `no function "nope"`) ||
		!strings.Contains(err.Error(), "echoPoint") {
		t.Errorf("unknown = %v", err)
	}
	if _, _, err := dynamic.Method(all, "Nope", "echoInt"); err == nil || !strings.Contains(err.Error(), `no interface "Nope"`) {
		t.Errorf("unknown interface = %v", err)
	}
	if _, err := dynamic.Load([]string{"testdata/missing.tars"}, nil); err == nil {
		t.Error("missing file loaded")
	}
}
