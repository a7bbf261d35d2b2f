package endpoint

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Endpoint
	}{
		{"tcp -h 127.0.0.1 -p 10000", Endpoint{Proto: TCP, Host: "127.0.0.1", Port: 10000, Weight: -1}},
		{"  tcp  -h 10.0.0.1 -p 9985 -t 60000 ", Endpoint{Proto: TCP, Host: "10.0.0.1", Port: 9985, Timeout: 60000, Weight: -1}},
		{"ssl -p 443 -h example.com", Endpoint{Proto: SSL, Host: "example.com", Port: 443, Weight: -1}},
		{"UDP -h * -p 0", Endpoint{Proto: UDP, Host: "*", Port: 0, Weight: -1}},
		{"tcp -h ::1 -p 80", Endpoint{Proto: TCP, Host: "::1", Port: 80, Weight: -1}},
		{"tcp -h [fe80::1] -p 80", Endpoint{Proto: TCP, Host: "fe80::1", Port: 80, Weight: -1}},
		{"tcp -h a -p 1 -g 2 -q 3 -w 50 -v 1 -e 1 -b 10.0.0.9",
			Endpoint{Proto: TCP, Host: "a", Port: 1, Grid: 2, Qos: 3, Weight: 50, WeightType: 1, AuthType: 1, Bind: "10.0.0.9"}},
		{"tcp -h a -p 1 -w -1", Endpoint{Proto: TCP, Host: "a", Port: 1, Weight: -1}},
		// Unknown flags are skipped with their value (TarsCpp), or alone.
		{"tcp -h a -x 5 -p 1 -z", Endpoint{Proto: TCP, Host: "a", Port: 1, Weight: -1}},
		{"tcp -h a -x -5 -p 1", Endpoint{Proto: TCP, Host: "a", Port: 1, Weight: -1}},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"", "empty endpoint"},
		{"http -h a -p 1", "unknown transport"},
		{"tcp -p 1", "missing -h"},
		{"tcp -h a", "missing -p"},
		{"tcp -h a -p", "-p needs a number"},
		{"tcp -h", "-h needs a host"},
		{"tcp -h a -p x", "not a 32-bit integer"},
		{"tcp -h a -p 65536", "out of range"},
		{"tcp -h a -p -1", "out of range"},
		{"tcp -h a -p 1 -t -5", "negative timeout"},
		{"tcp -h a -p 1 extra", "not a flag"},
		{"tcp -h [] -p 1", "empty host"},
		{"tcp -h a:tcp -p 1", "transport name"},
		{"tcp -h a -p 99999999999", "not a 32-bit integer"},
	} {
		_, err := Parse(c.in)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Parse(%q) error = %v, want %q", c.in, err, c.msg)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	e := Endpoint{Proto: SSL, Host: "::1", Port: 7, Timeout: 3000, Grid: 1, Qos: -2, Weight: 0, WeightType: 1, AuthType: 1, Bind: "b"}
	if s := e.String(); s != "ssl -h ::1 -p 7 -t 3000 -g 1 -q -2 -w 0 -v 1 -e 1 -b b" {
		t.Errorf("String = %q", s)
	}
	if back, err := Parse(e.String()); err != nil || back != e {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	if a := e.Address(); a != "[::1]:7" {
		t.Errorf("Address = %q", a)
	}
	if a := (Endpoint{Host: "*", Port: 9}).Address(); a != ":9" {
		t.Errorf("Address of * = %q", a)
	}
	if e.Network() != "tcp" || (Endpoint{Proto: UDP}).Network() != "udp" {
		t.Error("Network")
	}
}

func TestParseList(t *testing.T) {
	eps, err := ParseList("tcp -h 10.0.0.1 -p 9985:tcp -h ::1 -p 9986 : ssl -h b -p 1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{
		{Proto: TCP, Host: "10.0.0.1", Port: 9985, Weight: -1},
		{Proto: TCP, Host: "::1", Port: 9986, Weight: -1},
		{Proto: SSL, Host: "b", Port: 1, Weight: -1},
	}
	if !reflect.DeepEqual(eps, want) {
		t.Fatalf("ParseList = %+v", eps)
	}
	if s := FormatList(eps); s != "tcp -h 10.0.0.1 -p 9985:tcp -h ::1 -p 9986:ssl -h b -p 1" {
		t.Errorf("FormatList = %q", s)
	}
	if _, err := ParseList("tcp -h a -p 1:"); err == nil {
		t.Error("trailing ':' accepted")
	}
}

func TestParseProxy(t *testing.T) {
	p, err := ParseProxy("TestApp.HelloGo.SayHelloObj@tcp -h 10.0.0.1 -p 9985 -t 60000:tcp -h 10.0.0.2 -p 9985")
	if err != nil || p.Object != "TestApp.HelloGo.SayHelloObj" || len(p.Endpoints) != 2 || p.Endpoints[1].Host != "10.0.0.2" {
		t.Fatalf("ParseProxy = %+v, %v", p, err)
	}
	if s := p.String(); s != "TestApp.HelloGo.SayHelloObj@tcp -h 10.0.0.1 -p 9985 -t 60000:tcp -h 10.0.0.2 -p 9985" {
		t.Errorf("String = %q", s)
	}
	if p, err := ParseProxy(" A.B.C "); err != nil || p.Object != "A.B.C" || p.Endpoints != nil {
		t.Errorf("bare object = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "@tcp -h a -p 1", "A B@tcp -h a -p 1", "A@", "A@tcp -h a"} {
		if _, err := ParseProxy(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseProxy(%q) = %v", bad, err)
		}
	}
}
