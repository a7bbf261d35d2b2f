package Interop

// Echo.tars.go is what tars2go 1.2.3 generates for interface Interop::Echo,
// written by hand (tars2go is not available here) and kept to what the RPC
// interop tests need: the client proxy (Echo, with WithContext and, where
// used, OneWayWithContext methods; in- and out-parameters written at their
// positional tags as tars2go clients do) and the server Dispatch for
// version 1 (TARS) requests. The repetitive read/write code tars2go inlines
// per method is factored into the helpers at the end; the bytes on the
// wire are the same.

import (
	"context"
	"fmt"

	"github.com/TarsCloud/TarsGo/tars/model"
	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/current"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
)

// EchoServantWithContext is the server side of Interop::Echo.
type EchoServantWithContext interface {
	EchoBool(tarsCtx context.Context, v bool) (ret bool, err error)
	EchoByte(tarsCtx context.Context, v int8) (ret int8, err error)
	EchoShort(tarsCtx context.Context, v int16) (ret int16, err error)
	EchoInt(tarsCtx context.Context, v int32) (ret int32, err error)
	EchoLong(tarsCtx context.Context, v int64) (ret int64, err error)
	EchoFloat(tarsCtx context.Context, v float32) (ret float32, err error)
	EchoDouble(tarsCtx context.Context, v float64) (ret float64, err error)
	EchoString(tarsCtx context.Context, v string) (ret string, err error)
	EchoBytes(tarsCtx context.Context, v []int8) (ret []int8, err error)
	EchoStrings(tarsCtx context.Context, v []string) (ret []string, err error)
	EchoMap(tarsCtx context.Context, v map[string]string) (ret map[string]string, err error)
	EchoColor(tarsCtx context.Context, v Color) (ret Color, err error)
	EchoPoint(tarsCtx context.Context, v *Point) (ret Point, err error)
	EchoEverything(tarsCtx context.Context, v *Everything) (ret Everything, err error)
	AddSub(tarsCtx context.Context, a int32, b int32, sum *int32, diff *int64) (ret int32, err error)
	Summarize(tarsCtx context.Context, points []Point, bounds *[]Point, labels *[]string) (ret int32, err error)
	Fail(tarsCtx context.Context, code int32, message string) (err error)
	SleepMs(tarsCtx context.Context, ms int32) (ret int32, err error)
	ContextValue(tarsCtx context.Context, key string) (ret string, err error)
}

// Echo is the client proxy of Interop::Echo.
type Echo struct {
	servant model.Servant
}

// SetServant sets servant for the service.
func (obj *Echo) SetServant(servant model.Servant) { obj.servant = servant }

// TarsSetTimeout sets the timeout for the servant which is in ms.
func (obj *Echo) TarsSetTimeout(timeout int) { obj.servant.TarsSetTimeout(timeout) }

// TarsSetProtocol sets the protocol for the servant.
func (obj *Echo) TarsSetProtocol(p model.Protocol) { obj.servant.TarsSetProtocol(p) }

// invoke sends a call and copies the reply's context and status maps into
// the caller's, as generated proxies do with their opts.
func (obj *Echo) invoke(ctx context.Context, cType byte, fn string, buf *codec.Buffer, opts []map[string]string) (*codec.Reader, error) {
	var statusMap, contextMap map[string]string
	if len(opts) >= 1 {
		contextMap = opts[0]
	}
	if len(opts) >= 2 {
		statusMap = opts[1]
	}
	tarsResp := new(requestf.ResponsePacket)
	if err := obj.servant.TarsInvoke(ctx, cType, fn, buf.ToBytes(), statusMap, contextMap, tarsResp); err != nil {
		return nil, err
	}
	if contextMap != nil {
		clear(contextMap)
		for k, v := range tarsResp.Context {
			contextMap[k] = v
		}
	}
	if statusMap != nil {
		clear(statusMap)
		for k, v := range tarsResp.Status {
			statusMap[k] = v
		}
	}
	return codec.NewReader(tools.Int8ToByte(tarsResp.SBuffer)), nil
}

func (obj *Echo) EchoBoolWithContext(ctx context.Context, v bool, opts ...map[string]string) (ret bool, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteBool(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoBool", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadBool(&ret, 0, true)
	return
}

func (obj *Echo) EchoByteWithContext(ctx context.Context, v int8, opts ...map[string]string) (ret int8, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt8(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoByte", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadInt8(&ret, 0, true)
	return
}

func (obj *Echo) EchoShortWithContext(ctx context.Context, v int16, opts ...map[string]string) (ret int16, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt16(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoShort", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadInt16(&ret, 0, true)
	return
}

func (obj *Echo) EchoIntWithContext(ctx context.Context, v int32, opts ...map[string]string) (ret int32, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt32(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoInt", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadInt32(&ret, 0, true)
	return
}

func (obj *Echo) EchoIntOneWayWithContext(ctx context.Context, v int32, opts ...map[string]string) (ret int32, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt32(v, 1); err != nil {
		return
	}
	_, err = obj.invoke(ctx, 1, "echoInt", buf, opts)
	return
}

func (obj *Echo) EchoLongWithContext(ctx context.Context, v int64, opts ...map[string]string) (ret int64, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt64(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoLong", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadInt64(&ret, 0, true)
	return
}

func (obj *Echo) EchoFloatWithContext(ctx context.Context, v float32, opts ...map[string]string) (ret float32, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteFloat32(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoFloat", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadFloat32(&ret, 0, true)
	return
}

func (obj *Echo) EchoDoubleWithContext(ctx context.Context, v float64, opts ...map[string]string) (ret float64, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteFloat64(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoDouble", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadFloat64(&ret, 0, true)
	return
}

func (obj *Echo) EchoStringWithContext(ctx context.Context, v string, opts ...map[string]string) (ret string, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteString(v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoString", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadString(&ret, 0, true)
	return
}

func (obj *Echo) EchoBytesWithContext(ctx context.Context, v []int8, opts ...map[string]string) (ret []int8, err error) {
	buf := codec.NewBuffer()
	if err = writeInt8s(buf, v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoBytes", buf, opts)
	if err != nil {
		return
	}
	err = readInt8s(r, &ret, 0, true)
	return
}

func (obj *Echo) EchoStringsWithContext(ctx context.Context, v []string, opts ...map[string]string) (ret []string, err error) {
	buf := codec.NewBuffer()
	if err = writeStrings(buf, v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoStrings", buf, opts)
	if err != nil {
		return
	}
	err = readStrings(r, &ret, 0, true)
	return
}

func (obj *Echo) EchoMapWithContext(ctx context.Context, v map[string]string, opts ...map[string]string) (ret map[string]string, err error) {
	buf := codec.NewBuffer()
	if err = writeStringMap(buf, v, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoMap", buf, opts)
	if err != nil {
		return
	}
	err = readStringMap(r, &ret, 0, true)
	return
}

func (obj *Echo) EchoColorWithContext(ctx context.Context, v Color, opts ...map[string]string) (ret Color, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt32(int32(v), 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoColor", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadInt32((*int32)(&ret), 0, true)
	return
}

func (obj *Echo) EchoPointWithContext(ctx context.Context, v *Point, opts ...map[string]string) (ret Point, err error) {
	buf := codec.NewBuffer()
	if err = v.WriteBlock(buf, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoPoint", buf, opts)
	if err != nil {
		return
	}
	err = ret.ReadBlock(r, 0, true)
	return
}

func (obj *Echo) EchoEverythingWithContext(ctx context.Context, v *Everything, opts ...map[string]string) (ret Everything, err error) {
	buf := codec.NewBuffer()
	if err = v.WriteBlock(buf, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "echoEverything", buf, opts)
	if err != nil {
		return
	}
	err = ret.ReadBlock(r, 0, true)
	return
}

func (obj *Echo) AddSubWithContext(ctx context.Context, a int32, b int32, sum *int32, diff *int64, opts ...map[string]string) (ret int32, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt32(a, 1); err != nil {
		return
	}
	if err = buf.WriteInt32(b, 2); err != nil {
		return
	}
	if err = buf.WriteInt32(*sum, 3); err != nil {
		return
	}
	if err = buf.WriteInt64(*diff, 4); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "addSub", buf, opts)
	if err != nil {
		return
	}
	if err = r.ReadInt32(&ret, 0, true); err != nil {
		return
	}
	if err = r.ReadInt32(sum, 3, true); err != nil {
		return
	}
	err = r.ReadInt64(diff, 4, true)
	return
}

func (obj *Echo) SummarizeWithContext(ctx context.Context, points []Point, bounds *[]Point, labels *[]string, opts ...map[string]string) (ret int32, err error) {
	buf := codec.NewBuffer()
	if err = writePoints(buf, points, 1); err != nil {
		return
	}
	if err = writePoints(buf, *bounds, 2); err != nil {
		return
	}
	if err = writeStrings(buf, *labels, 3); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "summarize", buf, opts)
	if err != nil {
		return
	}
	if err = r.ReadInt32(&ret, 0, true); err != nil {
		return
	}
	if err = readPoints(r, bounds, 2, true); err != nil {
		return
	}
	err = readStrings(r, labels, 3, true)
	return
}

func (obj *Echo) FailWithContext(ctx context.Context, code int32, message string, opts ...map[string]string) (err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt32(code, 1); err != nil {
		return
	}
	if err = buf.WriteString(message, 2); err != nil {
		return
	}
	_, err = obj.invoke(ctx, 0, "fail", buf, opts)
	return
}

func (obj *Echo) SleepMsWithContext(ctx context.Context, ms int32, opts ...map[string]string) (ret int32, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteInt32(ms, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "sleepMs", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadInt32(&ret, 0, true)
	return
}

func (obj *Echo) ContextValueWithContext(ctx context.Context, key string, opts ...map[string]string) (ret string, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteString(key, 1); err != nil {
		return
	}
	r, err := obj.invoke(ctx, 0, "contextValue", buf, opts)
	if err != nil {
		return
	}
	err = r.ReadString(&ret, 0, true)
	return
}

// Dispatch calls the implementation for a version 1 request, as
// tars2go's generated Dispatch does (TUP and JSON are not needed here).
func (obj *Echo) Dispatch(tarsCtx context.Context, val interface{}, tarsReq *requestf.RequestPacket, tarsResp *requestf.ResponsePacket, withContext bool) (err error) {
	if tarsReq.IVersion != basef.TARSVERSION {
		return fmt.Errorf("decode reqpacket fail, error version: %d", tarsReq.IVersion)
	}
	imp := val.(EchoServantWithContext)
	r := codec.NewReader(tools.Int8ToByte(tarsReq.SBuffer))
	buf := codec.NewBuffer()
	switch tarsReq.SFuncName {
	case "echoBool":
		var v, ret bool
		if err = r.ReadBool(&v, 1, true); err == nil {
			if ret, err = imp.EchoBool(tarsCtx, v); err == nil {
				err = buf.WriteBool(ret, 0)
			}
		}
	case "echoByte":
		var v, ret int8
		if err = r.ReadInt8(&v, 1, true); err == nil {
			if ret, err = imp.EchoByte(tarsCtx, v); err == nil {
				err = buf.WriteInt8(ret, 0)
			}
		}
	case "echoShort":
		var v, ret int16
		if err = r.ReadInt16(&v, 1, true); err == nil {
			if ret, err = imp.EchoShort(tarsCtx, v); err == nil {
				err = buf.WriteInt16(ret, 0)
			}
		}
	case "echoInt":
		var v, ret int32
		if err = r.ReadInt32(&v, 1, true); err == nil {
			if ret, err = imp.EchoInt(tarsCtx, v); err == nil {
				err = buf.WriteInt32(ret, 0)
			}
		}
	case "echoLong":
		var v, ret int64
		if err = r.ReadInt64(&v, 1, true); err == nil {
			if ret, err = imp.EchoLong(tarsCtx, v); err == nil {
				err = buf.WriteInt64(ret, 0)
			}
		}
	case "echoFloat":
		var v, ret float32
		if err = r.ReadFloat32(&v, 1, true); err == nil {
			if ret, err = imp.EchoFloat(tarsCtx, v); err == nil {
				err = buf.WriteFloat32(ret, 0)
			}
		}
	case "echoDouble":
		var v, ret float64
		if err = r.ReadFloat64(&v, 1, true); err == nil {
			if ret, err = imp.EchoDouble(tarsCtx, v); err == nil {
				err = buf.WriteFloat64(ret, 0)
			}
		}
	case "echoString":
		var v, ret string
		if err = r.ReadString(&v, 1, true); err == nil {
			if ret, err = imp.EchoString(tarsCtx, v); err == nil {
				err = buf.WriteString(ret, 0)
			}
		}
	case "echoBytes":
		var v, ret []int8
		if err = readInt8s(r, &v, 1, true); err == nil {
			if ret, err = imp.EchoBytes(tarsCtx, v); err == nil {
				err = writeInt8s(buf, ret, 0)
			}
		}
	case "echoStrings":
		var v, ret []string
		if err = readStrings(r, &v, 1, true); err == nil {
			if ret, err = imp.EchoStrings(tarsCtx, v); err == nil {
				err = writeStrings(buf, ret, 0)
			}
		}
	case "echoMap":
		var v, ret map[string]string
		if err = readStringMap(r, &v, 1, true); err == nil {
			if ret, err = imp.EchoMap(tarsCtx, v); err == nil {
				err = writeStringMap(buf, ret, 0)
			}
		}
	case "echoColor":
		var v, ret Color
		if err = r.ReadInt32((*int32)(&v), 1, true); err == nil {
			if ret, err = imp.EchoColor(tarsCtx, v); err == nil {
				err = buf.WriteInt32(int32(ret), 0)
			}
		}
	case "echoPoint":
		var v, ret Point
		if err = v.ReadBlock(r, 1, true); err == nil {
			if ret, err = imp.EchoPoint(tarsCtx, &v); err == nil {
				err = ret.WriteBlock(buf, 0)
			}
		}
	case "echoEverything":
		var v, ret Everything
		if err = v.ReadBlock(r, 1, true); err == nil {
			if ret, err = imp.EchoEverything(tarsCtx, &v); err == nil {
				err = ret.WriteBlock(buf, 0)
			}
		}
	case "addSub":
		var a, b, sum, ret int32
		var diff int64
		if err = r.ReadInt32(&a, 1, true); err == nil {
			err = r.ReadInt32(&b, 2, true)
		}
		if err == nil {
			if ret, err = imp.AddSub(tarsCtx, a, b, &sum, &diff); err == nil {
				err = firstErr(buf.WriteInt32(ret, 0), buf.WriteInt32(sum, 3), buf.WriteInt64(diff, 4))
			}
		}
	case "summarize":
		var points, bounds []Point
		var labels []string
		var ret int32
		if err = readPoints(r, &points, 1, true); err == nil {
			if ret, err = imp.Summarize(tarsCtx, points, &bounds, &labels); err == nil {
				err = firstErr(buf.WriteInt32(ret, 0), writePoints(buf, bounds, 2), writeStrings(buf, labels, 3))
			}
		}
	case "fail":
		var code int32
		var message string
		if err = r.ReadInt32(&code, 1, true); err == nil {
			err = r.ReadString(&message, 2, true)
		}
		if err == nil {
			err = imp.Fail(tarsCtx, code, message)
		}
	case "sleepMs":
		var ms, ret int32
		if err = r.ReadInt32(&ms, 1, true); err == nil {
			if ret, err = imp.SleepMs(tarsCtx, ms); err == nil {
				err = buf.WriteInt32(ret, 0)
			}
		}
	case "contextValue":
		var key, ret string
		if err = r.ReadString(&key, 1, true); err == nil {
			if ret, err = imp.ContextValue(tarsCtx, key); err == nil {
				err = buf.WriteString(ret, 0)
			}
		}
	default:
		return fmt.Errorf("func mismatch")
	}
	if err != nil {
		return err
	}
	var statusMap map[string]string
	if status, ok := current.GetResponseStatus(tarsCtx); ok && status != nil {
		statusMap = status
	}
	var contextMap map[string]string
	if ctx, ok := current.GetResponseContext(tarsCtx); ok && ctx != nil {
		contextMap = ctx
	}
	*tarsResp = requestf.ResponsePacket{
		IVersion:   tarsReq.IVersion,
		IRequestId: tarsReq.IRequestId,
		SBuffer:    tools.ByteToInt8(buf.ToBytes()),
		Status:     statusMap,
		Context:    contextMap,
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// vector<byte>: a SIMPLE_LIST written, LIST or SIMPLE_LIST read.
func writeInt8s(buf *codec.Buffer, v []int8, tag byte) error {
	return firstErr(buf.WriteHead(codec.SimpleList, tag), buf.WriteHead(codec.BYTE, 0),
		buf.WriteInt32(int32(len(v)), 0), buf.WriteSliceInt8(v))
}

func readInt8s(r *codec.Reader, dst *[]int8, tag byte, require bool) error {
	have, ty, err := r.SkipToNoCheck(tag, require)
	if err != nil || !have {
		return err
	}
	var length int32
	switch ty {
	case codec.LIST:
		if err = r.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		*dst = make([]int8, length)
		for i := range *dst {
			if err = r.ReadInt8(&(*dst)[i], 0, true); err != nil {
				return err
			}
		}
		return nil
	case codec.SimpleList:
		if _, err = r.SkipTo(codec.BYTE, 0, true); err != nil {
			return err
		}
		if err = r.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		return r.ReadSliceInt8(dst, length, true)
	}
	return fmt.Errorf("require vector, but not")
}

func writeStrings(buf *codec.Buffer, v []string, tag byte) error {
	if err := firstErr(buf.WriteHead(codec.LIST, tag), buf.WriteInt32(int32(len(v)), 0)); err != nil {
		return err
	}
	for _, s := range v {
		if err := buf.WriteString(s, 0); err != nil {
			return err
		}
	}
	return nil
}

func readStrings(r *codec.Reader, dst *[]string, tag byte, require bool) error {
	have, ty, err := r.SkipToNoCheck(tag, require)
	if err != nil || !have {
		return err
	}
	if ty != codec.LIST {
		return fmt.Errorf("require vector, but not")
	}
	var length int32
	if err = r.ReadInt32(&length, 0, true); err != nil {
		return err
	}
	*dst = make([]string, length)
	for i := range *dst {
		if err = r.ReadString(&(*dst)[i], 0, true); err != nil {
			return err
		}
	}
	return nil
}

func writeStringMap(buf *codec.Buffer, m map[string]string, tag byte) error {
	if err := firstErr(buf.WriteHead(codec.MAP, tag), buf.WriteInt32(int32(len(m)), 0)); err != nil {
		return err
	}
	for k, v := range m {
		if err := firstErr(buf.WriteString(k, 0), buf.WriteString(v, 1)); err != nil {
			return err
		}
	}
	return nil
}

func readStringMap(r *codec.Reader, dst *map[string]string, tag byte, require bool) error {
	have, err := r.SkipTo(codec.MAP, tag, require)
	if err != nil || !have {
		return err
	}
	var length int32
	if err = r.ReadInt32(&length, 0, true); err != nil {
		return err
	}
	*dst = make(map[string]string, length)
	for range length {
		var k, v string
		if err = firstErr(r.ReadString(&k, 0, true), r.ReadString(&v, 1, true)); err != nil {
			return err
		}
		(*dst)[k] = v
	}
	return nil
}
