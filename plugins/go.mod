module xdperf/plugins

go 1.24
