package cinnox

/*
#include "cinnox.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// cinnoxGoHandler is the C handler Serve passes to the library: it runs on the library's
// worker threads, copies the lent event, and calls the Go handler; an error or a panic
// fails the delivery.
//
//export cinnoxGoHandler
func cinnoxGoHandler(userdata unsafe.Pointer, ev *C.struct_cinnox_event) (rc C.int) {
	handler, ok := cgo.Handle(uintptr(userdata)).Value().(func(*Event) error)
	if !ok {
		return 1
	}
	defer func() {
		if recover() != nil {
			rc = 1
		}
	}()
	if err := handler(newEvent(ev)); err != nil {
		return 1
	}
	return 0
}
