//! Events in C: `cinnox_parse`, the event handle and its typed views.
//!
//! A `cinnox_event` owns the parsed Rust [`Event`](crate::Event) and, built once when the handle is made,
//! the C view of it: plain structs whose strings point into the handle's own NUL-terminated
//! copies of the texts, kept in one block right after the handle in the same allocation.
//! The Rust event is only read. The C types and functions are here; the handle's making
//! and freeing in `handle`.

use std::ffi::{c_char, CString};
use std::ptr;
use std::sync::OnceLock;

use super::{arg_out, arg_ref, call, get, Failure};
use crate::event::Incoming;
use crate::ffi::cinnox_result;

mod handle;

use handle::{Callees, View};

/// What a `cinnox_event` is. Stable numbers.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum cinnox_event_type {
    /// Not an event: the `ev` argument was NULL.
    None = 0,
    /// A URL-verification challenge; answer with `cinnox_challenge_reply`.
    Challenge = 1,
    /// A call started; view: `cinnox_event_call`.
    CallStart = 2,
    /// A call ended; view: `cinnox_event_call`.
    CallEnd = 3,
    /// An inbound SMS; view: `cinnox_event_inbound_sms`.
    InboundSms = 4,
    /// An outbound SMS delivery report; view: `cinnox_event_outbound_sms`.
    OutboundSms = 5,
    /// Any other notification (other families, unknown statuses or shapes); view:
    /// `cinnox_event_other`, and the body from `cinnox_event_raw`.
    Other = 6,
}

/// The `Status` of an outbound SMS delivery report. Stable numbers.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum cinnox_delivery_status {
    /// The report has no `Status` field.
    None = 0,
    /// `"Queued"`.
    Queued = 1,
    /// `"Submitted"`.
    Submitted = 2,
    /// `"Delivered"`.
    Delivered = 3,
    /// `"Undelivered"`.
    Undelivered = 4,
    /// `"Rejected"`.
    Rejected = 5,
    /// Any other text; `status_text` has it.
    Other = 6,
}

/// A party of a call. Each string is NUL-terminated, NULL when absent, and owned by the
/// event it came from.
///
/// Identifiers, numbers and statuses cannot meaningfully hold a NUL byte; one that does
/// (JSON `\u0000`) reads as cut at it here. The exact text of every field is in
/// `cinnox_event_raw`; the SMS `content`, free text, has its own length.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct cinnox_party {
    /// The staff EID.
    pub eid: *const c_char,
    /// The phone number, as text exactly as sent (a leading `+` or `0` is kept).
    pub number: *const c_char,
}

/// The view of a call start or call end. Strings are NUL-terminated, NULL when absent,
/// valid as long as the event.
///
/// Identifiers, numbers and statuses cannot meaningfully hold a NUL byte; one that does
/// (JSON `\u0000`) reads as cut at it here. The exact text of every field is in
/// `cinnox_event_raw`; the SMS `content`, free text, has its own length.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct cinnox_call {
    /// The call ID, shared by the start and end of one call.
    pub id: *const c_char,
    /// The CINNOX service ID.
    pub service_id: *const c_char,
    /// The caller; both fields NULL when the event names no caller.
    pub caller: cinnox_party,
    /// `callee_count` callees (one object or an array on the wire); NULL when there are none.
    pub callees: *const cinnox_party,
    /// The number of entries in `callees`.
    pub callee_count: usize,
}

/// The view of an inbound SMS. Strings are NUL-terminated, NULL when absent, valid as long
/// as the event.
///
/// Identifiers, numbers and statuses cannot meaningfully hold a NUL byte; one that does
/// (JSON `\u0000`) reads as cut at it here. The exact text of every field is in
/// `cinnox_event_raw`; the SMS `content`, free text, has its own length.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct cinnox_inbound_sms {
    /// `id`.
    pub id: *const c_char,
    /// `eventDescription` as sent (normally `"Inbound SMS"`).
    pub event_description: *const c_char,
    /// `senderNumber`, as text exactly as sent.
    pub sender_number: *const c_char,
    /// `recipientNumber`, as text exactly as sent.
    pub recipient_number: *const c_char,
    /// `receiveTime`, RFC 3339 text as sent.
    pub receive_time: *const c_char,
    /// `contentType` as sent (normally `"Text"`).
    pub content_type: *const c_char,
    /// `content`, NUL-terminated; it may itself contain NUL bytes, so use `content_len`.
    pub content: *const c_char,
    /// The length of `content` in bytes, without the terminating NUL; 0 when absent.
    pub content_len: usize,
}

/// The view of an outbound SMS delivery report ("TDR"). Strings are NUL-terminated, NULL
/// when absent, valid as long as the event.
///
/// Identifiers, numbers and statuses cannot meaningfully hold a NUL byte; one that does
/// (JSON `\u0000`) reads as cut at it here. The exact text of every field is in
/// `cinnox_event_raw`; the SMS `content`, free text, has its own length.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct cinnox_outbound_sms {
    /// `Type` (normally `"tdr"`).
    pub report_type: *const c_char,
    /// `AppID`.
    pub app_id: *const c_char,
    /// `ServiceID`.
    pub service_id: *const c_char,
    /// `TransactionID`.
    pub transaction_id: *const c_char,
    /// `RecipientNumber`, as text exactly as sent.
    pub recipient_number: *const c_char,
    /// `RecipientCountry`, ISO 3166 alpha-2.
    pub recipient_country: *const c_char,
    /// `ResponseCode` as text (blank, or `"400"`).
    pub response_code: *const c_char,
    /// `Status`; `CINNOX_DELIVERY_STATUS_OTHER` for text this version does not know.
    pub status: cinnox_delivery_status,
    /// `Status` as sent; NULL when absent.
    pub status_text: *const c_char,
    /// `Exception` (blank, `"sms send failed"`, `"sms deliver failed"`).
    pub exception: *const c_char,
}

/// What could be recognised of a notification the typed views do not cover. Strings are
/// NUL-terminated, NULL when absent, valid as long as the event.
///
/// Identifiers, numbers and statuses cannot meaningfully hold a NUL byte; one that does
/// (JSON `\u0000`) reads as cut at it here. The exact text of every field is in
/// `cinnox_event_raw`; the SMS `content`, free text, has its own length.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct cinnox_other_event {
    /// The family or type named in the body (`type`, `Type`, `eventDescription`).
    pub family: *const c_char,
    /// The status named in the body (`status`, `message.status`, `Status`).
    pub status: *const c_char,
    /// The id named in the body (`id`, `message.id`, `TransactionID`).
    pub id: *const c_char,
}

/// A parsed notification or challenge. Made by `cinnox_parse` or `cinnox_webhook_handle`
/// (free it with `cinnox_event_free`), or lent by a delivery or a handler call (never free
/// those).
/// Immutable: any number of threads may read one event at once.
pub struct cinnox_event {
    ty: cinnox_event_type,
    view: View,
    /// What `parse` gave, moved in once and never changed: the event's body and its dedup
    /// key, and the event `cinnox_webhook_finish` takes.
    incoming: Incoming,
    /// The callee array of a call view.
    callees: Callees,
    /// The dedup key as C text, made on first request.
    dedup: OnceLock<CString>,
    /// The handle's own C texts, `texts_len` bytes right after this struct in the same
    /// allocation (see [`cinnox_event::build`]): every string of the view followed by a NUL,
    /// and the body of a challenge. Written once before the handle is handed out; the length
    /// also gives the allocation's layout.
    texts: *const u8,
    texts_len: usize,
}

// SAFETY: the raw pointers point into memory owned by the same value (its texts, its
// callees) or static strings, never written after construction; the value is immutable, so
// sharing and sending it is sound.
unsafe impl Send for cinnox_event {}
// SAFETY: as above.
unsafe impl Sync for cinnox_event {}

/// Parse a notification body (the bytes CINNOX POSTed) into a new event.
///
/// `body` points to `len` bytes (no NUL needed); they are copied, so the buffer may be
/// reused once this returns. On success `*out` is a new event the caller owns and frees with
/// `cinnox_event_free`; on failure `*out` is not written.
///
/// Returns `CINNOX_ERR_NULL_ARGUMENT` when `body` or `out` is NULL (even when `len` is 0),
/// `CINNOX_ERR_BAD_REQUEST` when the body is not a JSON object (message in
/// `cinnox_last_error_message()`). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_parse(
    body: *const u8,
    len: usize,
    out: *mut *mut cinnox_event,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        if body.is_null() {
            return Err(Failure::null("body"));
        }
        // SAFETY: the caller promises `len` readable bytes at `body`.
        let bytes = unsafe { std::slice::from_raw_parts(body, len) };
        let ev = cinnox_event::parse(bytes)?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { out.write(ev) };
        Ok(())
    })
}

/// Free an event made by `cinnox_parse` or `cinnox_webhook_handle`. NULL does nothing.
/// Never pass an event lent by a delivery or a handler call. Every pointer obtained from the
/// event becomes invalid.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_free(ev: *mut cinnox_event) {
    // SAFETY: the caller passes NULL or a handle from cinnox_parse or cinnox_webhook_handle,
    // freed once.
    get((), || unsafe { cinnox_event::destroy(ev) })
}

/// What the event is. `CINNOX_EVENT_TYPE_NONE` when `ev` is NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_get_type(ev: *const cinnox_event) -> cinnox_event_type {
    // SAFETY: the caller passes NULL or a live event.
    get(cinnox_event_type::None, || {
        unsafe { ev.as_ref() }.map_or(cinnox_event_type::None, |e| e.ty)
    })
}

/// The exact body as received, `*len` bytes, not NUL-terminated; borrowed from the event
/// and valid as long as it. Returns NULL (and sets `*len` to 0 when `len` is not NULL) when
/// `ev` is NULL; `len` may be NULL when the length is not wanted.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_raw(ev: *const cinnox_event, len: *mut usize) -> *const u8 {
    get(ptr::null(), || {
        // SAFETY: the caller passes NULL or a live event.
        let raw: &[u8] = unsafe { ev.as_ref() }.map_or(&[], cinnox_event::raw);
        if !len.is_null() {
            // SAFETY: non-NULL, the caller promises it is writable.
            unsafe { len.write(raw.len()) };
        }
        if ev.is_null() {
            ptr::null()
        } else {
            raw.as_ptr()
        }
    })
}

/// The call view of a `CINNOX_EVENT_TYPE_CALL_START` or `_CALL_END` event; NULL for any
/// other type or a NULL `ev`. Borrowed from the event, valid as long as it.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_call(ev: *const cinnox_event) -> *const cinnox_call {
    // SAFETY: the caller passes NULL or a live event.
    get(ptr::null(), || {
        match unsafe { ev.as_ref() }.map(|e| &e.view) {
            Some(View::Call(c)) => c as *const cinnox_call,
            _ => ptr::null(),
        }
    })
}

/// The inbound-SMS view of a `CINNOX_EVENT_TYPE_INBOUND_SMS` event; NULL for any other type
/// or a NULL `ev`. Borrowed from the event, valid as long as it.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_inbound_sms(
    ev: *const cinnox_event,
) -> *const cinnox_inbound_sms {
    // SAFETY: the caller passes NULL or a live event.
    get(ptr::null(), || {
        match unsafe { ev.as_ref() }.map(|e| &e.view) {
            Some(View::InboundSms(s)) => s as *const cinnox_inbound_sms,
            _ => ptr::null(),
        }
    })
}

/// The delivery-report view of a `CINNOX_EVENT_TYPE_OUTBOUND_SMS` event; NULL for any other
/// type or a NULL `ev`. Borrowed from the event, valid as long as it.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_outbound_sms(
    ev: *const cinnox_event,
) -> *const cinnox_outbound_sms {
    // SAFETY: the caller passes NULL or a live event.
    get(ptr::null(), || {
        match unsafe { ev.as_ref() }.map(|e| &e.view) {
            Some(View::OutboundSms(s)) => s as *const cinnox_outbound_sms,
            _ => ptr::null(),
        }
    })
}

/// What could be recognised of a `CINNOX_EVENT_TYPE_OTHER` event; NULL for any other type or
/// a NULL `ev`. Borrowed from the event, valid as long as it.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_other(ev: *const cinnox_event) -> *const cinnox_other_event {
    // SAFETY: the caller passes NULL or a live event.
    get(ptr::null(), || {
        match unsafe { ev.as_ref() }.map(|e| &e.view) {
            Some(View::Other(o)) => o as *const cinnox_other_event,
            _ => ptr::null(),
        }
    })
}

/// The identity of a notification (`family|id|status`), NUL-terminated, for recognising a
/// redelivery of an event already handled (the receiver does this itself; this is for
/// programs that parse bodies from their own HTTP server). NULL for a challenge or a NULL
/// `ev`. Made on the first call; borrowed from the event, valid as long as it. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_dedup_key(ev: *const cinnox_event) -> *const c_char {
    get(ptr::null(), || {
        // SAFETY: the caller passes NULL or a live event.
        let Some(ev) = (unsafe { ev.as_ref() }) else {
            return ptr::null();
        };
        let Some(event) = ev.rust_event() else {
            return ptr::null();
        };
        ev.dedup
            .get_or_init(|| super::cut_at_nul(event.dedup_key_ref().as_str()))
            .as_ptr()
    })
}

/// The challenge string of a `CINNOX_EVENT_TYPE_CHALLENGE` event, NUL-terminated; NULL for
/// any other type or a NULL `ev`. Borrowed from the event, valid as long as it.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_challenge(ev: *const cinnox_event) -> *const c_char {
    // SAFETY: the caller passes NULL or a live event.
    get(ptr::null(), || {
        match unsafe { ev.as_ref() }.map(|e| &e.view) {
            Some(View::Challenge { challenge, .. }) => *challenge,
            _ => ptr::null(),
        }
    })
}

/// The exact HTTP response body that answers a challenge event
/// (`{"code":0,"result":{"challenge":"…"}}`, to be sent with status 200 and
/// `Content-Type: application/json`), for programs running their own HTTP server.
///
/// On success `*body` points to `*body_len` bytes borrowed from the event (valid as long as
/// it; not NUL-terminated). `CINNOX_ERR_NULL_ARGUMENT` when any argument is NULL,
/// `CINNOX_ERR_WRONG_TYPE` when the event is not a challenge; the outputs are written only on
/// success. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_challenge_reply(
    ev: *const cinnox_event,
    body: *mut *const u8,
    body_len: *mut usize,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live event.
        let ev = unsafe { arg_ref(ev, "ev") }?;
        let body = arg_out(body, "body")?;
        let body_len = arg_out(body_len, "body_len")?;
        match &ev.view {
            View::Challenge { reply, .. } => {
                // SAFETY: both checked non-NULL; the caller promises they are writable.
                unsafe {
                    body.write(reply.as_ptr());
                    body_len.write(reply.len());
                }
                Ok(())
            }
            _ => Err(Failure::new(
                cinnox_result::CINNOX_ERR_WRONG_TYPE,
                "the event is not a challenge",
            )),
        }
    })
}
