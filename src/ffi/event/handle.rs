//! The `cinnox_event` handle: made from what `parse` gave in one allocation with its C
//! texts, read by the functions of the parent module, freed once.

use std::alloc::{self, Layout};
use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::OnceLock;

use super::{
    cinnox_call, cinnox_delivery_status, cinnox_event, cinnox_event_type, cinnox_inbound_sms,
    cinnox_other_event, cinnox_outbound_sms, cinnox_party,
};
use crate::event::{ContentType, DeliveryStatus, Event, EventDescription, Incoming, Payload};
use crate::ffi::{cinnox_result, Failure};

pub(super) enum View {
    Challenge {
        /// The challenge text, NUL-terminated, in the handle's texts.
        challenge: *const c_char,
        /// The body, `raw_len` bytes in the handle's texts (a challenge has no Rust event to
        /// keep it); NULL only if the texts could not hold it, which cannot happen.
        raw: *const u8,
        raw_len: usize,
        reply: Vec<u8>,
    },
    Call(cinnox_call),
    InboundSms(cinnox_inbound_sms),
    OutboundSms(cinnox_outbound_sms),
    Other(cinnox_other_event),
}

/// The callees of a call view: the common single callee without an allocation of its own.
pub(super) enum Callees {
    One(cinnox_party),
    Many(Vec<cinnox_party>),
}

impl Callees {
    fn none() -> Callees {
        Callees::Many(Vec::new())
    }

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

/// Where the texts of a view go. The view is made twice by the same walk: once with
/// [`Measure`], which counts the bytes, then with [`Fill`], which copies each text into the
/// handle's texts with a NUL after it. The Rust event is only read.
trait Texts {
    /// `s` as a NUL-terminated C text; NULL when absent. An empty text is shown as a static
    /// empty string, and takes no room.
    fn text(&mut self, s: Option<&str>) -> *const c_char;
    /// A copy of `b`, not terminated.
    fn bytes(&mut self, b: &[u8]) -> *const u8;
}

/// The size of the texts of a view (the pointers it gives are NULL).
struct Measure(usize);

impl Texts for Measure {
    fn text(&mut self, s: Option<&str>) -> *const c_char {
        if let Some(s) = s.filter(|s| !s.is_empty()) {
            self.0 = self.0.saturating_add(s.len()).saturating_add(1);
        }
        ptr::null()
    }

    fn bytes(&mut self, b: &[u8]) -> *const u8 {
        self.0 = self.0.saturating_add(b.len());
        ptr::null()
    }
}

/// The texts of a view copied into `left` writable bytes at `at`, which nothing else
/// writes or reads until the handle is handed out.
struct Fill {
    at: *mut u8,
    left: usize,
}

impl Fill {
    /// The next `n` bytes; `None` when there is no room (cannot happen: the room was measured
    /// by the same walk).
    fn take(&mut self, n: usize) -> Option<*mut u8> {
        if n > self.left {
            return None;
        }
        let p = self.at;
        // SAFETY: `n <= left`: the result is inside the room or one past its end.
        self.at = unsafe { p.add(n) };
        self.left -= n;
        Some(p)
    }
}

impl Texts for Fill {
    fn text(&mut self, s: Option<&str>) -> *const c_char {
        let Some(s) = s else {
            return ptr::null();
        };
        if s.is_empty() {
            return c"".as_ptr();
        }
        let Some(p) = self.take(s.len() + 1) else {
            return ptr::null();
        };
        // SAFETY: `p` has room for the text and its NUL (`take`), and `s` is not in it.
        unsafe {
            ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
            p.add(s.len()).write(0);
        }
        p.cast_const().cast()
    }

    fn bytes(&mut self, b: &[u8]) -> *const u8 {
        let Some(p) = self.take(b.len()) else {
            return ptr::null();
        };
        // SAFETY: `p` has room for `b` (`take`), and `b` is not in it.
        unsafe { ptr::copy_nonoverlapping(b.as_ptr(), p, b.len()) };
        p.cast_const()
    }
}

/// A text the view points to that is not in the event (a known enum value).
fn fixed(s: &'static CStr) -> *const c_char {
    s.as_ptr()
}

fn description_text(d: Option<&EventDescription>, t: &mut impl Texts) -> *const c_char {
    match d {
        None => ptr::null(),
        Some(EventDescription::InboundSms) => fixed(c"Inbound SMS"),
        Some(other) => t.text(Some(other.as_str())),
    }
}

fn content_type_text(c: Option<&ContentType>, t: &mut impl Texts) -> *const c_char {
    match c {
        None => ptr::null(),
        Some(ContentType::Text) => fixed(c"Text"),
        Some(other) => t.text(Some(other.as_str())),
    }
}

fn status_of(
    s: Option<&DeliveryStatus>,
    t: &mut impl Texts,
) -> (cinnox_delivery_status, *const c_char) {
    use cinnox_delivery_status as C;
    match s {
        None => (C::None, ptr::null()),
        Some(DeliveryStatus::Queued) => (C::Queued, fixed(c"Queued")),
        Some(DeliveryStatus::Submitted) => (C::Submitted, fixed(c"Submitted")),
        Some(DeliveryStatus::Delivered) => (C::Delivered, fixed(c"Delivered")),
        Some(DeliveryStatus::Undelivered) => (C::Undelivered, fixed(c"Undelivered")),
        Some(DeliveryStatus::Rejected) => (C::Rejected, fixed(c"Rejected")),
        Some(other) => (C::Other, t.text(Some(other.as_str()))),
    }
}

const NO_PARTY: cinnox_party = cinnox_party {
    eid: ptr::null(),
    number: ptr::null(),
};

/// The type, the view and the callees of what `parse` gave, its texts put by `t`; `body`
/// is the body of a challenge (an event keeps its own). The call view's `callees` and the
/// challenge's `reply` are left empty.
fn view_of(
    incoming: &Incoming,
    body: &[u8],
    t: &mut impl Texts,
) -> (cinnox_event_type, View, Callees) {
    let payload = match incoming {
        Incoming::Challenge(text) => {
            let raw = t.bytes(body);
            let view = View::Challenge {
                challenge: t.text(Some(text)),
                raw,
                raw_len: if raw.is_null() { 0 } else { body.len() },
                reply: Vec::new(),
            };
            return (cinnox_event_type::Challenge, view, Callees::none());
        }
        Incoming::Event(e) => e.payload(),
    };
    let o = Option::as_deref;
    match payload {
        Payload::CallStart(c) | Payload::CallEnd(c) => {
            let ty = match payload {
                Payload::CallStart(_) => cinnox_event_type::CallStart,
                _ => cinnox_event_type::CallEnd,
            };
            let id = t.text(o(&c.id));
            let service_id = t.text(o(&c.service_id));
            let mut party = |p: &crate::event::Party| cinnox_party {
                eid: t.text(o(&p.eid)),
                number: t.text(o(&p.number)),
            };
            let caller = c.caller.as_ref().map_or(NO_PARTY, &mut party);
            let callees = match c.callees.as_slice() {
                [one] => Callees::One(party(one)),
                many => Callees::Many(many.iter().map(party).collect()),
            };
            let view = View::Call(cinnox_call {
                id,
                service_id,
                caller,
                callees: ptr::null(),
                callee_count: callees.len(),
            });
            (ty, view, callees)
        }
        Payload::InboundSms(m) => {
            let view = View::InboundSms(cinnox_inbound_sms {
                id: t.text(o(&m.id)),
                event_description: description_text(m.event_description.as_ref(), t),
                sender_number: t.text(o(&m.sender_number)),
                recipient_number: t.text(o(&m.recipient_number)),
                receive_time: t.text(o(&m.receive_time)),
                content_type: content_type_text(m.content_type.as_ref(), t),
                content: t.text(o(&m.content)),
                content_len: m.content.as_ref().map_or(0, String::len),
            });
            (cinnox_event_type::InboundSms, view, Callees::none())
        }
        Payload::OutboundSms(r) => {
            let report_type = t.text(o(&r.report_type));
            let app_id = t.text(o(&r.app_id));
            let service_id = t.text(o(&r.service_id));
            let transaction_id = t.text(o(&r.transaction_id));
            let recipient_number = t.text(o(&r.recipient_number));
            let recipient_country = t.text(o(&r.recipient_country));
            let response_code = t.text(o(&r.response_code));
            let (status, status_text) = status_of(r.status.as_ref(), t);
            let view = View::OutboundSms(cinnox_outbound_sms {
                report_type,
                app_id,
                service_id,
                transaction_id,
                recipient_number,
                recipient_country,
                response_code,
                status,
                status_text,
                exception: t.text(o(&r.exception)),
            });
            (cinnox_event_type::OutboundSms, view, Callees::none())
        }
        Payload::Other(x) => {
            let view = View::Other(cinnox_other_event {
                family: t.text(o(&x.family)),
                status: t.text(o(&x.status)),
                id: t.text(o(&x.id)),
            });
            (cinnox_event_type::Other, view, Callees::none())
        }
        #[allow(unreachable_patterns)]
        _ => (
            cinnox_event_type::Other,
            View::Other(cinnox_other_event {
                family: ptr::null(),
                status: ptr::null(),
                id: ptr::null(),
            }),
            Callees::none(),
        ),
    }
}

fn too_large() -> Failure {
    Failure::new(
        cinnox_result::CINNOX_ERR_BAD_REQUEST,
        "the body is too large to keep",
    )
}

impl cinnox_event {
    /// The layout of a handle with `texts_len` bytes of texts after it, and where they start.
    fn layout(texts_len: usize) -> Result<(Layout, usize), Failure> {
        Layout::new::<cinnox_event>()
            .extend(Layout::array::<u8>(texts_len).map_err(|_| too_large())?)
            .map(|(layout, offset)| (layout.pad_to_align(), offset))
            .map_err(|_| too_large())
    }

    /// A fresh, uninitialised handle with room for `texts_len` bytes of texts after it.
    fn allocate(texts_len: usize) -> Result<(*mut cinnox_event, *mut u8), Failure> {
        let (layout, offset) = cinnox_event::layout(texts_len)?;
        // SAFETY: the layout has a non-zero size (a cinnox_event is not zero-sized).
        let p = unsafe { alloc::alloc(layout) };
        if p.is_null() {
            alloc::handle_alloc_error(layout);
        }
        // SAFETY: `offset` is inside the allocation of `layout.size()` bytes.
        Ok((p.cast(), unsafe { p.add(offset) }))
    }

    /// Parse `body` into a new handle. Free it with [`cinnox_event::destroy`].
    pub(crate) fn parse(body: &[u8]) -> Result<*mut cinnox_event, Failure> {
        let incoming = crate::event::parse(body)?;
        cinnox_event::build(incoming, body)
    }

    /// The handle of a notification. Free it with [`cinnox_event::destroy`].
    pub(crate) fn from_event(event: Event) -> *mut cinnox_event {
        match cinnox_event::build(Incoming::Event(event), &[]) {
            Ok(p) => p,
            // Cannot happen: the texts of an event in memory are shorter than `isize::MAX`.
            Err(_) => alloc::handle_alloc_error(Layout::new::<cinnox_event>()),
        }
    }

    /// A new handle holding `incoming` (`body` is the body of a challenge), in one
    /// allocation with its texts: measured, allocated, filled.
    ///
    /// The event is moved in, not copied; the view points into the texts and at `callees`,
    /// whose address is final because the handle is built in place.
    fn build(incoming: Incoming, body: &[u8]) -> Result<*mut cinnox_event, Failure> {
        let mut measure = Measure(0);
        let _ = view_of(&incoming, body, &mut measure);
        let texts_len = measure.0;
        let (p, texts) = cinnox_event::allocate(texts_len)?;
        let mut fill = Fill {
            at: texts,
            left: texts_len,
        };
        let (ty, mut view, callees) = view_of(&incoming, body, &mut fill);
        debug_assert_eq!(fill.left, 0, "the texts filled are the texts measured");
        if let (View::Challenge { reply, .. }, Incoming::Challenge(text)) = (&mut view, &incoming) {
            *reply = crate::event::challenge_reply(text);
        }
        // SAFETY: `p` is a fresh, exclusive allocation for a cinnox_event with `texts_len`
        // bytes of texts after it, now written. Every field is written exactly once below
        // before the pointer is handed out.
        unsafe {
            ptr::addr_of_mut!((*p).incoming).write(incoming);
            ptr::addr_of_mut!((*p).dedup).write(OnceLock::new());
            ptr::addr_of_mut!((*p).texts).write(texts.cast_const());
            ptr::addr_of_mut!((*p).texts_len).write(texts_len);
            // The callees go to their final place first, so that the view can point there.
            ptr::addr_of_mut!((*p).callees).write(callees);
            if let View::Call(c) = &mut view {
                c.callees = (*ptr::addr_of!((*p).callees)).as_ptr();
            }
            ptr::addr_of_mut!((*p).ty).write(ty);
            ptr::addr_of_mut!((*p).view).write(view);
        }
        Ok(p)
    }

    /// The exact body: the event's own, or the copy in the texts of a challenge.
    pub(super) fn raw(&self) -> &[u8] {
        match (&self.view, &self.incoming) {
            (View::Challenge { raw, raw_len, .. }, _) if !raw.is_null() => {
                // SAFETY: `raw_len` bytes of the handle's texts, written before the handle
                // was handed out and never changed, freed with the handle.
                unsafe { std::slice::from_raw_parts(*raw, *raw_len) }
            }
            (_, Incoming::Event(event)) => event.raw(),
            _ => &[],
        }
    }

    /// The handle's texts (the strings of the view, and the body of a challenge).
    #[cfg(test)]
    fn texts(&self) -> &[u8] {
        // SAFETY: `texts_len` bytes after the handle, written before it was handed out.
        unsafe { std::slice::from_raw_parts(self.texts, self.texts_len) }
    }

    /// The Rust event (`None` for a challenge).
    pub(crate) fn rust_event(&self) -> Option<&Event> {
        match &self.incoming {
            Incoming::Event(e) => Some(e),
            Incoming::Challenge(_) => None,
        }
    }

    /// Free a handle made by [`cinnox_event::parse`] or [`cinnox_event::from_event`]; NULL
    /// does nothing.
    ///
    /// # Safety
    /// `p` is NULL or came from one of those and is freed once.
    pub(crate) unsafe fn destroy(p: *mut cinnox_event) {
        if p.is_null() {
            return;
        }
        // SAFETY: the caller's promise: `p` is a live, initialised handle allocated with
        // the layout of its `texts_len`. Its fields are dropped before the memory is freed.
        unsafe {
            let texts_len = (*p).texts_len;
            ptr::drop_in_place(p);
            if let Ok((layout, _)) = cinnox_event::layout(texts_len) {
                alloc::dealloc(p.cast(), layout);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use std::ffi::CStr;

    const SMS: &[u8] = br#"{"id":"s-1","eventDescription":"Inbound SMS","senderNumber":85298765432,"recipientNumber":"+852 2345","receiveTime":"2022-11-07T08:15:30Z","contentType":"Text","content":"a\u0000b \"q\""}"#;
    const CALL: &[u8] = br#"{"type":"message","message":{"id":"c-1","status":"CallStart","serviceId":"svc","caller":{"eid":"e1","number":"+1"},"callees":[{"eid":"e2"},{"number":2}]}}"#;
    const TDR: &[u8] = br#"{"Type":"tdr","TransactionID":"tx","RecipientNumber":"85298765432","ResponseCode":400,"Status":"Later","Exception":""}"#;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: the view's strings are NULL or NUL-terminated and live with the event.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    fn parsed(body: &[u8]) -> *mut cinnox_event {
        cinnox_event::parse(body).expect("parses")
    }

    /// The views of `ev` as text, and the Rust event's strings, which must not have changed.
    fn check(ev: *mut cinnox_event, body: &[u8]) {
        // SAFETY: `ev` is a live handle made by `parse` or `from_event`, freed at the end.
        let e = unsafe { &*ev };
        let rust = e.rust_event().expect("an event");
        assert_eq!(rust.raw(), body);
        match (&e.view, rust.payload()) {
            (View::InboundSms(v), Payload::InboundSms(m)) => {
                assert_eq!(text(v.id), m.id);
                assert_eq!(text(v.event_description).as_deref(), Some("Inbound SMS"));
                assert_eq!(text(v.sender_number).as_deref(), Some("85298765432"));
                assert_eq!(text(v.recipient_number), m.recipient_number);
                assert_eq!(text(v.receive_time), m.receive_time);
                assert_eq!(text(v.content_type).as_deref(), Some("Text"));
                assert_eq!(m.content.as_deref(), Some("a\0b \"q\""));
                assert_eq!(v.content_len, 7);
                // SAFETY: `content_len` bytes and a NUL after them.
                let content = unsafe { std::slice::from_raw_parts(v.content.cast::<u8>(), 8) };
                assert_eq!(content, b"a\0b \"q\"\0");
            }
            (View::Call(v), Payload::CallStart(c)) => {
                assert_eq!(text(v.id), c.id);
                assert_eq!(text(v.service_id), c.service_id);
                assert_eq!(text(v.caller.eid).as_deref(), Some("e1"));
                assert_eq!(text(v.caller.number).as_deref(), Some("+1"));
                assert_eq!(v.callee_count, 2);
                // SAFETY: `callee_count` parties.
                let callees = unsafe { std::slice::from_raw_parts(v.callees, 2) };
                assert_eq!(text(callees[0].eid).as_deref(), Some("e2"));
                assert_eq!(text(callees[0].number), None);
                assert_eq!(text(callees[1].eid), None);
                assert_eq!(text(callees[1].number).as_deref(), Some("2"));
                assert_eq!(c.callees[1].number.as_deref(), Some("2"));
            }
            (View::OutboundSms(v), Payload::OutboundSms(r)) => {
                assert_eq!(text(v.report_type).as_deref(), Some("tdr"));
                assert_eq!(text(v.app_id), None);
                assert_eq!(text(v.transaction_id), r.transaction_id);
                assert_eq!(text(v.response_code).as_deref(), Some("400"));
                assert_eq!(v.status, cinnox_delivery_status::Other);
                assert_eq!(text(v.status_text).as_deref(), Some("Later"));
                assert_eq!(r.status, Some(DeliveryStatus::Other("Later".into())));
                assert_eq!(text(v.exception).as_deref(), Some(""));
            }
            _ => panic!("unexpected view"),
        }
        // SAFETY: made by `parse` or `from_event`, freed once.
        unsafe { cinnox_event::destroy(ev) };
    }

    /// Every `String` of a payload.
    fn strings(p: &Payload) -> Vec<&String> {
        fn o(s: &Option<String>) -> Option<&String> {
            s.as_ref()
        }
        let v: Vec<Option<&String>> = match p {
            Payload::CallStart(c) | Payload::CallEnd(c) => {
                let mut v = vec![o(&c.id), o(&c.service_id)];
                for party in c.caller.iter().chain(&c.callees) {
                    v.extend([o(&party.eid), o(&party.number)]);
                }
                v
            }
            Payload::InboundSms(m) => vec![
                o(&m.id),
                o(&m.sender_number),
                o(&m.recipient_number),
                o(&m.receive_time),
                o(&m.content),
            ],
            Payload::OutboundSms(r) => vec![
                o(&r.report_type),
                o(&r.app_id),
                o(&r.service_id),
                o(&r.transaction_id),
                o(&r.recipient_number),
                o(&r.recipient_country),
                o(&r.response_code),
                match &r.status {
                    Some(DeliveryStatus::Other(s)) => Some(s),
                    _ => None,
                },
                o(&r.exception),
            ],
            Payload::Other(x) => vec![o(&x.family), o(&x.status), o(&x.id)],
        };
        v.into_iter().flatten().collect()
    }

    /// Every string pointer of a view.
    fn view_ptrs(v: &View) -> Vec<*const u8> {
        let ptrs: Vec<*const c_char> = match v {
            View::Call(c) => {
                // SAFETY: `callee_count` parties (none when NULL).
                let callees = match c.callees.is_null() {
                    true => &[][..],
                    false => unsafe { std::slice::from_raw_parts(c.callees, c.callee_count) },
                };
                let mut v = vec![c.id, c.service_id, c.caller.eid, c.caller.number];
                v.extend(callees.iter().flat_map(|p| [p.eid, p.number]));
                v
            }
            View::InboundSms(m) => vec![
                m.id,
                m.sender_number,
                m.recipient_number,
                m.receive_time,
                m.content,
            ],
            View::OutboundSms(r) => vec![
                r.report_type,
                r.app_id,
                r.service_id,
                r.transaction_id,
                r.recipient_number,
                r.recipient_country,
                r.response_code,
                r.status_text,
                r.exception,
            ],
            View::Other(o) => vec![o.family, o.status, o.id],
            View::Challenge { challenge, .. } => vec![*challenge],
        };
        ptrs.into_iter().map(|p| p.cast::<u8>()).collect()
    }

    #[test]
    fn the_view_s_strings_are_the_handle_s_own_terminated_copies() {
        for body in [SMS, CALL, TDR] {
            let ev = parsed(body);
            // SAFETY: a live handle.
            let handle = unsafe { &*ev };
            let e = handle.rust_event().expect("an event");
            let mut len = 0;
            // SAFETY: a live handle and a writable length.
            let raw = unsafe { cinnox_event_raw(ev, &mut len) };
            assert_eq!(raw, e.raw().as_ptr(), "one copy of the body, the event's");
            assert_eq!(len, body.len());
            let texts = handle.texts().as_ptr_range();
            let rust = strings(e.payload());
            for p in view_ptrs(&handle.view) {
                if p.is_null() || p == c"".as_ptr().cast() {
                    continue;
                }
                assert!(texts.contains(&p), "{p:?} is in the handle's texts");
                assert!(
                    rust.iter().all(|s| s.as_ptr() != p),
                    "{p:?} is a copy, not the Rust text"
                );
            }
            // Every non-empty text once, with its NUL; empty ones are a static "".
            let needed: usize = rust
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.len() + 1)
                .sum();
            assert_eq!(handle.texts().len(), needed);
            check(ev, body);
        }
    }

    #[test]
    fn an_event_given_to_c_shows_the_same_view() {
        for body in [SMS, CALL, TDR] {
            let Ok(Incoming::Event(e)) = crate::event::parse(body) else {
                panic!("an event")
            };
            // As a delivery's event lent to C (`cinnox_event::from_event`).
            let ev = cinnox_event::from_event(e.clone());
            check(ev, body);
        }
    }

    #[test]
    fn a_challenge_is_terminated_too() {
        let body = br#"{"challenge":"ch-\u00e9"}"#;
        let ev = parsed(body);
        // SAFETY: a live handle, freed below.
        unsafe {
            assert_eq!(text(cinnox_event_challenge(ev)).as_deref(), Some("ch-é"));
            let mut len = 0;
            let raw = cinnox_event_raw(ev, &mut len);
            assert_eq!(std::slice::from_raw_parts(raw, len), body);
            cinnox_event::destroy(ev);
        }
    }

    #[test]
    fn a_refused_body_frees_its_handle_and_says_why() {
        for body in [&b"[1]"[..], b"", b"{\"a\":", b"\xff"] {
            let e = cinnox_event::parse(body).expect_err("refused");
            assert_eq!(e.code, cinnox_result::CINNOX_ERR_BAD_REQUEST);
        }
    }
}
