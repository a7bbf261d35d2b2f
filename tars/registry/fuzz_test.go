package registry

import (
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// FuzzDecodeChange: a change push from the network never panics, and what
// decodes encodes back to something that decodes the same.
func FuzzDecodeChange(f *testing.F) {
	ch := queryf.ObjectChange{Id: "A.B.C", Version: 42,
		ActiveEp:   []queryf.EndpointF{EndpointF(Instance{Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "h", Port: 1, Weight: -1}, SetID: "a.b.c"})},
		InactiveEp: []queryf.EndpointF{EndpointF(Instance{Endpoint: endpoint.Endpoint{Proto: endpoint.UDP, Host: "::1", Port: 2}})}}
	w := codec.NewWriter(nil)
	if err := ch.WriteFields(w); err != nil {
		f.Fatal(err)
	}
	f.Add(w.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0x06, 0x05, 'A', '.', 'B', '.', 'C'})
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, err := DecodeChange(b)
		if err != nil {
			return
		}
		w := codec.NewWriter(nil)
		if err := ch.WriteFields(w); err != nil {
			return
		}
		if _, err := DecodeChange(w.Bytes()); err != nil {
			t.Fatalf("re-encoded change does not decode: %v", err)
		}
		for _, f := range ch.ActiveEp {
			_ = FromEndpointF(f).String()
		}
	})
}
