//go:build !wasip1

package sdk

import (
	"fmt"
	"os"
)

var levelNames = [...]string{"DEBUG", "INFO", "WARN", "ERROR"}

// Outside WebAssembly there is no host, so that plugin code can run under
// go test: logs and metrics go to stderr. Tests replace these to capture them.
var (
	writeLog = func(l level, msg string) {
		fmt.Fprintf(os.Stderr, "%s %s\n", levelNames[l], msg)
	}
	writeMetric = func(name string, value float64, timestampNS int64) {
		fmt.Fprintf(os.Stderr, "METRIC %s=%g @%d\n", name, value, timestampNS)
	}
)
