// Package naming compares how fast clients follow a change in the name
// service: Outpost's client, pushed by Outpost's registry, against a
// TarsGo v1.4.5 client polling the same registry through QueryF (see
// naming_test.go).
package naming
