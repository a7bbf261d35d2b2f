module github.com/outpost-edge/outpost/interop

go 1.26.0

replace github.com/outpost-edge/outpost/tars => ../tars

require (
	github.com/TarsCloud/TarsGo v1.4.5 // indirect
	github.com/outpost-edge/outpost/tars v0.0.0 // indirect
	go.uber.org/automaxprocs v1.5.2 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
