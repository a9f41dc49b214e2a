//! Events in C: `cinnox_parse`, the event handle and its typed views.
//!
//! A `cinnox_event` owns the parsed Rust [`Event`] and, built once when the handle is made,
//! the C view of it: plain structs whose strings point into one buffer owned by the handle.

use std::ffi::{c_char, CString};
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::OnceLock;

use super::{arg_out, arg_ref, call, get, Failure};
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

/// Strings up to this many bytes in all (terminators included) live inside the event's
/// own allocation; longer ones in a buffer of their own.
const INLINE: usize = 320;

/// A parsed notification or challenge. Made by `cinnox_parse` or `cinnox_webhook_handle`
/// (free it with `cinnox_event_free`), or lent by a delivery or a handler call (never free
/// those).
/// Immutable: any number of threads may read one event at once.
pub struct cinnox_event {
    ty: cinnox_event_type,
    view: View,
    /// The Rust event (absent for a challenge).
    event: Option<Event>,
    /// The callee array of a call view.
    callees: Callees,
    /// The dedup key as C text, made on first request.
    dedup: OnceLock<CString>,
    /// The NUL-terminated strings the view points into, when longer than [`INLINE`].
    heap: Vec<u8>,
    /// The NUL-terminated strings the view points into, when they fit. An event is built in
    /// place on the heap and never moves (it only exists behind the pointer
    /// [`cinnox_event::build`] gives), so pointers into this stay valid.
    inline: MaybeUninit<[u8; INLINE]>,
}

// SAFETY: the raw pointers point into buffers owned by the same value and never mutated
// after construction; the value is immutable, so sharing and sending it is sound.
unsafe impl Send for cinnox_event {}
// SAFETY: as above.
unsafe impl Sync for cinnox_event {}

/// The callees of a call view: the common single callee without an allocation of its own.
enum Callees {
    One(cinnox_party),
    Many(Vec<cinnox_party>),
}

impl Callees {
    fn len(&self) -> usize {
        match self {
            Callees::One(_) => 1,
            Callees::Many(v) => v.len(),
        }
    }

    /// The first of `len()` callees; NULL when there are none.
    fn as_ptr(&self) -> *const cinnox_party {
        match self {
            Callees::One(p) => p,
            Callees::Many(v) if v.is_empty() => ptr::null(),
            Callees::Many(v) => v.as_ptr(),
        }
    }
}

/// Writes the strings of one event, each followed by a NUL, into its final buffer.
struct Strings {
    base: *mut u8,
    cap: usize,
    len: usize,
}

impl Strings {
    /// Copy `s` and a NUL in; the pointer to the copy, NULL when absent.
    fn put(&mut self, s: Option<&[u8]>) -> *const c_char {
        let Some(s) = s else {
            return ptr::null();
        };
        let end = self.len + s.len() + 1;
        if end > self.cap {
            // Cannot happen: the buffer was sized for these very fields.
            return ptr::null();
        }
        // SAFETY: `base` points to `cap` writable bytes owned by the event being built,
        // and `len..end` is inside them.
        unsafe {
            let dst = self.base.add(self.len);
            ptr::copy_nonoverlapping(s.as_ptr(), dst, s.len());
            dst.add(s.len()).write(0);
            self.len = end;
            dst.cast_const().cast::<c_char>()
        }
    }
}

/// The bytes `fields` take with their terminators.
fn size(fields: &[Option<&[u8]>]) -> usize {
    fields.iter().map(|f| f.map_or(0, |b| b.len() + 1)).sum()
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

/// The type, the view and the callees of a notification; `strings(total)` gives the buffer
/// for its `total` bytes of strings. The call view's `callees` is left NULL.
fn view_of(
    event: &Event,
    strings: impl FnOnce(usize) -> Strings,
) -> (cinnox_event_type, View, Callees) {
    match event.payload() {
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
            let callee_bytes: usize = c
                .callees
                .iter()
                .map(|p| size(&[b(&p.eid), b(&p.number)]))
                .sum();
            let mut s = strings(size(&fields) + callee_bytes);
            let [id, service_id, eid, number] = fields.map(|f| s.put(f));
            let mut party = |p: &crate::event::Party| cinnox_party {
                eid: s.put(b(&p.eid)),
                number: s.put(b(&p.number)),
            };
            let callees = match c.callees.as_slice() {
                [one] => Callees::One(party(one)),
                many => Callees::Many(many.iter().map(party).collect()),
            };
            let view = View::Call(cinnox_call {
                id,
                service_id,
                caller: cinnox_party { eid, number },
                callees: ptr::null(),
                callee_count: callees.len(),
            });
            (ty, view, callees)
        }
        Payload::InboundSms(m) => {
            let fields = [
                b(&m.id),
                m.event_description
                    .as_ref()
                    .map(|d| description_text(d).as_bytes()),
                b(&m.sender_number),
                b(&m.recipient_number),
                b(&m.receive_time),
                m.content_type
                    .as_ref()
                    .map(|c| content_type_text(c).as_bytes()),
                b(&m.content),
            ];
            let mut s = strings(size(&fields));
            let [id, desc, sender, recipient, time, ctype, content] = fields.map(|f| s.put(f));
            let view = View::InboundSms(cinnox_inbound_sms {
                id,
                event_description: desc,
                sender_number: sender,
                recipient_number: recipient,
                receive_time: time,
                content_type: ctype,
                content,
                content_len: if content.is_null() {
                    0
                } else {
                    m.content.as_ref().map_or(0, String::len)
                },
            });
            (
                cinnox_event_type::InboundSms,
                view,
                Callees::Many(Vec::new()),
            )
        }
        Payload::OutboundSms(r) => {
            let (status, status_text) = match &r.status {
                Some(st) => {
                    let (st, text) = status_of(st);
                    (st, Some(text.as_bytes()))
                }
                None => (cinnox_delivery_status::None, None),
            };
            let fields = [
                b(&r.report_type),
                b(&r.app_id),
                b(&r.service_id),
                b(&r.transaction_id),
                b(&r.recipient_number),
                b(&r.recipient_country),
                b(&r.response_code),
                status_text,
                b(&r.exception),
            ];
            let mut s = strings(size(&fields));
            let [ty, app, svc, tx, num, country, code, text, exc] = fields.map(|f| s.put(f));
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
            (
                cinnox_event_type::OutboundSms,
                view,
                Callees::Many(Vec::new()),
            )
        }
        Payload::Other(o) => {
            let fields = [b(&o.family), b(&o.status), b(&o.id)];
            let mut s = strings(size(&fields));
            let [family, status, id] = fields.map(|f| s.put(f));
            let view = View::Other(cinnox_other_event { family, status, id });
            (cinnox_event_type::Other, view, Callees::Many(Vec::new()))
        }
        #[allow(unreachable_patterns)]
        _ => {
            let view = View::Other(cinnox_other_event {
                family: ptr::null(),
                status: ptr::null(),
                id: ptr::null(),
            });
            (cinnox_event_type::Other, view, Callees::Many(Vec::new()))
        }
    }
}

impl cinnox_event {
    /// Build the handle of what `parse` gave (`body` is the body it came from, kept for a
    /// challenge) in place on the heap, and return the pointer: free it with
    /// [`cinnox_event::destroy`] (C's `cinnox_event_free` does that).
    pub(crate) fn build(incoming: Incoming, body: &[u8]) -> *mut cinnox_event {
        let (event, challenge) = match incoming {
            Incoming::Challenge(c) => (None, Some(c)),
            Incoming::Event(e) => (Some(e), None),
        };
        let p: *mut cinnox_event = Box::into_raw(Box::<cinnox_event>::new_uninit()).cast();
        // SAFETY: `p` is a fresh, exclusive allocation for a cinnox_event. Every field is
        // written exactly once below before the pointer is handed out; the strings are
        // written into the event's own buffers through pointers derived from `p`, and
        // nothing moves or writes them afterwards.
        unsafe {
            ptr::addr_of_mut!((*p).event).write(event);
            ptr::addr_of_mut!((*p).dedup).write(OnceLock::new());
            ptr::addr_of_mut!((*p).heap).write(Vec::new());
            let strings = |total: usize| {
                if total <= INLINE {
                    Strings {
                        base: ptr::addr_of_mut!((*p).inline).cast::<u8>(),
                        cap: INLINE,
                        len: 0,
                    }
                } else {
                    let heap = &mut *ptr::addr_of_mut!((*p).heap);
                    heap.reserve_exact(total);
                    Strings {
                        base: heap.as_mut_ptr(),
                        cap: total,
                        len: 0,
                    }
                }
            };
            let (ty, mut view, callees) = match (&*ptr::addr_of!((*p).event), challenge) {
                (_, Some(c)) => {
                    let mut s = strings(c.len() + 1);
                    let view = View::Challenge {
                        challenge: s.put(Some(c.as_bytes())),
                        reply: crate::event::challenge_reply(&c),
                        raw: body.into(),
                    };
                    (
                        cinnox_event_type::Challenge,
                        view,
                        Callees::Many(Vec::new()),
                    )
                }
                (Some(e), None) => view_of(e, strings),
                (None, None) => {
                    let view = View::Other(cinnox_other_event {
                        family: ptr::null(),
                        status: ptr::null(),
                        id: ptr::null(),
                    });
                    (cinnox_event_type::Other, view, Callees::Many(Vec::new()))
                }
            };
            // The callees go to their final place first, so that the view can point there.
            ptr::addr_of_mut!((*p).callees).write(callees);
            if let View::Call(c) = &mut view {
                c.callees = (*ptr::addr_of!((*p).callees)).as_ptr();
            }
            ptr::addr_of_mut!((*p).ty).write(ty);
            ptr::addr_of_mut!((*p).view).write(view);
        }
        p
    }

    /// The handle of a notification (see [`cinnox_event::build`]).
    pub(crate) fn from_event(event: Event) -> *mut cinnox_event {
        cinnox_event::build(Incoming::Event(event), &[])
    }

    /// The Rust event (`None` for a challenge).
    pub(crate) fn rust_event(&self) -> Option<&Event> {
        self.event.as_ref()
    }

    /// Free a handle made by [`cinnox_event::build`]; NULL does nothing.
    ///
    /// # Safety
    /// `p` is NULL or came from [`cinnox_event::build`] and is freed once.
    pub(crate) unsafe fn destroy(p: *mut cinnox_event) {
        // SAFETY: the caller's promise; `build` made it with Box::into_raw.
        unsafe { super::free_handle(p) }
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
        let ev = cinnox_event::build(crate::event::parse(bytes)?, bytes);
        // SAFETY: `out` was checked non-NULL.
        unsafe { out.write(ev) };
        Ok(())
    })
}

/// Free an event made by `cinnox_parse` or `cinnox_webhook_handle`. NULL does nothing. Never pass an event lent by a
/// delivery or a handler call. Every pointer obtained from the event becomes invalid.
#[no_mangle]
pub unsafe extern "C" fn cinnox_event_free(ev: *mut cinnox_event) {
    // SAFETY: the caller passes NULL or a handle from cinnox_parse, freed once.
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
        let Some(event) = ev.event.as_ref() else {
            return ptr::null();
        };
        ev.dedup
            .get_or_init(|| {
                let key = event.dedup_key_ref().as_str().as_bytes();
                let end = key.iter().position(|&b| b == 0).unwrap_or(key.len());
                CString::new(&key[..end]).unwrap_or_default()
            })
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
