module github.com/outpost-edge/outpost/interop

go 1.26

replace github.com/outpost-edge/outpost/tars => ../tars

require (
	github.com/TarsCloud/TarsGo v1.4.5 // indirect
	github.com/outpost-edge/outpost/tars v0.0.0 // indirect
	go.uber.org/automaxprocs v1.5.2 // indirect
)
