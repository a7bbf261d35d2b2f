package registry

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// EndpointF converts an instance to the registry's wire form.
func EndpointF(inst Instance) queryf.EndpointF {
	ep := inst.Endpoint
	f := queryf.EndpointF{
		Host: ep.Host, Port: int32(ep.Port), Timeout: int32(ep.Timeout), Grid: int32(ep.Grid),
		Qos: int32(ep.Qos), Weight: int32(ep.Weight), WeightType: int32(ep.WeightType),
		AuthType: int32(ep.AuthType), SetId: inst.SetID, NodeName: inst.NodeName,
		Groupworkid: -1, Grouprealid: -1,
	}
	// Unset (-1) is not a wire value: TARS registries send 0, or 100
	// for a static-weight endpoint (§4.2).
	if f.Weight < 0 {
		f.Weight = 0
		if ep.WeightType != 0 {
			f.Weight = 100
		}
	}
	switch ep.Proto {
	case endpoint.UDP:
		f.Istcp = 0
	case endpoint.SSL:
		f.Istcp = 2
	default:
		f.Istcp = 1
	}
	return f
}

// FromEndpointF converts a wire endpoint back to an endpoint.
func FromEndpointF(f queryf.EndpointF) endpoint.Endpoint {
	ep := endpoint.Endpoint{
		Proto: endpoint.TCP, Host: f.Host, Port: int(f.Port), Timeout: int(f.Timeout), Grid: int(f.Grid),
		Qos: int(f.Qos), Weight: int(f.Weight), WeightType: int(f.WeightType), AuthType: int(f.AuthType),
	}
	switch f.Istcp {
	case 0:
		ep.Proto = endpoint.UDP
	case 2:
		ep.Proto = endpoint.SSL
	}
	// TARS writes weight 0 when it has none; weights only mean something
	// with weightType 1 (§4.2), so keep "unset" otherwise.
	if ep.WeightType == 0 && ep.Weight == 0 {
		ep.Weight = -1
	}
	return ep
}

// FromEndpointFs converts a wire list.
func FromEndpointFs(fs []queryf.EndpointF) []endpoint.Endpoint {
	eps := make([]endpoint.Endpoint, len(fs))
	for i, f := range fs {
		eps[i] = FromEndpointF(f)
	}
	return eps
}

// Key identifies an instance's endpoint: transport, host and port. Two
// instances on one host with different ports are different instances.
func Key(ep endpoint.Endpoint) string {
	return string(ep.Proto) + " " + ep.Address()
}

// toWire converts instances, sorted by key so that every replica and every
// query returns the same order.
func toWire(insts []Instance) []queryf.EndpointF {
	if len(insts) == 0 {
		return nil
	}
	slices.SortFunc(insts, func(a, b Instance) int {
		return cmp.Compare(Key(a.Endpoint), Key(b.Endpoint))
	})
	out := make([]queryf.EndpointF, len(insts))
	for i, in := range insts {
		out[i] = EndpointF(in)
	}
	return out
}

// splitActive separates active and inactive instances.
func splitActive(insts []Instance) (active, inactive []Instance) {
	for _, in := range insts {
		if in.Active {
			active = append(active, in)
		} else {
			inactive = append(inactive, in)
		}
	}
	return active, inactive
}

// parseSet splits "name.area.group"; ok is false for anything else.
func parseSet(id string) (name, area, group string, ok bool) {
	parts := strings.Split(id, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// maxObjectLen bounds object names taken from the network.
const maxObjectLen = 256

// checkObject checks an object name: App.Server.Obj, three non-empty
// dot-separated parts of printable characters other than '@' and ':'.
func checkObject(id string) error {
	if len(id) == 0 || len(id) > maxObjectLen {
		return fmt.Errorf("object name of %d bytes (want 1-%d)", len(id), maxObjectLen)
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c >= 0x7f || c == '@' || c == ':' {
			return fmt.Errorf("object name %q: bad character %q", id, c)
		}
	}
	parts := strings.Split(id, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return fmt.Errorf("object name %q: want App.Server.Obj", id)
	}
	return nil
}
