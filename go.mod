module github.com/fwbatch/fwbatch

go 1.26.0
