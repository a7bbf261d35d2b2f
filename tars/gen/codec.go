package gen

import (
	"strconv"

	"github.com/outpost-edge/outpost/tars/idl"
)

// This file emits the statements that encode and decode one value with the
// codec package; structs, RPC arguments and RPC results all use them. The
// writer is "w" and the reader "r"; loop variables are suffixed with the
// nesting depth so nested containers do not shadow each other.

// writeValue emits code writing expr (addressable) of type t at tag.
func (fg *fileGen) writeValue(t *idl.Type, expr, tag string, depth int) {
	d := strconv.Itoa(depth)
	switch t.Kind {
	case idl.KindEnum:
		fg.p("w.WriteInt32(%s, int32(%s))", tag, expr)
	case idl.KindStruct:
		fg.p("if err := w.WriteStruct(%s, &%s); err != nil {\nreturn err\n}", tag, expr)
	case idl.KindVector:
		switch t.Elem.Kind {
		case idl.KindByte:
			fg.p("w.WriteBytes(%s, %s)", tag, expr)
		case idl.KindUByte:
			fg.p("w.WriteUint8s(%s, %s)", tag, expr)
		default:
			fg.p("w.WriteListHead(%s, len(%s))", tag, expr)
			fg.p("for _, v%s := range %s {", d, expr)
			fg.writeValue(t.Elem, "v"+d, "0", depth+1)
			fg.p("}")
		}
	case idl.KindMap:
		fg.p("w.WriteMapHead(%s, len(%s))", tag, expr)
		key, val := "k"+d, "v"+d
		switch {
		case !isComparable(t.Key):
			fg.p("for _, e%s := range %s {", d, expr)
			key, val = "e"+d+".Key", "e"+d+".Value"
		case isOrdered(t.Key):
			fg.p("for _, %s := range %s.Sorted(%s.Keys(%s)) {", key, fg.use("slices"), fg.use("maps"), expr)
			fg.p("%s := %s[%s]", val, expr, key)
		case t.Key.Kind == idl.KindStruct && t.Key.Struct.Key != nil:
			fg.p("for _, %s := range %s.SortedFunc(%s.Keys(%s), %s) {", key, fg.use("slices"), fg.use("maps"), expr, fg.compareFunc(t.Key.Struct))
			fg.p("%s := %s[%s]", val, expr, key)
		case t.Key.Kind == idl.KindBool:
			fg.p("for _, %s := range []bool{false, true} {", key)
			fg.p("%s, ok := %s[%s]\nif !ok {\ncontinue\n}", val, expr, key)
		default: // a struct without key[]: no order is defined
			fg.p("for %s, %s := range %s {", key, val, expr)
		}
		fg.writeValue(t.Key, key, "0", depth+1)
		fg.writeValue(t.Elem, val, "1", depth+1)
		fg.p("}")
	default:
		fg.p("w.Write%s(%s, %s)", codecName[t.Kind], tag, expr)
	}
}

// readValue emits code reading a value of type t at tag into expr
// (addressable). An absent optional value leaves expr unchanged.
func (fg *fileGen) readValue(t *idl.Type, expr, tag, require string, depth int) {
	d := strconv.Itoa(depth)
	check := "; err != nil {\nreturn err\n}"
	switch t.Kind {
	case idl.KindEnum:
		fg.p("if err := r.ReadInt32((*int32)(&%s), %s, %s)%s", expr, tag, require, check)
	case idl.KindStruct:
		fg.p("if err := r.ReadStruct(&%s, %s, %s)%s", expr, tag, require, check)
	case idl.KindVector:
		switch t.Elem.Kind {
		case idl.KindByte:
			fg.p("if err := r.ReadBytes(&%s, %s, %s)%s", expr, tag, require, check)
			return
		case idl.KindUByte:
			fg.p("if err := r.ReadUint8s(&%s, %s, %s)%s", expr, tag, require, check)
			return
		}
		fg.p("if n%s, ok, err := r.ReadListHead(%s, %s); err != nil {\nreturn err\n} else if ok {", d, tag, require)
		if isNumeric(t.Elem) {
			// n is bounded by the input length, and so is the allocation.
			fg.p("%s = make(%s, n%s)", expr, fg.goType(t), d)
			fg.p("for i%s := range %s {", d, expr)
			fg.readValue(t.Elem, expr+"[i"+d+"]", "0", "true", depth+1)
		} else {
			// Grow gradually: a short input can claim many large elements.
			fg.p("%s = make(%s, 0, min(n%s, 64))", expr, fg.goType(t), d)
			fg.p("for range n%s {", d)
			fg.p("var e%s %s", d, fg.goType(t.Elem))
			fg.readValue(t.Elem, "e"+d, "0", "true", depth+1)
			fg.p("%s = append(%s, e%s)", expr, expr, d)
		}
		fg.p("}\n}")
	case idl.KindMap:
		fg.p("if n%s, ok, err := r.ReadMapHead(%s, %s); err != nil {\nreturn err\n} else if ok {", d, tag, require)
		if isComparable(t.Key) {
			fg.p("%s = make(%s, min(n%s, 64))", expr, fg.goType(t), d)
			fg.p("for range n%s {", d)
			fg.p("var k%s %s", d, fg.goType(t.Key))
			fg.p("var v%s %s", d, fg.goType(t.Elem))
			fg.readValue(t.Key, "k"+d, "0", "true", depth+1)
			fg.readValue(t.Elem, "v"+d, "1", "true", depth+1)
			fg.p("%s[k%s] = v%s", expr, d, d)
		} else {
			fg.p("%s = make(%s, 0, min(n%s, 64))", expr, fg.goType(t), d)
			fg.p("for range n%s {", d)
			fg.p("var e%s %s", d, fg.goType(t)[2:])
			fg.readValue(t.Key, "e"+d+".Key", "0", "true", depth+1)
			fg.readValue(t.Elem, "e"+d+".Value", "1", "true", depth+1)
			fg.p("%s = append(%s, e%s)", expr, expr, d)
		}
		fg.p("}\n}")
	default:
		fg.p("if err := r.Read%s(&%s, %s, %s)%s", codecName[t.Kind], expr, tag, require, check)
	}
}
