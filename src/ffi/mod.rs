//! The C ABI. See `include/cinnox.h` for the contract each function keeps.
//!
//! This layer holds no logic: each `extern "C"` function checks its pointers, converts its
//! arguments, calls the Rust API inside a panic guard (`call` or `get`), and converts the
//! result. The names are the C names (`cinnox_…`, `CINNOX_…`), written in Rust directly so
//! that cbindgen copies them unchanged.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{Error, ErrorKind};

pub mod client;
pub mod client_builder;
pub mod counter;
pub mod defaults;
pub mod delivery;
pub mod event;
pub mod inbox;
pub mod inbox_builder;
pub mod inbox_snapshot;
pub mod log;
pub mod receiver;
pub mod receiver_config;
pub mod receiver_config_builder;
pub mod reply;
pub mod sandbox;
pub mod string;
pub mod subscription;
pub mod trigger_result;
pub mod webhook;

/// The result of every fallible function. `CINNOX_OK` (0) is success; the other numbers
/// are stable and are never reused for another meaning. Call
/// `cinnox_last_error_message()` for the detail of a failure.
/// cbindgen:rename-all=None
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum cinnox_result {
    /// Success.
    CINNOX_OK = 0,
    /// A required pointer argument was NULL.
    CINNOX_ERR_NULL_ARGUMENT = 1,
    /// An argument was rejected: not UTF-8, an unknown enum value, an empty app ID or
    /// token, a URL that is not absolute http(s), a bad configuration value.
    CINNOX_ERR_INVALID_ARGUMENT = 2,
    /// A request got no HTTP answer: DNS, connect, TLS, connection reset.
    CINNOX_ERR_TRANSPORT = 3,
    /// A deadline passed (a request timeout, or `cinnox_receiver_recv` with no event).
    CINNOX_ERR_TIMEOUT = 4,
    /// CINNOX answered with an error object; see `cinnox_last_error_http_status()` and
    /// `cinnox_last_error_api_code()`.
    CINNOX_ERR_API = 5,
    /// The answer was not the documented JSON (an HTML page from a proxy, an empty body).
    CINNOX_ERR_UNEXPECTED_RESPONSE = 6,
    /// A notification body could not be read (not JSON, not an object, invalid UTF-8).
    CINNOX_ERR_BAD_REQUEST = 7,
    /// A local I/O failure, such as binding a socket.
    CINNOX_ERR_IO = 8,
    /// The object was shut down (a receiver after `cinnox_receiver_shutdown`).
    CINNOX_ERR_CLOSED = 9,
    /// The library panicked; the operation did not complete. Please report it.
    CINNOX_ERR_PANIC = 10,
    /// The call is not valid for this object, such as asking a notification for its
    /// challenge reply.
    CINNOX_ERR_WRONG_TYPE = 11,
    /// A failure of a kind this version of the header does not name.
    CINNOX_ERR_OTHER = 255,
}

impl cinnox_result {
    /// The result code for an error kind.
    pub fn from_kind(kind: ErrorKind) -> cinnox_result {
        match kind {
            ErrorKind::InvalidArgument => cinnox_result::CINNOX_ERR_INVALID_ARGUMENT,
            ErrorKind::Transport => cinnox_result::CINNOX_ERR_TRANSPORT,
            ErrorKind::Timeout => cinnox_result::CINNOX_ERR_TIMEOUT,
            ErrorKind::Api => cinnox_result::CINNOX_ERR_API,
            ErrorKind::UnexpectedResponse => cinnox_result::CINNOX_ERR_UNEXPECTED_RESPONSE,
            ErrorKind::BadRequest => cinnox_result::CINNOX_ERR_BAD_REQUEST,
            ErrorKind::Io => cinnox_result::CINNOX_ERR_IO,
            ErrorKind::Closed => cinnox_result::CINNOX_ERR_CLOSED,
            #[allow(unreachable_patterns)]
            _ => cinnox_result::CINNOX_ERR_OTHER,
        }
    }
}

/// A failure on its way to C: the result code and what the last-error functions report.
#[derive(Debug)]
pub(crate) struct Failure {
    code: cinnox_result,
    message: String,
    http_status: u16,
    api_code: i64,
}

impl Failure {
    /// A failure with a code and a message and no HTTP detail.
    pub(crate) fn new(code: cinnox_result, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            http_status: 0,
            api_code: 0,
        }
    }

    /// `CINNOX_ERR_NULL_ARGUMENT` naming the argument.
    pub(crate) fn null(arg: &str) -> Failure {
        Failure::new(
            cinnox_result::CINNOX_ERR_NULL_ARGUMENT,
            format!("argument `{arg}` is NULL"),
        )
    }

    /// `CINNOX_ERR_INVALID_ARGUMENT` with a message.
    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(cinnox_result::CINNOX_ERR_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            code: cinnox_result::from_kind(e.kind()),
            message: e.to_string(),
            http_status: e.http_status().unwrap_or(0),
            api_code: e.api_code().unwrap_or(0),
        }
    }
}

/// The result type of the bodies run by [`call`].
pub(crate) type FfiResult = Result<(), Failure>;

struct LastError {
    message: CString,
    http_status: u16,
    api_code: i64,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn clear_last_error() {
    // `try_with`: during thread teardown the slot may be gone; nothing to clear then.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            if slot.is_some() {
                *slot = None;
            }
        }
    });
}

fn set_last_error(f: &Failure) {
    // A message with an interior NUL (it may quote a body) is cut at the NUL.
    let message = cut_at_nul(&f.message);
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(LastError {
                message,
                http_status: f.http_status,
                api_code: f.api_code,
            });
        }
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    format!("panic inside cinnox: {what}")
}

/// The guard around every fallible export: clears the calling thread's last error, runs
/// `body` under `catch_unwind`, records a failure as the last error, and returns its code.
pub(crate) fn call(body: impl FnOnce() -> FfiResult) -> cinnox_result {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => cinnox_result::CINNOX_OK,
        Ok(Err(f)) => {
            set_last_error(&f);
            f.code
        }
        Err(payload) => {
            let f = Failure::new(cinnox_result::CINNOX_ERR_PANIC, panic_message(&*payload));
            set_last_error(&f);
            f.code
        }
    }
}

/// The guard around getters that cannot fail: `fallback` on a panic. The last error is
/// left alone.
pub(crate) fn get<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Borrow `*p`, or fail with `CINNOX_ERR_NULL_ARGUMENT` naming `arg`.
///
/// # Safety
/// `p` is NULL or points to a live `T` for `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, arg: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller promises p is NULL or valid for 'a.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(arg))
}

/// Borrow `*p` mutably, or fail with `CINNOX_ERR_NULL_ARGUMENT` naming `arg`.
///
/// # Safety
/// `p` is NULL or points to a live `T` for `'a`, not aliased.
pub(crate) unsafe fn arg_mut<'a, T>(p: *mut T, arg: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller promises p is NULL or valid and unaliased for 'a.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::null(arg))
}

/// Read a NUL-terminated UTF-8 string: NULL gives `CINNOX_ERR_NULL_ARGUMENT`, invalid UTF-8
/// `CINNOX_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string live for `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, arg: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::null(arg));
    }
    // SAFETY: non-NULL, and the caller promises NUL termination and liveness.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| Failure::invalid(format!("argument `{arg}` is not valid UTF-8")))
}

/// Check an out-pointer: NULL gives `CINNOX_ERR_NULL_ARGUMENT`.
pub(crate) fn arg_out<T>(out: *mut T, arg: &str) -> Result<*mut T, Failure> {
    if out.is_null() {
        Err(Failure::null(arg))
    } else {
        Ok(out)
    }
}

/// Move `value` to the heap and write the handle to `out` (checked non-NULL before).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_handle<T>(out: *mut *mut T, value: T) {
    // SAFETY: the caller checked `out` with `arg_out`.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

/// Take back a handle made by [`put_handle`] whose ownership the caller gives up (a builder
/// passed to its `_build`): NULL gives `CINNOX_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// `p` is NULL or a live handle of this library, used by no other thread, never used again.
pub(crate) unsafe fn take_handle<T>(p: *mut T, arg: &str) -> Result<Box<T>, Failure> {
    if p.is_null() {
        return Err(Failure::null(arg));
    }
    // SAFETY: non-NULL; the caller's promise.
    Ok(unsafe { Box::from_raw(p) })
}

/// Drop a handle made by [`put_handle`]; NULL does nothing.
///
/// # Safety
/// `p` is NULL or a handle from [`put_handle`] not freed before.
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: the caller promises p came from Box::into_raw and is freed once.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A pointer to the text of `s`, or NULL.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// `text` as a C string, cut at its first NUL byte if it holds one (for text that cannot
/// meaningfully hold a NUL, whose exact bytes are available elsewhere or not needed).
pub(crate) fn cut_at_nul(text: &str) -> CString {
    let bytes = text.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    // Cannot fail: the bytes before the first NUL hold none.
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// `text` as a C string, with any NUL byte rejected as `CINNOX_ERR_UNEXPECTED_RESPONSE`
/// (used for strings that came from a server and must be handed out NUL-terminated).
pub(crate) fn to_cstring(text: &str, what: &str) -> Result<CString, Failure> {
    CString::new(text).map_err(|_| {
        Failure::new(
            cinnox_result::CINNOX_ERR_UNEXPECTED_RESPONSE,
            format!("{what} contains a NUL byte"),
        )
    })
}

/// The version of the library, e.g. `"0.2.0"`. Static storage: never NULL, never freed.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn cinnox_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// `read` of the calling thread's last error, or `fallback` when there is none (or it cannot
/// be read: thread teardown, a panic).
fn last_error<T: Copy>(fallback: T, read: impl FnOnce(&LastError) -> T) -> T {
    get(fallback, || {
        LAST_ERROR
            .try_with(|slot| match slot.try_borrow() {
                Ok(slot) => slot.as_ref().map_or(fallback, read),
                Err(_) => fallback,
            })
            .unwrap_or(fallback)
    })
}

/// The message of the last failure on the calling thread: which function failed and why.
/// Never NULL; `""` when the last fallible call on this thread succeeded (every fallible
/// function clears it on entry). The text is valid until the next fallible cinnox call on
/// the same thread; copy it to keep it. Never contains a secret.
#[no_mangle]
pub extern "C" fn cinnox_last_error_message() -> *const c_char {
    // The CString lives in the thread-local until the next fallible call.
    last_error(c"".as_ptr(), |e| e.message.as_ptr())
}

/// The HTTP status of the answer the last failure on the calling thread came from; 0 when
/// there was none (no failure, or no HTTP answer).
#[no_mangle]
pub extern "C" fn cinnox_last_error_http_status() -> u16 {
    last_error(0, |e| e.http_status)
}

/// CINNOX's API code of the last failure on the calling thread (e.g. 6452000 for an
/// invalid token); 0 when there was none.
#[no_mangle]
pub extern "C" fn cinnox_last_error_api_code() -> i64 {
    last_error(0, |e| e.api_code)
}

/// A short static name of a result code, e.g. `"CINNOX_ERR_TIMEOUT"`; `"unknown"` for a
/// number this version does not know. Never NULL, never freed. Thread-safe.
#[no_mangle]
pub extern "C" fn cinnox_result_name(result: u32) -> *const c_char {
    let name: &'static CStr = match result {
        0 => c"CINNOX_OK",
        1 => c"CINNOX_ERR_NULL_ARGUMENT",
        2 => c"CINNOX_ERR_INVALID_ARGUMENT",
        3 => c"CINNOX_ERR_TRANSPORT",
        4 => c"CINNOX_ERR_TIMEOUT",
        5 => c"CINNOX_ERR_API",
        6 => c"CINNOX_ERR_UNEXPECTED_RESPONSE",
        7 => c"CINNOX_ERR_BAD_REQUEST",
        8 => c"CINNOX_ERR_IO",
        9 => c"CINNOX_ERR_CLOSED",
        10 => c"CINNOX_ERR_PANIC",
        11 => c"CINNOX_ERR_WRONG_TYPE",
        255 => c"CINNOX_ERR_OTHER",
        _ => c"unknown",
    };
    name.as_ptr()
}

/// An event family, as passed to `cinnox_client_set_subscription` and the sandbox. One of
/// the `CINNOX_EVENT_KIND_…` constants; any other number gives `CINNOX_ERR_INVALID_ARGUMENT`.
pub type cinnox_event_kind = u32;
/// Call start and call end (`call-event-sub`).
pub const CINNOX_EVENT_KIND_CALL: cinnox_event_kind = 1;
/// A new inbound SMS (`inbound-sms-event-sub`).
pub const CINNOX_EVENT_KIND_INBOUND_SMS: cinnox_event_kind = 2;
/// Outbound SMS delivery reports (`outbound-sms-event-sub`).
pub const CINNOX_EVENT_KIND_OUTBOUND_SMS: cinnox_event_kind = 3;
/// Enquiries (`inquiry-event-sub`).
pub const CINNOX_EVENT_KIND_INQUIRY: cinnox_event_kind = 4;
/// Recording files (`recording-event-sub`).
pub const CINNOX_EVENT_KIND_RECORDING: cinnox_event_kind = 5;
/// External contacts (`external-contact-event-sub`).
pub const CINNOX_EVENT_KIND_EXTERNAL_CONTACT: cinnox_event_kind = 6;
/// Staff contacts (`staff-contact-event-sub`).
pub const CINNOX_EVENT_KIND_STAFF_CONTACT: cinnox_event_kind = 7;
/// Labels (`label-event-sub`).
pub const CINNOX_EVENT_KIND_LABEL: cinnox_event_kind = 8;
/// Enquiry labels (`inquiry-label-event-sub`).
pub const CINNOX_EVENT_KIND_INQUIRY_LABEL: cinnox_event_kind = 9;

/// The Rust family of a `cinnox_event_kind` number.
pub(crate) fn event_kind(kind: cinnox_event_kind) -> Result<crate::EventKind, Failure> {
    let index = (kind as usize).wrapping_sub(1);
    crate::EventKind::KNOWN
        .get(index)
        .cloned()
        .ok_or_else(|| Failure::invalid(format!("unknown cinnox_event_kind {kind}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_message() -> String {
        // SAFETY: never NULL, NUL-terminated, valid until the next fallible call.
        unsafe { CStr::from_ptr(cinnox_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_a_result_code_with_its_message() {
        let r = call(|| panic!("boom in the body"));
        assert_eq!(r, cinnox_result::CINNOX_ERR_PANIC);
        assert_eq!(last_message(), "panic inside cinnox: boom in the body");
        assert_eq!(get(7u16, || panic!("getter")), 7);
    }

    #[test]
    fn an_api_error_keeps_status_and_code_until_the_next_call() {
        let r = call(|| Err(Error::api(400, 6_452_000, "invalid token").into()));
        assert_eq!(r, cinnox_result::CINNOX_ERR_API);
        assert_eq!(cinnox_last_error_http_status(), 400);
        assert_eq!(cinnox_last_error_api_code(), 6_452_000);
        assert_eq!(
            last_message(),
            "CINNOX API error: HTTP 400, code 6452000: invalid token"
        );
        assert_eq!(call(|| Ok(())), cinnox_result::CINNOX_OK);
        assert_eq!(last_message(), "");
        assert_eq!(cinnox_last_error_http_status(), 0);
        assert_eq!(cinnox_last_error_api_code(), 0);
    }

    #[test]
    fn a_message_with_a_nul_is_cut_there() {
        call(|| Err(Failure::invalid("before\0after")));
        assert_eq!(last_message(), "before");
    }

    #[test]
    fn every_kind_has_its_code_and_every_code_its_name() {
        let kinds = [
            (ErrorKind::InvalidArgument, 2),
            (ErrorKind::Transport, 3),
            (ErrorKind::Timeout, 4),
            (ErrorKind::Api, 5),
            (ErrorKind::UnexpectedResponse, 6),
            (ErrorKind::BadRequest, 7),
            (ErrorKind::Io, 8),
            (ErrorKind::Closed, 9),
        ];
        for (kind, n) in kinds {
            assert_eq!(cinnox_result::from_kind(kind) as u32, n);
        }
        let codes = [
            cinnox_result::CINNOX_OK,
            cinnox_result::CINNOX_ERR_NULL_ARGUMENT,
            cinnox_result::CINNOX_ERR_INVALID_ARGUMENT,
            cinnox_result::CINNOX_ERR_TRANSPORT,
            cinnox_result::CINNOX_ERR_TIMEOUT,
            cinnox_result::CINNOX_ERR_API,
            cinnox_result::CINNOX_ERR_UNEXPECTED_RESPONSE,
            cinnox_result::CINNOX_ERR_BAD_REQUEST,
            cinnox_result::CINNOX_ERR_IO,
            cinnox_result::CINNOX_ERR_CLOSED,
            cinnox_result::CINNOX_ERR_PANIC,
            cinnox_result::CINNOX_ERR_WRONG_TYPE,
            cinnox_result::CINNOX_ERR_OTHER,
        ];
        for code in codes {
            // SAFETY: static NUL-terminated text.
            let name = unsafe { CStr::from_ptr(cinnox_result_name(code as u32)) };
            assert_eq!(name.to_str().unwrap(), format!("{code:?}"));
        }
    }

    #[test]
    fn event_kinds_map_to_the_documented_families() {
        assert_eq!(
            event_kind(CINNOX_EVENT_KIND_CALL).unwrap(),
            crate::EventKind::Call
        );
        assert_eq!(
            event_kind(CINNOX_EVENT_KIND_INQUIRY_LABEL).unwrap(),
            crate::EventKind::InquiryLabel
        );
        for bad in [0, 10, u32::MAX] {
            assert_eq!(
                event_kind(bad).unwrap_err().code,
                cinnox_result::CINNOX_ERR_INVALID_ARGUMENT
            );
        }
    }
}
