//go:build wasip1

package sdk

import (
	"bytes"
	"unsafe"
)

// allocations keeps every buffer lent to the host reachable: the host holds
// only its address, which the garbage collector does not see. Go's collector
// never moves objects, so the address stays valid until free.
var allocations = map[*byte][]byte{}

//go:wasmexport malloc
func malloc(size uint32) *byte {
	// Like C's malloc: a distinct, non-zero address even for size 0, and
	// 8-byte aligned, which Go gives allocations whose size is a multiple of 8.
	n := max(int(size), 1)
	buf := make([]byte, n, (n+7)&^7)
	allocations[&buf[0]] = buf
	return &buf[0]
}

//go:wasmexport free
func free(ptr *byte) {
	delete(allocations, ptr)
}

// Inputs are copied because the host may reuse its buffers after the call,
// and plugins may keep what they were given.

//go:wasmexport plugin_init
func pluginInit(cfg *byte, cfgLen uint32) int32 {
	return runInit(bytes.Clone(view(cfg, cfgLen)))
}

//go:wasmexport plugin_process
func pluginProcess(in *byte, inLen uint32, out *byte, outCap uint32) int32 {
	return runProcess(bytes.Clone(view(in, inLen)), view(out, outCap))
}

//go:wasmexport plugin_cleanup
func pluginCleanup() {
	runCleanup()
}

// view is the host's (ptr, len) pair as a slice of linear memory.
func view(ptr *byte, n uint32) []byte {
	if ptr == nil {
		return nil
	}
	return unsafe.Slice(ptr, n)
}
