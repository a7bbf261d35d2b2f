module github.com/outpost-edge/outpost/tars

go 1.26
