package endpoint

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseList parses endpoints separated by ':', as in a proxy string or a
// locator: "tcp -h a -p 1:tcp -h b -p 2". A ':' separates endpoints only
// when the next word is a transport (tcp, udp or ssl), so IPv6 hosts such
// as "-h ::1" need no quoting.
func ParseList(s string) ([]Endpoint, error) {
	parts := splitList(s)
	eps := make([]Endpoint, 0, len(parts))
	for _, p := range parts {
		e, err := Parse(p)
		if err != nil {
			return nil, err
		}
		eps = append(eps, e)
	}
	return eps, nil
}

// splitList cuts s at every ':' that is followed (after spaces) by a
// transport word and white space or the end (the white space
// strings.Fields splits on).
func splitList(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && startsWithProto(s[i+1:]) {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func startsWithProto(s string) bool {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if len(s) < 3 {
		return false
	}
	switch Proto(strings.ToLower(s[:3])) {
	case TCP, UDP, SSL:
		r, _ := utf8.DecodeRuneInString(s[3:])
		return len(s) == 3 || unicode.IsSpace(r)
	}
	return false
}

// FormatList joins endpoints with ':', the inverse of ParseList.
func FormatList(eps []Endpoint) string {
	var b strings.Builder
	for i, e := range eps {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(e.String())
	}
	return b.String()
}

// Proxy is a parsed proxy string: an object name and, for direct
// (registry-less) addressing, its endpoints.
type Proxy struct {
	Object    string     // e.g. "TestApp.HelloGo.SayHelloObj"
	Endpoints []Endpoint // empty when the object is to be resolved by a registry
}

// ParseProxy parses "Obj@ep1:ep2..." or a bare "Obj" (no endpoints).
func ParseProxy(s string) (Proxy, error) {
	obj, eps, direct := strings.Cut(strings.TrimSpace(s), "@")
	obj = strings.TrimSpace(obj)
	if obj == "" || strings.ContainsAny(obj, " \t:") {
		return Proxy{}, syntaxError(s, "bad object name %q", obj)
	}
	if !direct {
		return Proxy{Object: obj}, nil
	}
	list, err := ParseList(eps)
	if err != nil {
		return Proxy{}, err
	}
	return Proxy{Object: obj, Endpoints: list}, nil
}

// String formats p so that ParseProxy gives it back.
func (p Proxy) String() string {
	if len(p.Endpoints) == 0 {
		return p.Object
	}
	return p.Object + "@" + FormatList(p.Endpoints)
}
