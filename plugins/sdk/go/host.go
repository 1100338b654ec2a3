package sdk

import (
	"fmt"
	"time"
)

// level is host_log's level argument.
type level int32

const (
	levelDebug level = iota
	levelInfo
	levelWarn
	levelError
)

// Debugf logs a detail for the plugin's developer.
func Debugf(format string, args ...any) { writeLog(levelDebug, fmt.Sprintf(format, args...)) }

// Infof logs what the plugin is doing.
func Infof(format string, args ...any) { writeLog(levelInfo, fmt.Sprintf(format, args...)) }

// Warnf logs something the user may want to change.
func Warnf(format string, args ...any) { writeLog(levelWarn, fmt.Sprintf(format, args...)) }

// Errorf logs a failure. The SDK already logs the errors that Init and
// Process return, so a plugin seldom needs this.
func Errorf(format string, args ...any) { writeLog(levelError, fmt.Sprintf(format, args...)) }

// ReportMetric sends the host one sample of a named metric, stamped now.
func ReportMetric(name string, value float64) {
	writeMetric(name, value, time.Now().UnixNano())
}
