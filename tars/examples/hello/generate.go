// Package hello is the hello-world TARS service of the examples: Hello.tars,
// its generated package (hello/hello), the servant (greeter), a server
// (server) and a client (client).
package hello

//go:generate go run ../../cmd/tars2outpost -out . Hello.tars
