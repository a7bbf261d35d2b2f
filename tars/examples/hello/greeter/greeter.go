// Package greeter implements Hello.Greeter, the example servant.
package greeter

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Obj is the servant's object name.
const Obj = "Hello.HelloServer.GreeterObj"

// Greeter counts the greetings it makes.
type Greeter struct{ count atomic.Int32 }

// Greet returns a greeting in the language asked for by the request
// context's "lang" entry (English by default).
func (g *Greeter) Greet(ctx context.Context, name string) (hello.Greeting, error) {
	if name == "" {
		return hello.Greeting{}, servant.NewError(400, "name is empty")
	}
	format := "hello, %s"
	if servant.RequestContext(ctx)["lang"] == "fr" {
		format = "bonjour, %s"
		servant.SetResponseContext(ctx, "lang", "fr")
	}
	return hello.Greeting{Text: fmt.Sprintf(format, name), Count: g.count.Add(1)}, nil
}
