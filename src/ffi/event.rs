//! Events in C: `cinnox_parse`, the event handle and its typed views.
//!
//! A `cinnox_event` owns the parsed Rust [`Event`] and, built once when the handle is made,
//! the C view of it: plain structs whose strings point into one buffer owned by the handle.

use std::ffi::c_char;
use std::ptr;

use super::{arg_out, arg_ref, call, get, put_handle, Failure};
use crate::event::{ContentType, DeliveryStatus, Event, EventDescription, Incoming, Payload};
use crate::ffi::cinnox_result;

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

enum View {
    Challenge {
        challenge: *const c_char,
        reply: Vec<u8>,
        raw: Box<[u8]>,
    },
    Call(cinnox_call),
    InboundSms(cinnox_inbound_sms),
    OutboundSms(cinnox_outbound_sms),
    Other(cinnox_other_event),
}

/// A parsed notification or challenge. Made by `cinnox_parse` (free it with
/// `cinnox_event_free`) or lent by a delivery or a handler call (never free those).
/// Immutable: any number of threads may read one event at once.
pub struct cinnox_event {
    ty: cinnox_event_type,
    view: View,
    /// The Rust event (absent for a challenge).
    event: Option<Event>,
    /// The NUL-terminated strings the view points into. Never touched after building, so
    /// the pointers stay valid while the handle lives (moving a Vec keeps its buffer).
    _strings: Vec<u8>,
    /// The callee array of a call view.
    _callees: Vec<cinnox_party>,
}

// SAFETY: the raw pointers point into buffers owned by the same value and never mutated
// after construction; the value is immutable, so sharing and sending it is sound.
unsafe impl Send for cinnox_event {}
// SAFETY: as above.
unsafe impl Sync for cinnox_event {}

/// The offset of an absent string.
const NONE: usize = usize::MAX;

/// The pointer to the string at `off` in the buffer at `base`, or NULL for [`NONE`].
fn at(base: *const u8, off: usize) -> *const c_char {
    if off == NONE {
        ptr::null()
    } else {
        // Inside the buffer: every offset was taken while filling it.
        base.wrapping_add(off).cast::<c_char>()
    }
}

/// Copy `fields` into a new buffer with room for `extra` more bytes, each followed by a
/// NUL, and give the offset of each ([`NONE`] for an absent field).
fn pack_offsets<const N: usize>(fields: [Option<&[u8]>; N], extra: usize) -> (Vec<u8>, [usize; N]) {
    let total: usize = fields.iter().map(|f| f.map_or(0, |b| b.len() + 1)).sum();
    let mut buf = Vec::with_capacity(total + extra);
    let offsets = fields.map(|f| match f {
        Some(bytes) => {
            let off = buf.len();
            buf.extend_from_slice(bytes);
            buf.push(0);
            off
        }
        None => NONE,
    });
    (buf, offsets)
}

/// Copy `fields` into one buffer, each followed by a NUL, and give a pointer to each
/// (NULL for an absent field). The buffer must be kept, unmodified, as long as the pointers.
fn pack<const N: usize>(fields: [Option<&[u8]>; N]) -> (Vec<u8>, [*const c_char; N]) {
    let (buf, offsets) = pack_offsets(fields, 0);
    let base = buf.as_ptr();
    (buf, offsets.map(|off| at(base, off)))
}

fn b(s: &Option<String>) -> Option<&[u8]> {
    s.as_deref().map(str::as_bytes)
}

fn description_text(d: &EventDescription) -> &str {
    match d {
        EventDescription::InboundSms => "Inbound SMS",
        EventDescription::Other(s) => s,
    }
}

fn content_type_text(c: &ContentType) -> &str {
    match c {
        ContentType::Text => "Text",
        ContentType::Other(s) => s,
    }
}

fn status_of(s: &DeliveryStatus) -> (cinnox_delivery_status, &str) {
    match s {
        DeliveryStatus::Queued => (cinnox_delivery_status::Queued, "Queued"),
        DeliveryStatus::Submitted => (cinnox_delivery_status::Submitted, "Submitted"),
        DeliveryStatus::Delivered => (cinnox_delivery_status::Delivered, "Delivered"),
        DeliveryStatus::Undelivered => (cinnox_delivery_status::Undelivered, "Undelivered"),
        DeliveryStatus::Rejected => (cinnox_delivery_status::Rejected, "Rejected"),
        DeliveryStatus::Other(t) => (cinnox_delivery_status::Other, t),
    }
}

impl cinnox_event {
    /// The handle of a challenge, keeping the body it came in.
    pub fn challenge(challenge: &str, body: &[u8]) -> cinnox_event {
        let (strings, [ptr]) = pack([Some(challenge.as_bytes())]);
        cinnox_event {
            ty: cinnox_event_type::Challenge,
            view: View::Challenge {
                challenge: ptr,
                reply: crate::event::challenge_reply(challenge),
                raw: body.into(),
            },
            event: None,
            _strings: strings,
            _callees: Vec::new(),
        }
    }

    /// The handle of a notification, with its C view built.
    pub fn from_event(event: Event) -> cinnox_event {
        let mut callees = Vec::new();
        let (ty, strings, view) = match event.payload() {
            Payload::CallStart(c) | Payload::CallEnd(c) => {
                let ty = if matches!(event.payload(), Payload::CallStart(_)) {
                    cinnox_event_type::CallStart
                } else {
                    cinnox_event_type::CallEnd
                };
                let caller = c.caller.as_ref();
                let fields = [
                    b(&c.id),
                    b(&c.service_id),
                    caller.and_then(|p| b(&p.eid)),
                    caller.and_then(|p| b(&p.number)),
                ];
                // One buffer for the call's strings and its callees' strings.
                let extra: usize = c
                    .callees
                    .iter()
                    .map(|p| {
                        p.eid.as_ref().map_or(0, |s| s.len() + 1)
                            + p.number.as_ref().map_or(0, |s| s.len() + 1)
                    })
                    .sum();
                let (mut strings, offsets) = pack_offsets(fields, extra);
                // The callees hold offsets until the buffer is complete, then pointers.
                let mut put = |s: &Option<String>| -> *const c_char {
                    ptr::without_provenance(s.as_ref().map_or(NONE, |s| {
                        let off = strings.len();
                        strings.extend_from_slice(s.as_bytes());
                        strings.push(0);
                        off
                    }))
                };
                callees = c
                    .callees
                    .iter()
                    .map(|p| cinnox_party {
                        eid: put(&p.eid),
                        number: put(&p.number),
                    })
                    .collect();
                let base = strings.as_ptr();
                for p in &mut callees {
                    p.eid = at(base, p.eid.addr());
                    p.number = at(base, p.number.addr());
                }
                let [id, service_id, eid, number] = offsets.map(|off| at(base, off));
                let view = View::Call(cinnox_call {
                    id,
                    service_id,
                    caller: cinnox_party { eid, number },
                    callees: if callees.is_empty() {
                        ptr::null()
                    } else {
                        callees.as_ptr()
                    },
                    callee_count: callees.len(),
                });
                (ty, strings, view)
            }
            Payload::InboundSms(s) => {
                let (strings, [id, desc, sender, recipient, time, ctype, content]) = pack([
                    b(&s.id),
                    s.event_description
                        .as_ref()
                        .map(|d| description_text(d).as_bytes()),
                    b(&s.sender_number),
                    b(&s.recipient_number),
                    b(&s.receive_time),
                    s.content_type
                        .as_ref()
                        .map(|c| content_type_text(c).as_bytes()),
                    b(&s.content),
                ]);
                let view = View::InboundSms(cinnox_inbound_sms {
                    id,
                    event_description: desc,
                    sender_number: sender,
                    recipient_number: recipient,
                    receive_time: time,
                    content_type: ctype,
                    content,
                    content_len: s.content.as_ref().map_or(0, String::len),
                });
                (cinnox_event_type::InboundSms, strings, view)
            }
            Payload::OutboundSms(r) => {
                let (status, status_text) = match &r.status {
                    Some(s) => {
                        let (st, text) = status_of(s);
                        (st, Some(text.as_bytes()))
                    }
                    None => (cinnox_delivery_status::None, None),
                };
                let (strings, [ty, app, svc, tx, num, country, code, text, exc]) = pack([
                    b(&r.report_type),
                    b(&r.app_id),
                    b(&r.service_id),
                    b(&r.transaction_id),
                    b(&r.recipient_number),
                    b(&r.recipient_country),
                    b(&r.response_code),
                    status_text,
                    b(&r.exception),
                ]);
                let view = View::OutboundSms(cinnox_outbound_sms {
                    report_type: ty,
                    app_id: app,
                    service_id: svc,
                    transaction_id: tx,
                    recipient_number: num,
                    recipient_country: country,
                    response_code: code,
                    status,
                    status_text: text,
                    exception: exc,
                });
                (cinnox_event_type::OutboundSms, strings, view)
            }
            Payload::Other(o) => {
                let (strings, [family, status, id]) = pack([b(&o.family), b(&o.status), b(&o.id)]);
                let view = View::Other(cinnox_other_event { family, status, id });
                (cinnox_event_type::Other, strings, view)
            }
            #[allow(unreachable_patterns)]
            _ => {
                let view = View::Other(cinnox_other_event {
                    family: ptr::null(),
                    status: ptr::null(),
                    id: ptr::null(),
                });
                (cinnox_event_type::Other, Vec::new(), view)
            }
        };
        cinnox_event {
            ty,
            view,
            event: Some(event),
            _strings: strings,
            _callees: callees,
        }
    }

    /// The Rust event (`None` for a challenge).
    pub fn event(&self) -> Option<&Event> {
        self.event.as_ref()
    }
}

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
        let ev = match crate::event::parse(bytes)? {
            Incoming::Challenge(c) => cinnox_event::challenge(&c, bytes),
            Incoming::Event(e) => cinnox_event::from_event(e),
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, ev) };
        Ok(())
    })
}

/// Free an event made by `cinnox_parse`. NULL does nothing. Never pass an event lent by a
/// delivery or a handler call. Every pointer obtained from the event becomes invalid.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_free(ev: *mut cinnox_event) {
    // SAFETY: the caller passes NULL or a handle from cinnox_parse, freed once.
    get((), || unsafe { super::free_handle(ev) })
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
        let raw: &[u8] = match unsafe { ev.as_ref() } {
            None => &[],
            Some(e) => match (&e.view, &e.event) {
                (View::Challenge { raw, .. }, _) => raw,
                (_, Some(event)) => event.raw(),
                (_, None) => &[],
            },
        };
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
