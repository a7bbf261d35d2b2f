package registry

import (
	"context"
	"net"

	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Object names the registry serves, those TARS clients are configured
// with (locator = tars.tarsregistry.QueryObj@...).
const (
	QueryObj    = "tars.tarsregistry.QueryObj"
	WatchObj    = "tars.tarsregistry.WatchObj"
	RegisterObj = "tars.tarsregistry.RegisterObj"
)

// query serves QueryF from a Source.
type query struct {
	src   Source
	rules Rules
}

var _ queryf.QueryFServant = (*query)(nil)

// callerIP is the caller's IP address, the key of its IDC group.
func callerIP(ctx context.Context) string {
	cur := servant.CurrentFromContext(ctx)
	if cur == nil || cur.RemoteAddr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(cur.RemoteAddr.String())
	if err != nil {
		return ""
	}
	return host
}

func (q *query) FindObjectById(ctx context.Context, id string) ([]queryf.EndpointF, error) {
	active, _ := splitActive(q.src.Instances(id))
	return toWire(active), nil
}

func (q *query) FindObjectById4Any(ctx context.Context, id string) (int32, []queryf.EndpointF, []queryf.EndpointF, error) {
	a, in := q.rules.all(q.src.Instances(id))
	return 0, toWire(a), toWire(in), nil
}

// FindObjectById4All is "the same as InSameGroup" per the upstream IDL.
func (q *query) FindObjectById4All(ctx context.Context, id string) (int32, []queryf.EndpointF, []queryf.EndpointF, error) {
	return q.FindObjectByIdInSameGroup(ctx, id)
}

func (q *query) FindObjectByIdInSameGroup(ctx context.Context, id string) (int32, []queryf.EndpointF, []queryf.EndpointF, error) {
	a, in := q.rules.sameGroup(q.src.Instances(id), q.src.GroupOf(callerIP(ctx)))
	return 0, toWire(a), toWire(in), nil
}

func (q *query) FindObjectByIdInSameStation(ctx context.Context, id, station string) (int32, []queryf.EndpointF, []queryf.EndpointF, error) {
	a, in := q.rules.sameStation(q.src.Instances(id), station)
	return 0, toWire(a), toWire(in), nil
}

func (q *query) FindObjectByIdInSameSet(ctx context.Context, id, setID string) (int32, []queryf.EndpointF, []queryf.EndpointF, error) {
	a, in := q.rules.sameSet(q.src.Instances(id), setID, q.src.GroupOf(callerIP(ctx)))
	return 0, toWire(a), toWire(in), nil
}
