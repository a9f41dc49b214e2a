// Package cinnox takes part in CINNOX's event subscriptions from Go: a Client subscribes
// webhook URLs over the CINNOX Open API, a Receiver answers CINNOX's URL-verification
// handshake and hands the program typed call, inbound-SMS and outbound-SMS events, and a
// Sandbox plays CINNOX locally for tests.
//
// It is a thin wrapper over the C ABI of the cinnox library (include/cinnox.h), linked
// statically: build the library first with `go generate` in this directory, which runs
// `cargo build --release` wherever cargo builds (CARGO_TARGET_DIR is honoured) and copies
// libcinnox.a into lib/, where the package links it (see README.md). Without lib/, the
// package links ../../target/release/libcinnox.a, where a plain `cargo build --release`
// at the repository root puts it. To link another build, put its directory first with
// CGO_LDFLAGS="-L/path/to/dir".
package cinnox

//go:generate sh ./build-lib.sh

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/lib -L${SRCDIR}/../../target/release -l:libcinnox.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#include <stdlib.h>
#include "cinnox.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Version is the version of the linked library, e.g. "0.2.0".
func Version() string { return C.GoString(C.cinnox_version()) }

// ErrorKind says what kind of failure an Error is. The numbers are the C ABI's
// cinnox_result values and never change.
type ErrorKind uint32

// The kinds of failure (cinnox_result).
const (
	KindNullArgument       ErrorKind = C.CINNOX_ERR_NULL_ARGUMENT       // a required value was missing
	KindInvalidArgument    ErrorKind = C.CINNOX_ERR_INVALID_ARGUMENT    // an argument was rejected
	KindTransport          ErrorKind = C.CINNOX_ERR_TRANSPORT           // a request got no HTTP answer
	KindTimeout            ErrorKind = C.CINNOX_ERR_TIMEOUT             // a deadline passed
	KindAPI                ErrorKind = C.CINNOX_ERR_API                 // CINNOX answered with an error object
	KindUnexpectedResponse ErrorKind = C.CINNOX_ERR_UNEXPECTED_RESPONSE // the answer was not the documented JSON
	KindBadRequest         ErrorKind = C.CINNOX_ERR_BAD_REQUEST         // a notification body could not be read
	KindIO                 ErrorKind = C.CINNOX_ERR_IO                  // a local I/O failure, such as binding a socket
	KindClosed             ErrorKind = C.CINNOX_ERR_CLOSED              // the object was shut down or closed
	KindPanic              ErrorKind = C.CINNOX_ERR_PANIC               // the library panicked (please report it)
	KindWrongType          ErrorKind = C.CINNOX_ERR_WRONG_TYPE          // the call is not valid for this object
	KindOther              ErrorKind = C.CINNOX_ERR_OTHER               // a kind this version does not name
)

// String gives the C name of the kind, e.g. "CINNOX_ERR_TIMEOUT".
func (k ErrorKind) String() string { return C.GoString(C.cinnox_result_name(C.uint32_t(k))) }

// CINNOX's documented API codes (Error.APICode).
const (
	CodeMethodNotFound  int64 = 6450001 // method not found
	CodeParameterError  int64 = 6451000 // parameter error (body, URL, verification)
	CodeBadResponse     int64 = 6451001 // bad response from the service
	CodeTooManyRequests int64 = 6451010 // rate limit
	CodeNoRecords       int64 = 6451011 // no records found
	CodeInvalidToken    int64 = 6452000 // invalid App Token
	CodeInvalidAppID    int64 = 6452001 // invalid App ID
)

// Error is every failure of this package: its kind, the library's message, and where
// CINNOX answered, the HTTP status and CINNOX's API code. Use errors.As to get it.
type Error struct {
	Kind       ErrorKind // what kind of failure
	Message    string    // the library's message (never contains a secret)
	HTTPStatus int       // the HTTP status of the answer it came from; 0 when none
	APICode    int64     // CINNOX's code, e.g. CodeInvalidToken; 0 when none
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "cinnox: " + e.Kind.String()
	}
	return fmt.Sprintf("cinnox: %s: %s", e.Kind, e.Message)
}

// call runs one fallible C function and, on failure, reads the last error on the same OS
// thread (the C ABI keeps it per thread).
func call(f func() C.cinnox_result) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := f()
	if r == C.CINNOX_OK {
		return nil
	}
	return &Error{
		Kind:       ErrorKind(r),
		Message:    C.GoString(C.cinnox_last_error_message()),
		HTTPStatus: int(C.cinnox_last_error_http_status()),
		APICode:    int64(C.cinnox_last_error_api_code()),
	}
}

// closedError is the error of a call on a closed object.
func closedError(what string) error {
	return &Error{Kind: KindClosed, Message: what + " is closed"}
}

// cstr gives a C copy of s, freed by the returned function.
func cstr(s string) (*C.char, func()) {
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}

// optstr gives NULL for "" (the library's default) or a C copy of s.
func optstr(s string) (*C.char, func()) {
	if s == "" {
		return nil, func() {}
	}
	return cstr(s)
}

// gostr copies a borrowed C string; NULL gives "".
func gostr(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}
