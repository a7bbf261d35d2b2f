package call

import (
	"fmt"
	"strings"

	"github.com/outpost-edge/outpost/tars/dynamic"
	"github.com/outpost-edge/outpost/tars/servant"
)

// list prints every function of the interfaces in IDL syntax.
func (c *command) list(ifaces []*dynamic.Interface) {
	for _, in := range ifaces {
		if c.iface != "" && in.Name != c.iface && !strings.HasSuffix(in.Name, "."+c.iface) {
			continue
		}
		fmt.Fprintf(c.stdout, "%s:\n", in.Name)
		for _, m := range in.Desc.Methods {
			ret := "void"
			if m.Ret != nil {
				ret = typeName(m.Ret)
			}
			var params []string
			for _, p := range m.Params {
				s := typeName(p.Type) + " " + p.Name
				if p.Out {
					s = "out " + s
				}
				params = append(params, s)
			}
			fmt.Fprintf(c.stdout, "  %s %s(%s)\n", ret, m.Name, strings.Join(params, ", "))
		}
	}
}

var kindNames = map[servant.Kind]string{
	servant.KindBool: "bool", servant.KindByte: "byte", servant.KindUByte: "unsigned byte",
	servant.KindShort: "short", servant.KindUShort: "unsigned short", servant.KindInt: "int",
	servant.KindUInt: "unsigned int", servant.KindLong: "long", servant.KindFloat: "float",
	servant.KindDouble: "double", servant.KindString: "string",
}

func typeName(t *servant.Type) string {
	switch t.Kind {
	case servant.KindVector:
		return "vector<" + typeName(t.Elem) + ">"
	case servant.KindMap:
		return "map<" + typeName(t.Key) + ", " + typeName(t.Elem) + ">"
	case servant.KindStruct, servant.KindEnum:
		return strings.ReplaceAll(t.Name, ".", "::")
	}
	return kindNames[t.Kind]
}
