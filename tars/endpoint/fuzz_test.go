package endpoint

import (
	"reflect"
	"testing"
)

// FuzzParse checks that parsing never panics and that whatever parses
// prints back to text that parses to the same value, for single endpoints,
// lists and proxy strings.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"tcp -h 127.0.0.1 -p 10000 -t 60000",
		"A.B.C@tcp -h a -p 1:ssl -h ::1 -p 2 -w -1 -v 1",
		"udp -h * -p 0 -x 1 -b [::]",
		"tcp -h a:tcp -p 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, err := Parse(s); err == nil {
			back, err := Parse(e.String())
			if err != nil || back != e {
				t.Fatalf("Parse(%q) = %+v; String %q parses to %+v, %v", s, e, e.String(), back, err)
			}
		}
		if p, err := ParseProxy(s); err == nil {
			back, err := ParseProxy(p.String())
			if err != nil || !reflect.DeepEqual(back, p) {
				t.Fatalf("ParseProxy(%q) = %+v; String %q parses to %+v, %v", s, p, p.String(), back, err)
			}
		}
	})
}
