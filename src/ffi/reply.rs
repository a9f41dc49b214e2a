//! An HTTP reply to send, in C: `cinnox_reply_*`.

use std::ffi::{c_char, CString};
use std::ptr;

use super::{arg_out, arg_ref, call, cinnox_result, cut_at_nul, get, Failure};
use crate::webhook::Reply;

/// An HTTP reply to send: status, headers and body. Made by `cinnox_webhook_handle` or
/// `cinnox_webhook_finish`, freed by `cinnox_reply_free`. Immutable; thread-safe to read.
pub struct cinnox_reply {
    status: u16,
    headers: Vec<(CString, CString)>,
    body: Vec<u8>,
}

impl cinnox_reply {
    pub(crate) fn from_rust(r: Reply) -> cinnox_reply {
        cinnox_reply {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(n, v)| (cut_at_nul(n), cut_at_nul(v)))
                .collect(),
            body: r.body,
        }
    }
}

/// The HTTP status to send; 0 when `r` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_reply_status(r: *const cinnox_reply) -> u16 {
    // SAFETY: the caller passes NULL or a live reply.
    get(0, || unsafe { r.as_ref() }.map_or(0, |r| r.status))
}

/// The body to send, `*len` bytes, borrowed from the reply and valid as long as it. NULL
/// (and `*len` set to 0 when `len` is not NULL) when `r` is NULL; `len` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_reply_body(r: *const cinnox_reply, len: *mut usize) -> *const u8 {
    get(ptr::null(), || {
        // SAFETY: the caller passes NULL or a live reply.
        let r = unsafe { r.as_ref() };
        if !len.is_null() {
            // SAFETY: non-NULL; the caller promises it is writable.
            unsafe { len.write(r.map_or(0, |r| r.body.len())) };
        }
        r.map_or(ptr::null(), |r| r.body.as_ptr())
    })
}

/// How many headers to send with the reply; 0 when `r` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_reply_header_count(r: *const cinnox_reply) -> usize {
    // SAFETY: the caller passes NULL or a live reply.
    get(0, || unsafe { r.as_ref() }.map_or(0, |r| r.headers.len()))
}

/// Header `i` of the reply: `*name` and `*value`, NUL-terminated, borrowed from the reply
/// and valid as long as it. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_INVALID_ARGUMENT` when `i` is out of range; the outputs are written only on
/// success.
#[no_mangle]
pub unsafe extern "C" fn cinnox_reply_header(
    r: *const cinnox_reply,
    i: usize,
    name: *mut *const c_char,
    value: *mut *const c_char,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live reply.
        let r = unsafe { arg_ref(r, "r") }?;
        let name = arg_out(name, "name")?;
        let value = arg_out(value, "value")?;
        let (n, v) = r
            .headers
            .get(i)
            .ok_or_else(|| Failure::invalid(format!("no header {i}")))?;
        // SAFETY: both checked non-NULL; the caller promises they are writable.
        unsafe {
            name.write(n.as_ptr());
            value.write(v.as_ptr());
        }
        Ok(())
    })
}

/// Free a reply. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_reply_free(r: *mut cinnox_reply) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(r) })
}
