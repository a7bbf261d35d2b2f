package gen

import (
	"strconv"

	"github.com/outpost-edge/outpost/tars/idl"
)

// This file emits the statements that encode and decode one value with the
// codec package; structs, RPC arguments and RPC results all use them. The
// writer is "w" and the reader "r"; loop variables are suffixed with the
// nesting depth so nested containers do not shadow each other.
//
// The emitted code is meant to allocate as little as the codec allows:
// nested structs are framed with WriteStructBegin/ReadStructBegin around the
// concrete WriteFields/ReadFields (a call through codec.Struct would make the
// value escape to the heap), slice elements are read in place, and map keys
// entries are sorted in scratch space borrowed from the Writer.

// maxPrealloc caps the capacity a decoder reserves from a wire count for
// elements that are not fixed-size numbers: counts are bounded by the input
// length, but a short input can still claim many large elements, so longer
// vectors grow as their elements actually arrive.
const maxPrealloc = "256"

// writeValue emits code writing expr (addressable) of type t at tag.
func (fg *fileGen) writeValue(t *idl.Type, expr, tag string, depth int) {
	d := strconv.Itoa(depth)
	switch t.Kind {
	case idl.KindEnum:
		fg.p("w.WriteInt32(%s, int32(%s))", tag, expr)
	case idl.KindStruct:
		fg.p("w.WriteStructBegin(%s)", tag)
		fg.p("if err := %s.WriteFields(w); err != nil {\nreturn err\n}", expr)
		fg.p("w.WriteStructEnd()")
	case idl.KindVector:
		switch t.Elem.Kind {
		case idl.KindByte:
			fg.p("w.WriteBytes(%s, %s)", tag, expr)
		case idl.KindUByte:
			fg.p("w.WriteUint8s(%s, %s)", tag, expr)
		default:
			fg.p("w.WriteListHead(%s, len(%s))", tag, expr)
			if t.Elem.Kind == idl.KindStruct {
				// In place: a range variable would copy every element.
				fg.p("for i%s := range %s {", d, expr)
				fg.writeValue(t.Elem, expr+"[i"+d+"]", "0", depth+1)
			} else {
				fg.p("for _, v%s := range %s {", d, expr)
				fg.writeValue(t.Elem, "v"+d, "0", depth+1)
			}
			fg.p("}")
		}
	case idl.KindMap:
		fg.p("w.WriteMapHead(%s, len(%s))", tag, expr)
		key, val := "k"+d, "v"+d
		release := false
		switch {
		case !isComparable(t.Key):
			fg.p("for i%s := range %s {", d, expr)
			key, val = expr+"[i"+d+"].Key", expr+"[i"+d+"].Value"
		case isOrdered(t.Key):
			// Sorted like TarsCpp's std::map, in scratch borrowed from w.
			fg.p("for _, e%s := range %s.SortedEntries(w, %s) {", d, fg.use("codec"), expr)
			key, val, release = "e"+d+".Key", "e"+d+".Value", true
		case t.Key.Kind == idl.KindStruct && t.Key.Struct.Key != nil:
			fg.p("for _, e%s := range %s.SortedEntriesFunc(w, %s, %s) {", d, fg.use("codec"), expr, fg.compareFunc(t.Key.Struct))
			key, val, release = "e"+d+".Key", "e"+d+".Value", true
		case t.Key.Kind == idl.KindBool:
			fg.p("for _, %s := range [...]bool{false, true} {", key)
			fg.p("%s, ok := %s[%s]\nif !ok {\ncontinue\n}", val, expr, key)
		default: // a struct without key[]: no order is defined
			fg.p("for %s, %s := range %s {", key, val, expr)
		}
		fg.writeValue(t.Key, key, "0", depth+1)
		fg.writeValue(t.Elem, val, "1", depth+1)
		fg.p("}")
		if release {
			fg.p("w.ReleaseKeys()")
		}
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
		fg.p("if ok, err := r.ReadStructBegin(%s, %s); err != nil {\nreturn err\n} else if ok {", tag, require)
		fg.p("if err := %s.ReadFields(r)%s", expr, check)
		fg.p("if err := r.SkipToStructEnd()%s", check)
		fg.p("}")
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
			// Elements are decoded in place, in a slice sized from the count
			// up to maxPrealloc.
			fg.p("%s = make(%s, 0, min(n%s, %s))", expr, fg.goType(t), d, maxPrealloc)
			fg.p("for range n%s {", d)
			fg.p("%s = append(%s, %s)", expr, expr, fg.zeroValue(t.Elem))
			fg.readValue(t.Elem, expr+"[len("+expr+")-1]", "0", "true", depth+1)
		}
		fg.p("}\n}")
	case idl.KindMap:
		fg.p("if n%s, ok, err := r.ReadMapHead(%s, %s); err != nil {\nreturn err\n} else if ok {", d, tag, require)
		if isComparable(t.Key) {
			fg.p("%s = make(%s, min(n%s, %s))", expr, fg.goType(t), d, maxPrealloc)
			fg.p("for range n%s {", d)
			fg.p("var k%s %s", d, fg.goType(t.Key))
			fg.p("var v%s %s", d, fg.goType(t.Elem))
			fg.readValue(t.Key, "k"+d, "0", "true", depth+1)
			fg.readValue(t.Elem, "v"+d, "1", "true", depth+1)
			fg.p("%s[k%s] = v%s", expr, d, d)
		} else {
			fg.p("%s = make(%s, 0, min(n%s, %s))", expr, fg.goType(t), d, maxPrealloc)
			fg.p("for range n%s {", d)
			fg.p("%s = append(%s, %s{})", expr, expr, fg.goType(t)[2:])
			e := expr + "[len(" + expr + ")-1]"
			fg.readValue(t.Key, e+".Key", "0", "true", depth+1)
			fg.readValue(t.Elem, e+".Value", "1", "true", depth+1)
		}
		fg.p("}\n}")
	default:
		fg.p("if err := r.Read%s(&%s, %s, %s)%s", codecName[t.Kind], expr, tag, require, check)
	}
}

// zeroValue returns the Go zero value of a non-numeric element type.
func (fg *fileGen) zeroValue(t *idl.Type) string {
	switch {
	case t.Kind == idl.KindString:
		return `""`
	case t.Kind == idl.KindBool:
		return "false"
	case t.Kind == idl.KindVector, t.Kind == idl.KindMap && isComparable(t.Key):
		return "nil"
	case t.Kind == idl.KindMap: // a slice of pairs
		return "nil"
	case isNumeric(t):
		return "0"
	}
	return fg.goType(t) + "{}"
}
