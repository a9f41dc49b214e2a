//! Typed CINNOX notifications: `parse(bytes) -> Incoming { Challenge | Event }`.
//!
//! [`parse`] reads a notification body in one pass and classifies it:
//!
//! | body | result |
//! |---|---|
//! | `{"challenge": "…"}` and no known event field | [`Incoming::Challenge`] |
//! | `message.status` (or top-level `status`) `"CallStart"` / `"CallEnd"` | [`Payload::CallStart`] / [`Payload::CallEnd`] |
//! | `eventDescription: "Inbound SMS"`, or `senderNumber` / `recipientNumber` | [`Payload::InboundSms`] |
//! | `Type: "tdr"`, or no `Type` and `TransactionID` / `RecipientNumber` | [`Payload::OutboundSms`] |
//! | any other JSON object | [`Payload::Other`] |
//!
//! # Reading rules
//!
//! - Call events are read with or without the `{"type":"message","message":{…}}` envelope.
//!   `callees` may be one object or an array of objects (non-object elements are skipped).
//! - Phone numbers (`number`, `senderNumber`, `recipientNumber`, `RecipientNumber`) and
//!   `ResponseCode` may be JSON strings or JSON numbers. They are kept as text exactly as
//!   sent: a string keeps its `+` and leading zeros; a number is written as its integer
//!   digits without fraction or exponent (`8.5298765432e10` gives `"85298765432"`, computed
//!   on the decimal text, never through a float). A number that is not an exact integer
//!   (`1.5`, `1e-3`) is an [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) error,
//!   never a rounded value; so is one that would need more than 64 digits.
//! - Other text fields (`id`, `serviceId`, …) sent as JSON numbers are kept as text: an
//!   integer exactly, any other number in its shortest form that reads back as the same
//!   double (`1.50` gives `"1.5"`). A text field holding `true`, `false`, an object or an
//!   array is `None` in the typed view (the raw body still has it); `null` is `None`.
//! - Status-like fields are enums whose `Other(String)` keeps unknown text, so an unknown
//!   status never fails: an unknown `message.status` makes the whole event
//!   [`Payload::Other`], an unknown `Status` of a delivery report is
//!   [`DeliveryStatus::Other`].
//! - Unknown fields are ignored in the typed view and kept in [`Event::raw`]. A repeated
//!   field keeps its last value (as `serde_json::Value` does).
//! - A valid JSON object the typed reading cannot take (a number beyond the range of a
//!   double, like `1e400`, in a typed field other than a phone number) is a
//!   [`Payload::Other`] with what a looser reading finds.
//!
//! # Challenge or event
//!
//! A body with a string `challenge` is a challenge only when it has no other field this
//! module knows (`type`, `message`, or any field of the three flat shapes); unknown extra
//! fields do not change that. A body that has a `challenge` *and* event fields is an
//! **event** (the other families of the CINNOX documentation show a `challenge` field beside
//! `message` in ordinary notifications); the `challenge` stays in the raw body. Answering
//! such a body as a challenge would acknowledge, and so lose, an event; delivering it as an
//! event at worst fails a verification, which the subscribing call reports loudly. A
//! `challenge` that is not a string does not make a challenge.
//!
//! # Refusals
//!
//! Every refusal is an [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) error whose
//! message says what and where (line and column, 1-based, columns counted in bytes):
//!
//! - an empty body, a body that is not valid UTF-8, invalid JSON, trailing characters;
//! - a JSON value that is not an object;
//! - objects and arrays nested deeper than [`MAX_DEPTH`] levels, anywhere in the body,
//!   including fields this module ignores;
//! - a string in a typed field with an escape that is no character (a lone surrogate);
//! - a phone number or `ResponseCode` that is a non-integral JSON number.
//!
//! # Speed
//!
//! One pass of `serde_json` over the body fills a struct of every known field in place;
//! strings without escapes are borrowed from the body until the typed view copies them
//! out, unknown fields are skipped without being built. Before it, the body is checked to be
//! UTF-8 and its brackets counted (a vectorised loop; the exact depth scan runs only when
//! there are more than [`MAX_DEPTH`] brackets). `benches/parse.rs` measures it against
//! `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ptr;
use std::sync::OnceLock;

use serde::de::value::MapAccessDeserializer;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;

use crate::{Error, EventKind, Result};

/// The deepest nesting of JSON objects and arrays [`parse`] accepts; the top-level object
/// counts as level 1. Deeper bodies are refused with
/// [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest), also when the deep part is in a
/// field the typed view ignores.
pub const MAX_DEPTH: usize = 64;

/// The longest integer text a JSON-number phone number or `ResponseCode` may expand to.
const MAX_NUMBER_DIGITS: usize = 64;

/// What arrived on the webhook: a URL-verification challenge or a notification.
// An `Event` is a few hundred bytes; moving it is cheaper than boxing it on every parse.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Incoming {
    /// `{"challenge": "…"}`: answer with [`challenge_reply`].
    Challenge(String),
    /// A notification for the application.
    Event(Event),
}

/// A notification: the exact raw body and the typed view of it.
///
/// `Debug` shows the typed view and the raw body as text (invalid UTF-8 replaced).
#[derive(Clone)]
pub struct Event {
    raw: RawBody,
    payload: Payload,
    kind: Option<EventKind>,
    key: OnceLock<DedupKey>,
}

/// The typed view of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// `message.status == "CallStart"`.
    CallStart(Call),
    /// `message.status == "CallEnd"`.
    CallEnd(Call),
    /// An inbound SMS (seed 001).
    InboundSms(InboundSms),
    /// An outbound SMS delivery report, "TDR" (seed 002).
    OutboundSms(DeliveryReport),
    /// Anything else that is a JSON object: other families, unknown statuses, unknown shapes.
    Other(OtherEvent),
}

/// A party of a call: staff EID and phone number, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// The staff EID.
    pub eid: Option<String>,
    /// The phone number as text exactly as sent (a JSON number is rendered as its digits).
    pub number: Option<String>,
}

/// A call event (start or end); every field `None` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Call {
    /// The call ID, shared by the start and end of one call.
    pub id: Option<String>,
    /// The CINNOX service ID.
    pub service_id: Option<String>,
    /// The caller.
    pub caller: Option<Party>,
    /// The callees: one object or an array on the wire, always a list here.
    pub callees: Vec<Party>,
}

/// `eventDescription` of an inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventDescription {
    /// `"Inbound SMS"`.
    InboundSms,
    /// Any other text, kept.
    Other(String),
}

impl EventDescription {
    /// The text as sent.
    pub fn as_str(&self) -> &str {
        match self {
            EventDescription::InboundSms => "Inbound SMS",
            EventDescription::Other(s) => s,
        }
    }

    fn from_text(s: &str) -> EventDescription {
        match s {
            "Inbound SMS" => EventDescription::InboundSms,
            _ => EventDescription::Other(text_string(s)),
        }
    }
}

/// `contentType` of an inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentType {
    /// `"Text"`.
    Text,
    /// Any other text, kept.
    Other(String),
}

impl ContentType {
    /// The text as sent.
    pub fn as_str(&self) -> &str {
        match self {
            ContentType::Text => "Text",
            ContentType::Other(s) => s,
        }
    }

    fn from_text(s: &str) -> ContentType {
        match s {
            "Text" => ContentType::Text,
            _ => ContentType::Other(text_string(s)),
        }
    }
}

/// An inbound SMS (seed 001); every field `None` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundSms {
    /// `id`.
    pub id: Option<String>,
    /// `eventDescription`.
    pub event_description: Option<EventDescription>,
    /// `senderNumber`, as text.
    pub sender_number: Option<String>,
    /// `recipientNumber`, as text.
    pub recipient_number: Option<String>,
    /// `receiveTime`, RFC 3339 text as sent.
    pub receive_time: Option<String>,
    /// `contentType`.
    pub content_type: Option<ContentType>,
    /// `content` (may contain any character, NUL included).
    pub content: Option<String>,
}

/// `Status` of a delivery report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// `"Queued"`.
    Queued,
    /// `"Submitted"`.
    Submitted,
    /// `"Delivered"`.
    Delivered,
    /// `"Undelivered"`.
    Undelivered,
    /// `"Rejected"`.
    Rejected,
    /// Any other text, kept.
    Other(String),
}

impl DeliveryStatus {
    /// The text as sent.
    pub fn as_str(&self) -> &str {
        match self {
            DeliveryStatus::Queued => "Queued",
            DeliveryStatus::Submitted => "Submitted",
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::Undelivered => "Undelivered",
            DeliveryStatus::Rejected => "Rejected",
            DeliveryStatus::Other(s) => s,
        }
    }

    fn from_text(s: &str) -> DeliveryStatus {
        match s {
            "Queued" => DeliveryStatus::Queued,
            "Submitted" => DeliveryStatus::Submitted,
            "Delivered" => DeliveryStatus::Delivered,
            "Undelivered" => DeliveryStatus::Undelivered,
            "Rejected" => DeliveryStatus::Rejected,
            _ => DeliveryStatus::Other(text_string(s)),
        }
    }
}

/// An outbound SMS delivery report, "TDR" (seed 002); every field `None` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryReport {
    /// `Type` (`"tdr"`).
    pub report_type: Option<String>,
    /// `AppID`.
    pub app_id: Option<String>,
    /// `ServiceID`.
    pub service_id: Option<String>,
    /// `TransactionID`.
    pub transaction_id: Option<String>,
    /// `RecipientNumber`, as text.
    pub recipient_number: Option<String>,
    /// `RecipientCountry`, ISO 3166 alpha-2.
    pub recipient_country: Option<String>,
    /// `ResponseCode` as text (blank, or `"400"`; a JSON number is rendered as digits).
    pub response_code: Option<String>,
    /// `Status`.
    pub status: Option<DeliveryStatus>,
    /// `Exception` (blank, `"sms send failed"`, `"sms deliver failed"`).
    pub exception: Option<String>,
}

/// A notification the typed view does not cover: what could be recognised of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OtherEvent {
    /// The family or type named in the body (`type`, `Type`, `eventDescription`).
    pub family: Option<String>,
    /// The status named in the body (`status`, `message.status`, `Status`).
    pub status: Option<String>,
    /// The id named in the body (`id`, `message.id`, `TransactionID`).
    pub id: Option<String>,
}

/// The identity of a notification, so that a redelivery can be recognised.
///
/// The text is `family|id|status`, with `|` and `\` inside a component escaped by a `\`:
///
/// - call events: `call|<message.id>|CallStart` (or `CallEnd`);
/// - inbound SMS: `inbound-sms|<id>|<eventDescription>`;
/// - delivery reports: `outbound-sms|<TransactionID>|<Status>`;
/// - anything else: `other:<family>|<id>|<status>`, empty components where absent.
///
/// Where a notification has no id, the id component is `#` and a 64-bit FNV-1a hash of the
/// exact raw body in hex, so the same bytes delivered again give the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupKey(String);

impl DedupKey {
    /// The key as text (`family|id|status`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exact body of an event: its own copy, or bytes lent by the C event handle that holds
/// the event in the same allocation (see [`parse_lent`]).
enum RawBody {
    Owned(Box<[u8]>),
    /// `len` bytes at `ptr`, immutable and alive as long as the event (the promise made to
    /// [`parse_lent`]).
    Lent {
        ptr: std::ptr::NonNull<u8>,
        len: usize,
    },
}

// SAFETY: lent bytes are immutable and outlive the event (the promise made to `parse_lent`),
// so they are as shareable as the `Box<[u8]>` of an owned body.
unsafe impl Send for RawBody {}
// SAFETY: as above.
unsafe impl Sync for RawBody {}

impl RawBody {
    fn bytes(&self) -> &[u8] {
        match self {
            RawBody::Owned(b) => b,
            // SAFETY: `len` readable bytes at `ptr`, alive as long as `self` (see above).
            RawBody::Lent { ptr, len } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), *len) },
        }
    }
}

impl Clone for RawBody {
    /// A clone owns its copy: it may outlive the holder of lent bytes.
    fn clone(&self) -> RawBody {
        RawBody::Owned(self.bytes().into())
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("payload", &self.payload)
            .field("kind", &self.kind)
            .field("raw", &String::from_utf8_lossy(self.raw()))
            .finish()
    }
}

impl Event {
    /// The exact body as received.
    pub fn raw(&self) -> &[u8] {
        self.raw.bytes()
    }
    /// The typed view.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }
    /// The typed view, for the C layer to make its strings NUL-terminated in their spare
    /// capacity. Callers may change the capacity of a `String` and write past its length;
    /// never its text (the dedup key may already have been computed from it).
    pub(crate) fn payload_mut(&mut self) -> &mut Payload {
        &mut self.payload
    }
    /// The family this notification belongs to, when it can be told.
    ///
    /// Typed payloads give their family. A [`Payload::Other`] is [`EventKind::Call`] when it
    /// has call fields (`caller`, `callees`) or a status starting with `Call` (an unknown call
    /// status), and `None` otherwise.
    pub fn kind(&self) -> Option<EventKind> {
        self.kind.clone()
    }
    /// The identity of this notification (see [`DedupKey`]).
    pub fn dedup_key(&self) -> DedupKey {
        self.dedup_key_ref().clone()
    }
    /// The identity of this notification, borrowed (computed once, then kept).
    pub fn dedup_key_ref(&self) -> &DedupKey {
        self.key.get_or_init(|| self.compute_key())
    }
    /// The status text of the notification, when it has one (`CallStart`, `Delivered`, the
    /// status of an [`OtherEvent`]; `None` for an inbound SMS).
    pub fn status(&self) -> Option<&str> {
        match &self.payload {
            Payload::CallStart(_) => Some("CallStart"),
            Payload::CallEnd(_) => Some("CallEnd"),
            Payload::InboundSms(_) => None,
            Payload::OutboundSms(r) => r.status.as_ref().map(DeliveryStatus::as_str),
            Payload::Other(o) => o.status.as_deref(),
        }
    }
    /// The id of the notification, when it has one (call ID, SMS id, TDR transaction ID).
    pub fn id(&self) -> Option<&str> {
        match &self.payload {
            Payload::CallStart(c) | Payload::CallEnd(c) => c.id.as_deref(),
            Payload::InboundSms(s) => s.id.as_deref(),
            Payload::OutboundSms(r) => r.transaction_id.as_deref(),
            Payload::Other(o) => o.id.as_deref(),
        }
    }

    /// The parts of the dedup key: a family prefix and text, the id, the status.
    fn key_parts(&self) -> (&'static str, &str, Option<&str>, &str) {
        match &self.payload {
            Payload::CallStart(c) => ("call", "", c.id.as_deref(), "CallStart"),
            Payload::CallEnd(c) => ("call", "", c.id.as_deref(), "CallEnd"),
            Payload::InboundSms(s) => (
                "inbound-sms",
                "",
                s.id.as_deref(),
                s.event_description
                    .as_ref()
                    .map(EventDescription::as_str)
                    .unwrap_or(""),
            ),
            Payload::OutboundSms(r) => (
                "outbound-sms",
                "",
                r.transaction_id.as_deref(),
                r.status.as_ref().map(DeliveryStatus::as_str).unwrap_or(""),
            ),
            Payload::Other(o) => (
                "other:",
                o.family.as_deref().unwrap_or(""),
                o.id.as_deref(),
                o.status.as_deref().unwrap_or(""),
            ),
        }
    }

    fn compute_key(&self) -> DedupKey {
        let (prefix, family, id, status) = self.key_parts();
        let mut key = String::with_capacity(prefix.len() + family.len() + status.len() + 40);
        key.push_str(prefix);
        push_escaped(&mut key, family);
        key.push('|');
        match id {
            Some(id) => push_escaped(&mut key, id),
            None => {
                use std::fmt::Write;
                let _ = write!(key, "#{:016x}", fnv1a(self.raw()));
            }
        }
        key.push('|');
        push_escaped(&mut key, status);
        DedupKey(key)
    }

    /// Feed the identity of this notification (the same as [`Event::dedup_key`], without
    /// building the text) to `hasher`: two events have equal keys exactly when they feed
    /// the same bytes.
    pub fn hash_dedup_key<H: std::hash::Hasher>(&self, hasher: &mut H) {
        self.with_dedup_key_bytes(|bytes| hasher.write(bytes));
    }

    /// Call `f` with a byte string that identifies this notification exactly as
    /// [`Event::dedup_key`] does: the parts separated by `0xff`, a byte UTF-8 never contains
    /// (so no escaping is needed). Built on the stack when it fits.
    pub(crate) fn with_dedup_key_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        let (prefix, family, id, status) = self.key_parts();
        let raw_hash;
        // A marker tells a sent id from the hash of a body without one.
        let (marker, id): (&[u8], &[u8]) = match id {
            Some(id) => (&[0xff], id.as_bytes()),
            None => {
                raw_hash = fnv1a(self.raw()).to_le_bytes();
                (&[0xfe], &raw_hash)
            }
        };
        let parts: [&[u8]; 6] = [
            prefix.as_bytes(),
            family.as_bytes(),
            marker,
            id,
            &[0xff],
            status.as_bytes(),
        ];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut stack = [0u8; 192];
        let mut heap = Vec::new();
        let buf: &mut [u8] = if len <= stack.len() {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap
        };
        let mut at = 0;
        for p in parts {
            buf[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        f(buf)
    }
}

fn push_escaped(out: &mut String, s: &str) {
    // A fold rather than `any`: no early exit, so it vectorises.
    let special = s
        .bytes()
        .fold(false, |found, b| found | (b == b'|') | (b == b'\\'));
    if !special {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if c == '|' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------------------
// The wire superset: every known field of every shape, borrowed from the body.

/// A phone number or code: the exact JSON text of the value.
type Raw<'a> = Option<&'a RawValue>;
/// A text field.
type Tx<'a> = Option<Text<'a>>;

/// Every field name this module knows, at any level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Challenge,
    Type,
    Message,
    Id,
    Status,
    ServiceId,
    Caller,
    Callees,
    Eid,
    Number,
    EventDescription,
    SenderNumber,
    RecipientNumber,
    ReceiveTime,
    ContentType,
    Content,
    TdrType,
    AppId,
    TdrServiceId,
    TransactionId,
    TdrRecipientNumber,
    RecipientCountry,
    ResponseCode,
    TdrStatus,
    Exception,
    Unknown,
}

impl Key {
    fn of(name: &str) -> Key {
        match name {
            "challenge" => Key::Challenge,
            "type" => Key::Type,
            "message" => Key::Message,
            "id" => Key::Id,
            "status" => Key::Status,
            "serviceId" => Key::ServiceId,
            "caller" => Key::Caller,
            "callees" => Key::Callees,
            "eid" => Key::Eid,
            "number" => Key::Number,
            "eventDescription" => Key::EventDescription,
            "senderNumber" => Key::SenderNumber,
            "recipientNumber" => Key::RecipientNumber,
            "receiveTime" => Key::ReceiveTime,
            "contentType" => Key::ContentType,
            "content" => Key::Content,
            "Type" => Key::TdrType,
            "AppID" => Key::AppId,
            "ServiceID" => Key::TdrServiceId,
            "TransactionID" => Key::TransactionId,
            "RecipientNumber" => Key::TdrRecipientNumber,
            "RecipientCountry" => Key::RecipientCountry,
            "ResponseCode" => Key::ResponseCode,
            "Status" => Key::TdrStatus,
            "Exception" => Key::Exception,
            _ => Key::Unknown,
        }
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Key, E> {
        Ok(Key::of(v))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor)
    }
}

/// The top level of a notification. Filled in place by [`WireSeed`]; a repeated field
/// keeps its last value.
#[derive(Default)]
struct Wire<'a> {
    /// A field other than `challenge` and unknown ones was present.
    event_fields: bool,
    challenge: Tx<'a>,
    type_: Tx<'a>,
    /// `message`, when it was an object.
    message: Option<Msg<'a>>,

    // Call events without the envelope.
    flat: Msg<'a>,

    // Inbound SMS.
    event_description: Tx<'a>,
    sender_number: Raw<'a>,
    recipient_number: Raw<'a>,
    receive_time: Tx<'a>,
    content_type: Tx<'a>,
    content: Tx<'a>,

    // Outbound SMS delivery report.
    tdr_type: Tx<'a>,
    app_id: Tx<'a>,
    tdr_service_id: Tx<'a>,
    transaction_id: Tx<'a>,
    tdr_recipient_number: Raw<'a>,
    recipient_country: Tx<'a>,
    response_code: Raw<'a>,
    tdr_status: Tx<'a>,
    exception: Tx<'a>,
}

/// The fields of a call event, in the `message` envelope or at the top level.
#[derive(Default)]
struct Msg<'a> {
    id: Tx<'a>,
    status: Tx<'a>,
    service_id: Tx<'a>,
    /// `caller` or `callees` was present, in whatever form.
    has_parties: bool,
    caller: Option<WireParty<'a>>,
    callees: Callees<'a>,
}

impl<'a> Msg<'a> {
    /// Read the value of `key` if it is a call field; `false` when it is not one.
    fn field<'de: 'a, A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> std::result::Result<bool, A::Error> {
        match key {
            Key::Id => self.id = map.next_value()?,
            Key::Status => self.status = map.next_value()?,
            Key::ServiceId => self.service_id = map.next_value()?,
            Key::Caller => {
                self.has_parties = true;
                self.caller = match map.next_value::<Obj<WireParty<'a>>>()? {
                    Obj::Obj(p) => Some(p),
                    Obj::Not => None,
                };
            }
            Key::Callees => {
                self.has_parties = true;
                self.callees = map.next_value()?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Fills a [`Wire`] in place (it is large; moving it would cost more than parsing).
struct WireSeed<'w, 'a>(&'w mut Wire<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for WireSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for WireSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a notification object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let w = self.0;
        while let Some(key) = map.next_key::<Key>()? {
            if w.flat.field(key, &mut map)? {
                w.event_fields = true;
                continue;
            }
            match key {
                Key::Challenge => w.challenge = map.next_value()?,
                Key::Type => w.type_ = map.next_value()?,
                Key::Message => {
                    let mut msg = Msg::default();
                    w.message = map.next_value_seed(MsgSeed(&mut msg))?.then_some(msg);
                }
                Key::EventDescription => w.event_description = map.next_value()?,
                Key::SenderNumber => w.sender_number = map.next_value()?,
                Key::RecipientNumber => w.recipient_number = map.next_value()?,
                Key::ReceiveTime => w.receive_time = map.next_value()?,
                Key::ContentType => w.content_type = map.next_value()?,
                Key::Content => w.content = map.next_value()?,
                Key::TdrType => w.tdr_type = map.next_value()?,
                Key::AppId => w.app_id = map.next_value()?,
                Key::TdrServiceId => w.tdr_service_id = map.next_value()?,
                Key::TransactionId => w.transaction_id = map.next_value()?,
                Key::TdrRecipientNumber => w.tdr_recipient_number = map.next_value()?,
                Key::RecipientCountry => w.recipient_country = map.next_value()?,
                Key::ResponseCode => w.response_code = map.next_value()?,
                Key::TdrStatus => w.tdr_status = map.next_value()?,
                Key::Exception => w.exception = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            }
            if key != Key::Challenge {
                w.event_fields = true;
            }
        }
        Ok(())
    }
}

/// Fills a [`Msg`] in place from `message`; `true` when it was an object.
struct MsgSeed<'m, 'a>(&'m mut Msg<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for MsgSeed<'_, 'a> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
    };
}

impl<'de: 'a, 'a> Visitor<'de> for MsgSeed<'_, 'a> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<bool, A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            if !self.0.field(key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(true)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    ignore_scalars!(false);
}

/// A party of a call on the wire.
struct WireParty<'a> {
    eid: Tx<'a>,
    number: Raw<'a>,
}

struct PartyVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for PartyVisitor<'a> {
    type Value = WireParty<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a party object")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut p = WireParty {
            eid: None,
            number: None,
        };
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Eid => p.eid = map.next_value()?,
                Key::Number => p.number = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(p)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireParty<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(PartyVisitor(PhantomData))
    }
}

/// The fields the fallback reading looks for when the typed reading failed on a valid
/// JSON object (a duplicate field, a number out of range where an object was expected).
#[derive(serde::Deserialize)]
struct Loose<'a> {
    #[serde(rename = "type", borrow)]
    type_: Raw<'a>,
    #[serde(rename = "Type", borrow)]
    tdr_type: Raw<'a>,
    #[serde(rename = "eventDescription", borrow)]
    event_description: Raw<'a>,
    #[serde(borrow)]
    status: Raw<'a>,
    #[serde(rename = "Status", borrow)]
    tdr_status: Raw<'a>,
    #[serde(borrow)]
    id: Raw<'a>,
    #[serde(rename = "TransactionID", borrow)]
    transaction_id: Raw<'a>,
    #[serde(borrow)]
    message: Raw<'a>,
}

#[derive(serde::Deserialize)]
struct LooseMsg<'a> {
    #[serde(borrow)]
    status: Raw<'a>,
    #[serde(borrow)]
    id: Raw<'a>,
}

/// A text field as sent: a string (borrowed unless it had escapes), a number's text, or
/// something the typed view cannot show (`true`, `false`, an object, an array).
enum Text<'a> {
    Str(Cow<'a, str>),
    Num(String),
    Not,
}

impl<'a> Text<'a> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            Text::Num(s) => Some(s),
            Text::Not => None,
        }
    }
    fn into_owned(self) -> Option<String> {
        match self {
            Text::Str(s) => Some(cow_string(s)),
            Text::Num(s) => Some(s),
            Text::Not => None,
        }
    }
}

/// The text of a text field, borrowed.
fn text<'x>(t: &'x Tx<'_>) -> Option<&'x str> {
    t.as_ref().and_then(Text::as_str)
}

/// `s` as an owned `String` with room for one more byte, so that the C view can put a NUL
/// after the text without copying it (see `ffi::event`). Costs the same allocation as
/// `to_owned`: allocators round sizes up well beyond one byte. An empty text allocates
/// nothing, as with `to_owned` (the C view shows a static empty string).
#[inline]
fn text_string(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut bytes = Vec::<u8>::with_capacity(s.len() + 1);
    // SAFETY: `bytes` has room for `s.len()` bytes, which are then initialised and are the
    // UTF-8 of `s`. (Not `push_str`: its growth path makes the compiler build the `String`
    // through memory in a way that stalls the store-to-load forwarding.)
    unsafe {
        ptr::copy_nonoverlapping(s.as_ptr(), bytes.as_mut_ptr(), s.len());
        bytes.set_len(s.len());
        String::from_utf8_unchecked(bytes)
    }
}

/// A borrowed text copied out with [`text_string`]; an owned one kept as it is.
fn cow_string(s: Cow<'_, str>) -> String {
    match s {
        Cow::Borrowed(s) => text_string(s),
        Cow::Owned(s) => s,
    }
}

/// The text of a text field, owned (taken out of the wire struct).
fn owned(t: &mut Tx<'_>) -> Option<String> {
    t.take().and_then(Text::into_owned)
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(text_string(v))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Text::Num(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Text::Num(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        Ok(Text::Num(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Text::Not)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Text::Not)
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text::Not)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text::Not)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// A value expected to be an object; anything else is read past and remembered as `Not`.
enum Obj<T> {
    Obj(T),
    Not,
}

struct ObjVisitor<T>(PhantomData<T>);

macro_rules! not_an_object {
    ($($name:ident: $t:ty),*) => {
        $(fn $name<E: de::Error>(self, _: $t) -> std::result::Result<Self::Value, E> {
            Ok(Obj::Not)
        })*
    };
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Obj::Obj)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Obj::Not)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Obj::Not)
    }
    not_an_object!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// `callees`: one object, or an array of objects (other elements skipped), or neither.
#[derive(Default)]
enum Callees<'a> {
    One(WireParty<'a>),
    Many(Vec<WireParty<'a>>),
    #[default]
    Not,
}

struct CalleesVisitor;

impl<'de> Visitor<'de> for CalleesVisitor {
    type Value = Callees<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        WireParty::deserialize(MapAccessDeserializer::new(map)).map(Callees::One)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut parties = Vec::new();
        while let Some(p) = seq.next_element::<Obj<WireParty<'de>>>()? {
            if let Obj::Obj(p) = p {
                parties.push(p);
            }
        }
        Ok(Callees::Many(parties))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Callees<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(CalleesVisitor)
    }
}

// ---------------------------------------------------------------------------------------
// Reading phone numbers.

/// The body being parsed, for positions in error messages.
struct Body<'a> {
    text: &'a str,
}

impl<'a> Body<'a> {
    fn where_is(&self, raw: &RawValue) -> (usize, usize) {
        let offset = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        position(self.text.as_bytes(), offset)
    }

    /// A phone number or code: a string decoded, a number as exact integer digits, `None`
    /// for anything else.
    fn number(&self, raw: Raw<'a>, field: &str) -> Result<Option<String>> {
        let Some(raw) = raw else { return Ok(None) };
        let s = raw.get();
        match s.as_bytes().first() {
            Some(b'"') => self.string(raw, field).map(|c| Some(cow_string(c))),
            Some(b'-' | b'0'..=b'9') => match integer_text(s) {
                Some(digits) => Ok(Some(cow_string(digits))),
                None => {
                    let (line, col) = self.where_is(raw);
                    Err(Error::bad_request(format!(
                        "field `{field}` at line {line} column {col}: the number {} is not an \
                         exact integer of at most {MAX_NUMBER_DIGITS} digits",
                        shorten(s)
                    )))
                }
            },
            _ => Ok(None),
        }
    }

    /// A JSON string value given as its raw text, decoded.
    fn string(&self, raw: &'a RawValue, field: &str) -> Result<Cow<'a, str>> {
        let s = raw.get();
        let inner = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
        if !inner.contains('\\') {
            return Ok(Cow::Borrowed(inner));
        }
        serde_json::from_str::<String>(s)
            .map(Cow::Owned)
            .map_err(|e| {
                let (line, col) = self.where_is(raw);
                Error::bad_request(format!(
                    "field `{field}` at line {line} column {col}: invalid string: {}",
                    strip_position(&e)
                ))
            })
    }

    /// Any scalar given as its raw text, as text (for the loose reading).
    fn lossy(&self, raw: Raw<'a>) -> Option<String> {
        let raw = raw?;
        let s = raw.get();
        match s.as_bytes().first() {
            Some(b'"') => self.string(raw, "").ok().map(Cow::into_owned),
            Some(b'-' | b'0'..=b'9') => Some(s.to_owned()),
            _ => None,
        }
    }
}

fn shorten(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// serde_json's message without its " at line L column C" (positions are given by us).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// The integer a JSON number denotes, as digits without fraction or exponent, or `None`
/// when it is not an exact integer or would be longer than [`MAX_NUMBER_DIGITS`].
fn integer_text(num: &str) -> Option<Cow<'_, str>> {
    let (neg, unsigned) = match num.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, num),
    };
    if unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return if unsigned.is_empty() || unsigned.len() > MAX_NUMBER_DIGITS {
            None
        } else {
            Some(Cow::Borrowed(num))
        };
    }
    let (mantissa, exp) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], unsigned[i + 1..].parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // value = digits × 10^scale
    let scale = exp.checked_sub(i64::try_from(frac_part.len()).ok()?)?;
    let mut digits: String = int_part.chars().chain(frac_part.chars()).collect();
    if scale >= 0 {
        let zeros = usize::try_from(scale).ok()?;
        let significant = digits.trim_start_matches('0').len();
        if significant > 0 && significant.checked_add(zeros)? > MAX_NUMBER_DIGITS {
            return None;
        }
        if significant > 0 {
            digits.extend(std::iter::repeat_n('0', zeros));
        }
    } else {
        let cut = usize::try_from(scale.unsigned_abs()).ok()?;
        if cut > digits.len() {
            // Only an all-zero mantissa survives a cut longer than the digits.
            if digits.bytes().any(|b| b != b'0') {
                return None;
            }
            digits.clear();
        } else {
            let (keep, dropped) = digits.split_at(digits.len() - cut);
            if dropped.bytes().any(|b| b != b'0') {
                return None;
            }
            digits.truncate(keep.len());
        }
    }
    let trimmed = digits.trim_start_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    if trimmed.len() > MAX_NUMBER_DIGITS {
        return None;
    }
    let mut out = String::with_capacity(trimmed.len() + 1);
    if neg {
        out.push('-');
    }
    out.push_str(trimmed);
    Some(Cow::Owned(out))
}

// ---------------------------------------------------------------------------------------
// Parsing.

/// Read a notification body.
///
/// One pass of the JSON parser over the body into borrowed fields, then classification (see
/// the [module documentation](self) for the rules). The [`Event`] keeps a copy of `body`.
///
/// # Errors
///
/// [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest), with a message naming what was
/// wrong and the line and column: an empty body, invalid UTF-8, invalid JSON, a value that
/// is not an object, nesting deeper than [`MAX_DEPTH`], an invalid string escape in a typed
/// field, a phone number that is not an exact integer.
///
/// ```
/// use cinnox::event::{parse, Incoming, Payload};
/// let body = br#"{"type":"message","message":{"id":"c1","status":"CallEnd","serviceId":"s"}}"#;
/// let Ok(Incoming::Event(event)) = parse(body) else { panic!() };
/// assert!(matches!(event.payload(), Payload::CallEnd(c) if c.id.as_deref() == Some("c1")));
/// assert_eq!(event.dedup_key().as_str(), "call|c1|CallEnd");
/// assert_eq!(event.raw(), body);
/// ```
pub fn parse(body: &[u8]) -> Result<Incoming> {
    parse_with::<false>(body)
}

/// [`parse`], but the event points to `body` instead of keeping a copy of it: for the C
/// event handle, which keeps the body in its own allocation, next to the event.
///
/// # Safety
/// `body` stays alive and unchanged as long as the returned event and every event taken
/// from it by moving (a clone owns a copy), that is, until it is dropped.
pub(crate) unsafe fn parse_lent(body: &[u8]) -> Result<Incoming> {
    parse_with::<true>(body)
}

/// [`parse`] keeping a copy of the body, or ([`parse_lent`]) a pointer to it when `LEND`.
fn parse_with<const LEND: bool>(body: &[u8]) -> Result<Incoming> {
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = position(body, e.valid_up_to());
            return Err(Error::bad_request(format!(
                "invalid UTF-8 at line {line} column {col} (byte {})",
                e.valid_up_to()
            )));
        }
    };
    match text
        .bytes()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        None => return Err(Error::bad_request("empty body: expected a JSON object")),
        Some(i) if body[i] != b'{' => {
            let (line, col) = position(body, i);
            let what = match body[i] {
                b'[' => "an array",
                b'"' => "a string",
                b'-' | b'0'..=b'9' => "a number",
                b't' | b'f' => "a boolean",
                b'n' => "null",
                _ => "not JSON",
            };
            return Err(Error::bad_request(format!(
                "expected a JSON object at line {line} column {col}, found {what}"
            )));
        }
        Some(_) => {}
    }
    check_depth(body)?;
    let b = Body { text };
    let mut wire = Wire::default();
    let mut de = serde_json::Deserializer::from_str(text);
    if let Err(typed_err) = WireSeed(&mut wire)
        .deserialize(&mut de)
        .and_then(|()| de.end())
    {
        return loose::<LEND>(body, &b, typed_err);
    }
    classify::<LEND>(body, &b, &mut wire)
}

fn json_error(e: &serde_json::Error) -> Error {
    Error::bad_request(format!("invalid JSON: {e}"))
}

/// The typed reading failed: if the body is valid JSON all the same, it is an
/// [`Payload::Other`] with what the loose reading finds; otherwise the error.
fn loose<const LEND: bool>(
    body: &[u8],
    b: &Body<'_>,
    typed_err: serde_json::Error,
) -> Result<Incoming> {
    if let Err(e) = serde_json::from_str::<IgnoredAny>(b.text) {
        return Err(json_error(&e));
    }
    let recoverable = typed_err.classify() == serde_json::error::Category::Data
        || typed_err.to_string().starts_with("number out of range");
    if !recoverable {
        return Err(json_error(&typed_err));
    }
    let mut other = OtherEvent::default();
    if let Ok(l) = serde_json::from_str::<Loose<'_>>(b.text) {
        let msg = l
            .message
            .filter(|m| m.get().starts_with('{'))
            .and_then(|m| serde_json::from_str::<LooseMsg<'_>>(m.get()).ok());
        other.family = b
            .lossy(l.type_)
            .or_else(|| b.lossy(l.tdr_type))
            .or_else(|| b.lossy(l.event_description));
        other.status = msg
            .as_ref()
            .and_then(|m| b.lossy(m.status))
            .or_else(|| b.lossy(l.status))
            .or_else(|| b.lossy(l.tdr_status));
        other.id = msg
            .as_ref()
            .and_then(|m| b.lossy(m.id))
            .or_else(|| b.lossy(l.id))
            .or_else(|| b.lossy(l.transaction_id));
    }
    Ok(Incoming::Event(Event::new::<LEND>(
        body,
        Payload::Other(other),
        None,
    )))
}

/// Refuse nesting deeper than [`MAX_DEPTH`] anywhere in the body.
fn check_depth(body: &[u8]) -> Result<()> {
    // Fast path: not enough brackets in the whole body to get that deep. `b | 0x20` maps
    // `[` (0x5b) to `{` (0x7b) and nothing else to `{`; the sum vectorises.
    // Counted in chunks of 255 so that the counter can be a byte.
    let openers: usize = body
        .chunks(255)
        .map(|chunk| {
            let n = chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from((b | 0x20) == b'{')));
            usize::from(n)
        })
        .sum();
    if openers <= MAX_DEPTH {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in body.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let (line, col) = position(body, i);
                    return Err(Error::bad_request(format!(
                        "JSON nested deeper than {MAX_DEPTH} levels at line {line} column {col}"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

impl Event {
    /// The event of `body`: with a copy of it, or (`LEND`, see [`parse_lent`]) a pointer.
    fn new<const LEND: bool>(body: &[u8], payload: Payload, kind: Option<EventKind>) -> Event {
        let raw = if LEND {
            RawBody::Lent {
                ptr: std::ptr::NonNull::from(body).cast::<u8>(),
                len: body.len(),
            }
        } else {
            RawBody::Owned(body.into())
        };
        Event {
            raw,
            payload,
            kind,
            key: OnceLock::new(),
        }
    }
}

fn party(b: &Body<'_>, p: &mut WireParty<'_>, field: &str) -> Result<Party> {
    Ok(Party {
        eid: owned(&mut p.eid),
        number: b.number(p.number, field)?,
    })
}

fn call(b: &Body<'_>, m: &mut Msg<'_>) -> Result<Call> {
    let caller = match m.caller.as_mut() {
        Some(p) => Some(party(b, p, "caller.number")?),
        None => None,
    };
    let callees = match &mut m.callees {
        Callees::One(p) => vec![party(b, p, "callees.number")?],
        Callees::Many(ps) => ps
            .iter_mut()
            .map(|p| party(b, p, "callees[].number"))
            .collect::<Result<Vec<_>>>()?,
        Callees::Not => Vec::new(),
    };
    Ok(Call {
        id: owned(&mut m.id),
        service_id: owned(&mut m.service_id),
        caller,
        callees,
    })
}

fn classify<const LEND: bool>(body: &[u8], b: &Body<'_>, w: &mut Wire<'_>) -> Result<Incoming> {
    if !w.event_fields {
        if let Some(Text::Str(c)) = w.challenge.take() {
            return Ok(Incoming::Challenge(cow_string(c)));
        }
    }

    let event = |payload: Payload, kind: Option<EventKind>| {
        Ok(Incoming::Event(Event::new::<LEND>(body, payload, kind)))
    };

    // Call events, in the envelope or flat.
    let in_envelope = w.message.is_some();
    let m = match w.message.as_mut() {
        Some(m) => m,
        None => &mut w.flat,
    };
    match text(&m.status) {
        Some("CallStart") => {
            return event(Payload::CallStart(call(b, m)?), Some(EventKind::Call));
        }
        Some("CallEnd") => {
            return event(Payload::CallEnd(call(b, m)?), Some(EventKind::Call));
        }
        _ => {}
    }
    let call_like = m.has_parties;
    let mut status = owned(&mut m.status);
    let mut id = owned(&mut m.id);

    if !in_envelope {
        let is_inbound = text(&w.event_description) == Some("Inbound SMS")
            || w.sender_number.is_some()
            || w.recipient_number.is_some();
        if is_inbound {
            let sms = InboundSms {
                id,
                event_description: text(&w.event_description).map(EventDescription::from_text),
                sender_number: b.number(w.sender_number, "senderNumber")?,
                recipient_number: b.number(w.recipient_number, "recipientNumber")?,
                receive_time: owned(&mut w.receive_time),
                content_type: text(&w.content_type).map(ContentType::from_text),
                content: owned(&mut w.content),
            };
            return event(Payload::InboundSms(sms), Some(EventKind::InboundSms));
        }

        let is_tdr = match text(&w.tdr_type) {
            Some(t) => t.eq_ignore_ascii_case("tdr"),
            None => w.transaction_id.is_some() || w.tdr_recipient_number.is_some(),
        };
        if is_tdr {
            let report = DeliveryReport {
                report_type: owned(&mut w.tdr_type),
                app_id: owned(&mut w.app_id),
                service_id: owned(&mut w.tdr_service_id),
                transaction_id: owned(&mut w.transaction_id),
                recipient_number: b.number(w.tdr_recipient_number, "RecipientNumber")?,
                recipient_country: owned(&mut w.recipient_country),
                response_code: b.number(w.response_code, "ResponseCode")?,
                status: text(&w.tdr_status).map(DeliveryStatus::from_text),
                exception: owned(&mut w.exception),
            };
            return event(Payload::OutboundSms(report), Some(EventKind::OutboundSms));
        }
        if status.is_none() {
            status = owned(&mut w.tdr_status);
        }
        if id.is_none() {
            id = owned(&mut w.transaction_id);
        }
    }

    // Everything else: what can be recognised of it.
    let family = owned(&mut w.type_)
        .or_else(|| owned(&mut w.tdr_type))
        .or_else(|| owned(&mut w.event_description));
    let call_like = call_like || status.as_deref().is_some_and(|s| s.starts_with("Call"));
    let kind = call_like.then_some(EventKind::Call);
    event(Payload::Other(OtherEvent { family, status, id }), kind)
}

// ---------------------------------------------------------------------------------------
// The challenge reply.

/// The headers to send with [`challenge_reply`] (and with every reply of
/// [`Webhook`](crate::Webhook)).
pub const REPLY_HEADERS: [(&str, &str); 2] = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
];

/// The exact reply body to a challenge: `{"code":0,"result":{"challenge":"…"}}`.
///
/// The string is echoed exactly as JSON: `"` and `\` escaped with a backslash, control
/// characters as `\n`, `\t`, `\r`, `\b`, `\f` or `\u00XX`, everything else (non-ASCII
/// included) as its UTF-8 bytes. Send it with status 200 and the headers of
/// [`REPLY_HEADERS`] (`Content-Type: application/json`, `X-Content-Type-Options: nosniff`).
///
/// ```
/// assert_eq!(
///     cinnox::challenge_reply("a\"b"),
///     br#"{"code":0,"result":{"challenge":"a\"b"}}"#.to_vec()
/// );
/// ```
pub fn challenge_reply(challenge: &str) -> Vec<u8> {
    const HEAD: &str = r#"{"code":0,"result":{"challenge":""#;
    const TAIL: &str = r#""}}"#;
    let mut out = String::with_capacity(HEAD.len() + challenge.len() + TAIL.len() + 8);
    out.push_str(HEAD);
    push_json_string_body(&mut out, challenge);
    out.push_str(TAIL);
    out.into_bytes()
}

/// Append `s` as the inside of a JSON string literal.
pub(crate) fn push_json_string_body(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_text_is_exact() {
        let cases: &[(&str, Option<&str>)] = &[
            ("85298765432", Some("85298765432")),
            ("8.5298765432e10", Some("85298765432")),
            ("8.5298765432E+10", Some("85298765432")),
            ("85298765432.0", Some("85298765432")),
            ("852987654320e-1", Some("85298765432")),
            ("1.5", None),
            ("1e-3", None),
            ("0.5e1", Some("5")),
            ("0", Some("0")),
            ("-12", Some("-12")),
            ("-1.2e1", Some("-12")),
            ("0e5", Some("0")),
            ("0.000e-900", Some("0")),
            ("1e64", None),
            (
                "1e63",
                Some("1000000000000000000000000000000000000000000000000000000000000000"),
            ),
            ("1e999999999999999999999", None),
        ];
        for (input, want) in cases {
            assert_eq!(integer_text(input).as_deref(), *want, "{input}");
        }
    }

    #[test]
    fn position_counts_lines_and_columns_from_one() {
        assert_eq!(position(b"ab\ncd", 0), (1, 1));
        assert_eq!(position(b"ab\ncd", 4), (2, 2));
    }
}
