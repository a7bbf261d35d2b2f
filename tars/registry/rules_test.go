package registry

import (
	"slices"
	"strconv"
	"testing"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

func inst(port int, active bool, group, set string) Instance {
	return Instance{Object: "A.S.Obj", Active: active, Group: group, SetID: set,
		Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "10.0.0.1", Port: port, Weight: -1}}
}

func ports(insts []Instance) []int {
	var out []int
	for _, i := range insts {
		out = append(out, i.Endpoint.Port)
	}
	slices.Sort(out)
	return out
}

func TestSameGroup(t *testing.T) {
	r := Rules{GroupPriority: []string{"gz", "sh"}}
	all := []Instance{inst(1, true, "sz", ""), inst(2, false, "sz", ""), inst(3, true, "sh", ""),
		inst(4, true, "gz", ""), inst(5, true, "", ""), inst(6, false, "gz", "")}
	cases := []struct {
		caller         string
		insts          []Instance
		active, inactv []int
	}{
		{"sz", all, []int{1}, []int{2}}, // 1. own group
		{"bj", all, []int{4}, []int{6}}, // 2. first priority group with actives
		{"bj", all[:3], []int{3}, nil},  // 2. gz has none: sh
		{"bj", []Instance{inst(1, true, "sz", ""), inst(5, true, "", "")}, []int{5}, nil},         // 3. no group
		{"bj", []Instance{inst(1, true, "sz", ""), inst(2, false, "sz", "")}, []int{1}, []int{2}}, // 4. all
		{"", all, []int{4}, []int{6}},
	}
	for i, c := range cases {
		a, in := r.sameGroup(slices.Clone(c.insts), c.caller)
		if !slices.Equal(ports(a), c.active) || !slices.Equal(ports(in), c.inactv) {
			t.Errorf("case %d (caller %q): active %v inactive %v, want %v %v", i, c.caller, ports(a), ports(in), c.active, c.inactv)
		}
	}
}

// TestSameSet is the caller/callee matrix of protocol reference §4.7.
func TestSameSet(t *testing.T) {
	r := Rules{}
	set := []Instance{
		inst(1, true, "", "mtt.s.1"), inst(2, false, "", "mtt.s.1"),
		inst(3, true, "", "mtt.s.2"), inst(4, false, "", "mtt.s.3"),
		inst(5, true, "", "mtt.s.*"),
		inst(6, true, "", "mtt.t.1"),
		inst(7, true, "", "other.s.1"),
	}
	cases := []struct {
		name           string
		caller         string
		insts          []Instance
		active, inactv []int
	}{
		{"own group", "mtt.s.1", set, []int{1}, []int{2}},
		{"own group all dead: empty active", "mtt.s.3", set, nil, []int{4}},
		{"no own group: area star", "mtt.s.9", set, []int{5}, nil},
		{"star caller reaches its area", "mtt.s.*", set, []int{1, 3, 5}, []int{2, 4}},
		{"other area", "mtt.t.1", set, []int{6}, nil},
		{"other area, no group, no star: empty", "mtt.u.1", set, nil, nil},
		{"callee without sets: IDC rules (all active)", "mtt.s.1",
			[]Instance{inst(8, true, "", ""), inst(9, false, "", "")}, []int{8}, []int{9}},
		{"other set name only: IDC rules", "xyz.s.1", []Instance{inst(7, true, "", "other.s.1")}, []int{7}, nil},
		{"malformed caller set: IDC rules", "mtt.s", set, []int{1, 3, 5, 6, 7}, []int{2, 4}},
	}
	for _, c := range cases {
		a, in := r.sameSet(slices.Clone(c.insts), c.caller, "")
		if !slices.Equal(ports(a), c.active) || !slices.Equal(ports(in), c.inactv) {
			t.Errorf("%s (caller %q): active %v inactive %v, want %v %v", c.name, c.caller, ports(a), ports(in), c.active, c.inactv)
		}
	}
}

func TestSameStationAndAll(t *testing.T) {
	insts := []Instance{inst(1, true, "gz", ""), inst(2, false, "gz", ""), inst(3, true, "sz", "")}
	a, in := Rules{}.sameStation(insts, "gz")
	if !slices.Equal(ports(a), []int{1}) || !slices.Equal(ports(in), []int{2}) {
		t.Fatalf("station gz: %v %v", ports(a), ports(in))
	}
	a, in = Rules{}.all(insts)
	if len(a) != 2 || len(in) != 1 {
		t.Fatalf("all: %v %v", ports(a), ports(in))
	}
}

func TestCheckObject(t *testing.T) {
	for _, ok := range []string{"A.B.C", "TestApp.HelloGo.SayHelloObj", "tars.tarsregistry.QueryObj"} {
		if err := checkObject(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	long := "A.B." + string(make([]byte, 300))
	for _, bad := range []string{"", "A.B", "A..C", "A.B.C.D", "A.B.C@tcp", "A.B.C:1", "A.B. C", long, "A.B.\x00"} {
		if err := checkObject(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestEndpointFRoundTrip(t *testing.T) {
	for i, ep := range []endpoint.Endpoint{
		{Proto: endpoint.TCP, Host: "10.0.0.1", Port: 1, Weight: -1},
		{Proto: endpoint.UDP, Host: "::1", Port: 2, Timeout: 3000, Weight: 40, WeightType: 1},
		{Proto: endpoint.SSL, Host: "h", Port: 3, Grid: 1, Qos: 2, AuthType: 1, Weight: -1},
	} {
		f := EndpointF(Instance{Endpoint: ep, SetID: "a.b.c", NodeName: "n" + strconv.Itoa(i)})
		if got := FromEndpointF(f); got != ep {
			t.Errorf("%v -> %+v -> %v", ep, f, got)
		}
		if f.SetId != "a.b.c" || f.NodeName != "n"+strconv.Itoa(i) {
			t.Errorf("set/node lost: %+v", f)
		}
	}
}

// TestSiteLocality: own site, then its region, then anywhere; strict
// objects never leave the site.
func TestSiteLocality(t *testing.T) {
	regions := map[string]string{"sz1": "south", "sz2": "south", "gz1": "south", "bj1": "north"}
	r := Rules{RegionOf: func(g string) string { return regions[g] },
		StrictLocal: func(obj string) bool { return obj == "A.S.Strict" }}
	all := []Instance{inst(1, true, "sz1", ""), inst(2, true, "sz2", ""), inst(3, true, "gz1", ""), inst(4, true, "bj1", ""), inst(5, false, "sz1", "")}
	cases := []struct {
		caller string
		insts  []Instance
		active []int
	}{
		{"sz1", all, []int{1}},           // own site
		{"sz1", all[1:], []int{2, 3}},    // own site down: the region
		{"bj1", all[:3], []int{1, 2, 3}}, // nothing in the region: TARS fallbacks (all)
		{"xx", all, []int{1, 2, 3, 4}},   // unknown site, no region: all
	}
	for i, c := range cases {
		a, _ := r.sameGroup(slices.Clone(c.insts), c.caller)
		if !slices.Equal(ports(a), c.active) {
			t.Errorf("case %d (caller %s): %v, want %v", i, c.caller, ports(a), c.active)
		}
	}
	strict := []Instance{inst(1, false, "sz1", ""), inst(2, true, "sz2", "")}
	for i := range strict {
		strict[i].Object = "A.S.Strict"
	}
	a, in := r.sameGroup(strict, "sz1")
	if len(a) != 0 || !slices.Equal(ports(in), []int{1}) {
		t.Fatalf("strict-local object left the site: %v %v", ports(a), ports(in))
	}
}
