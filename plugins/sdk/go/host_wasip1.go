//go:build wasip1

package sdk

import "unsafe"

//go:wasmimport env host_log
func hostLog(level int32, msg *byte, msgLen uint32)

//go:wasmimport env host_report_metric
func hostReportMetric(name *byte, nameLen uint32, value float64, timestampNS int64)

// Variables, as in host_other.go, so that tests can capture what is logged.
var (
	writeLog = func(l level, msg string) {
		hostLog(int32(l), unsafe.StringData(msg), uint32(len(msg)))
	}
	writeMetric = func(name string, value float64, timestampNS int64) {
		hostReportMetric(unsafe.StringData(name), uint32(len(name)), value, timestampNS)
	}
)
