package registry

//go:generate go run ../cmd/tars2outpost -out . queryf/EndpointF.tars queryf/QueryF.tars queryf/Naming.tars
