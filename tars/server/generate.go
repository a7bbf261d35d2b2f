package server

//go:generate go run ../cmd/tars2outpost -out internal internal/AdminF.tars
