package locator

import (
	"fmt"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
)

// EnvLocator is the environment variable the tools read the locator from
// when no -locator flag is given.
const EnvLocator = "OUTPOST_LOCATOR"

// NewClient returns a client for proxy: direct when it names endpoints
// ("Obj@tcp -h ..."), else resolved through the registry of cfg.Locator.
// close closes the client and, if one was made, its Resolver.
func NewClient(proxy string, cfg Config, opts ...client.Option) (c *client.Client, close func(), err error) {
	p, err := endpoint.ParseProxy(proxy)
	if err != nil {
		return nil, nil, err
	}
	if len(p.Endpoints) > 0 {
		if c, err = client.New(proxy, opts...); err != nil {
			return nil, nil, err
		}
		return c, func() { c.Close() }, nil
	}
	if cfg.Locator == "" {
		return nil, nil, fmt.Errorf("no endpoints for %s: give them (Obj@tcp -h host -p port) or a registry locator ($%s)", p.Object, EnvLocator)
	}
	r, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	if c, err = client.New(p.Object, append(opts, client.WithResolver(r))...); err != nil {
		r.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); r.Close() }, nil
}

// Sibling returns the proxy string of obj at the registries of locator
// loc: QueryObj, WatchObj and RegisterObj are served on the same
// endpoints. An empty obj keeps the locator's own object.
func Sibling(loc, obj string) (string, error) {
	p, err := endpoint.ParseProxy(loc)
	if err != nil {
		return "", fmt.Errorf("locator: %w", err)
	}
	if len(p.Endpoints) == 0 {
		return "", fmt.Errorf("locator %q: no registry endpoints", loc)
	}
	if obj == "" {
		obj = p.Object
	}
	return obj + "@" + endpoint.FormatList(p.Endpoints), nil
}
