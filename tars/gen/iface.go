package gen

import (
	"strconv"
	"strings"

	"github.com/outpost-edge/outpost/tars/idl"
)

// method is an interface method with its Go names resolved.
type method struct {
	fn      *idl.Func
	goName  string   // exported method name
	params  []string // Go names of fn.Params, in order
	prefix  string   // "_Iface_fn", for the unexported helpers
	in, out []member // argument struct members; results (ret first)
}

func (fg *fileGen) genInterface(it *idl.Interface) {
	name := exported(it.Name)
	for _, suffix := range []string{"Servant", "ServiceDesc", "Client"} {
		fg.pkg.declare(fg.g, name+suffix, it.Pos, "interface "+it.Name)
	}
	fg.pkg.declare(fg.g, "New"+name+"Dispatcher", it.Pos, "interface "+it.Name)
	fg.pkg.declare(fg.g, "New"+name+"Client", it.Pos, "interface "+it.Name)
	var ms []method
	for _, fn := range it.Funcs {
		m := method{fn: fn, goName: exported(fn.Name), prefix: "_" + name + "_" + fn.Name}
		var idlNames []string
		for _, p := range fn.Params {
			idlNames = append(idlNames, p.Name)
		}
		m.params = paramNames(idlNames, fg.imports)
		if fn.Ret != nil {
			m.out = append(m.out, member{goName: "ret", tag: 0, require: true, typ: fn.Ret})
		}
		for i, p := range fn.Params {
			mb := member{goName: m.params[i], idlName: p.Name, tag: i + 1, require: true, typ: p.Type,
				routeKey: p.RouteKey, pos: p.Pos}
			if p.Out {
				m.out = append(m.out, mb)
			} else {
				m.in = append(m.in, mb)
			}
		}
		for _, suffix := range []string{"_args", "_results", "_handler"} {
			fg.pkg.declare(fg.g, m.prefix+suffix, fn.Pos, "method "+it.Name+"::"+fn.Name)
		}
		ms = append(ms, m)
	}
	fg.genServer(it, name, ms)
	fg.genClient(it, name, ms)
	for _, m := range ms {
		fg.genArgTypes(m)
		fg.genHandler(name, m)
	}
}

// signature returns the parameter list and result list of m's Go methods.
// Results are named when there are out parameters.
func (fg *fileGen) signature(m method, client bool) (params, results string, named bool) {
	ps := []string{"ctx " + fg.use("context") + ".Context"}
	for _, mb := range m.in {
		ps = append(ps, mb.goName+" "+fg.goType(mb.typ))
	}
	if client {
		ps = append(ps, "opts ..."+fg.use("servant")+".CallOption")
	}
	named = len(m.out) > 1 || (len(m.out) == 1 && m.fn.Ret == nil)
	var rs []string
	for _, mb := range m.out {
		if named {
			rs = append(rs, mb.goName+" "+fg.goType(mb.typ))
		} else {
			rs = append(rs, fg.goType(mb.typ))
		}
	}
	switch {
	case len(rs) == 0:
		return strings.Join(ps, ", "), "error", false
	case named:
		return strings.Join(ps, ", "), "(" + strings.Join(append(rs, "err error"), ", ") + ")", true
	}
	return strings.Join(ps, ", "), "(" + rs[0] + ", error)", false
}

func (fg *fileGen) genServer(it *idl.Interface, name string, ms []method) {
	sv := fg.use("servant")
	fg.p("// %sServant is the server side of TARS interface %s::%s. Methods get the", name, it.Module().Name, it.Name)
	fg.p("// call in ctx (servant.CurrentFromContext); an error fails the call, and a")
	fg.p("// *servant.Error chooses the iRet and sResultDesc of the reply.")
	fg.p("type %sServant interface {", name)
	for _, m := range ms {
		params, results, _ := fg.signature(m, false)
		fg.p("%s(%s) %s", m.goName, params, results)
	}
	fg.p("}\n")

	fg.p("// New%sDispatcher returns the servant.Dispatcher that serves impl.", name)
	fg.p("func New%sDispatcher(impl %sServant) %s.Dispatcher {", name, name, sv)
	fg.p("return %s.NewDispatcher(&%sServiceDesc, impl)\n}\n", sv, name)

	fg.p("// %sServiceDesc describes %s::%s for the RPC runtime.", name, it.Module().Name, it.Name)
	fg.p("var %sServiceDesc = %s.ServiceDesc{", name, sv)
	fg.p("Name: %q,", it.Module().Name+"."+it.Name)
	fg.p("Methods: []%s.MethodDesc{", sv)
	for _, m := range ms {
		ret := ""
		if m.fn.Ret != nil {
			ret = " Ret: " + fg.descType(m.fn.Ret) + ","
		}
		var ps []string
		for _, p := range m.fn.Params {
			out := ""
			if p.Out {
				out = ", Out: true"
			}
			ps = append(ps, "{Name: "+strconv.Quote(p.Name)+", Type: "+fg.descType(p.Type)+out+"}")
		}
		fg.p("{Name: %q,%s Params: []%s.Param{%s}, Handler: %s_handler},",
			m.fn.Name, ret, sv, strings.Join(ps, ", "), m.prefix)
	}
	fg.p("},\n}\n")
}

func (fg *fileGen) genClient(it *idl.Interface, name string, ms []method) {
	sv := fg.use("servant")
	fg.p("// %sClient calls TARS interface %s::%s through a servant.Invoker. Every", name, it.Module().Name, it.Name)
	fg.p("// method takes servant.CallOptions: request context and status maps,")
	fg.p("// oneway, iTimeout, and capture of the response's maps.")
	fg.p("type %sClient struct {\ninv %s.Invoker\n}\n", name, sv)
	fg.p("// New%sClient returns a client sending its calls through inv.", name)
	fg.p("func New%sClient(inv %s.Invoker) *%sClient {\nreturn &%sClient{inv: inv}\n}\n", name, sv, name, name)
	for _, m := range ms {
		params, results, named := fg.signature(m, true)
		fg.p("// %s calls %s.", m.goName, m.fn.Name)
		fg.p("func (c *%sClient) %s(%s) %s {", name, m.goName, params, results)
		var inits []string
		for _, mb := range m.in {
			inits = append(inits, mb.goName+": "+mb.goName)
		}
		for _, mb := range m.in {
			if mb.routeKey {
				fg.p("opts = append(opts, %s.RouteKey(%s))", sv, fg.routeKeyString(mb))
			}
		}
		fg.p("args := %s_args{%s}", m.prefix, strings.Join(inits, ", "))
		fg.p("var res %s_results", m.prefix)
		assign := ":="
		if named {
			assign = "="
		}
		fg.p("err %s %s.Invoke(ctx, c.inv, %q, &args, &res, opts...)", assign, sv, m.fn.Name)
		var rets []string
		for _, mb := range m.out {
			rets = append(rets, "res."+mb.goName)
		}
		fg.p("return %s\n}\n", strings.Join(append(rets, "err"), ", "))
	}
}

// genArgTypes emits the structs holding a method's arguments (positional
// tags from 1) and results (the return value at tag 0, out parameters at
// their positions). All members are required.
func (fg *fileGen) genArgTypes(m method) {
	for _, part := range []struct {
		suffix, what string
		ms           []member
	}{{"_args", "in-parameters", m.in}, {"_results", "return value and out-parameters", m.out}} {
		typ := m.prefix + part.suffix
		fg.p("// %s holds the %s of %s.", typ, part.what, m.fn.Name)
		fg.p("type %s struct {", typ)
		for _, mb := range part.ms {
			fg.p("%s %s", mb.goName, fg.goType(mb.typ))
		}
		fg.p("}\n")
		fg.genFieldCodec(typ, part.ms, false)
	}
}

func (fg *fileGen) genHandler(iface string, m method) {
	sv := fg.use("servant")
	fg.p("func %s_handler(ctx %s.Context, impl any, in *%s.Reader, out *%s.Writer) error {",
		m.prefix, fg.use("context"), fg.use("codec"), fg.use("codec"))
	fg.p("var args %s_args", m.prefix)
	fg.p("if err := args.ReadFields(in); err != nil {\nreturn %s.DecodeError(err)\n}", sv)
	fg.p("var res %s_results", m.prefix)
	fg.p("var err error")
	var lhs, call []string
	for _, mb := range m.out {
		lhs = append(lhs, "res."+mb.goName)
	}
	lhs = append(lhs, "err")
	call = append(call, "ctx")
	for _, mb := range m.in {
		call = append(call, "args."+mb.goName)
	}
	fg.p("%s = impl.(%sServant).%s(%s)", strings.Join(lhs, ", "), iface, m.goName, strings.Join(call, ", "))
	fg.p("if err != nil {\nreturn err\n}")
	fg.p("return %s.EncodeError(res.WriteFields(out))\n}\n", sv)
}

// routeKeyString returns the expression formatting a routekey parameter as
// the STATUS_GRID_KEY value, the way TarsCpp's tostr does.
func (fg *fileGen) routeKeyString(mb member) string {
	v := mb.goName
	switch k := mb.typ.Kind; {
	case k == idl.KindString:
		return v
	case k == idl.KindBool:
		return fg.use("strconv") + ".FormatBool(" + v + ")"
	case k == idl.KindUByte || k == idl.KindUShort || k == idl.KindUInt:
		return fg.use("strconv") + ".FormatUint(uint64(" + v + "), 10)"
	case k.IsInteger() || k == idl.KindEnum:
		return fg.use("strconv") + ".FormatInt(int64(" + v + "), 10)"
	case k == idl.KindFloat:
		return fg.use("strconv") + ".FormatFloat(float64(" + v + "), 'g', -1, 32)"
	case k == idl.KindDouble:
		return fg.use("strconv") + ".FormatFloat(" + v + ", 'g', -1, 64)"
	}
	fg.g.errorf(mb.pos, "routekey parameter %s has type %s; a route key must be a number, bool, string or enum", mb.idlName, mb.typ)
	return `""`
}
