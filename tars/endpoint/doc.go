// Package endpoint parses and prints TARS endpoint strings (§4.2 of the
// protocol reference), the addresses every TARS configuration, registry
// reply and proxy string is written in:
//
//	tcp -h 10.0.0.1 -p 9985 -t 60000
//	TestApp.HelloGo.SayHelloObj@tcp -h 10.0.0.1 -p 9985:ssl -h 10.0.0.2 -p 9985
//
// It exists as its own package because the server (adapter addresses), the
// client (direct proxies), the tools and, later, the name service all speak
// this syntax, and because the syntax has traps worth solving once: ':'
// separates endpoints but also appears in IPv6 hosts, flags take values that
// may be negative (-w -1), and TarsCpp ignores flags it does not know, so a
// parser must too. Parse never panics and String output parses back to the
// same Endpoint (both are fuzzed).
package endpoint
