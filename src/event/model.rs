//! The typed view: what [`parse`](super::parse) gives, and the [`Event`] that holds it.

use std::fmt;
use std::sync::OnceLock;

use super::dedup::DedupKey;
use crate::EventKind;

/// What arrived on the webhook: a URL-verification challenge or a notification.
// An `Event` is a few hundred bytes; moving it is cheaper than boxing it on every parse.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Incoming {
    /// `{"challenge": "…"}`: answer with [`challenge_reply`](super::challenge_reply).
    Challenge(String),
    /// A notification for the application.
    Event(Event),
}

/// A notification: the exact raw body and the typed view of it.
///
/// `Debug` shows the typed view and the raw body as text (invalid UTF-8 replaced).
#[derive(Clone)]
pub struct Event {
    /// The exact body, the event's own copy.
    pub(super) raw: Box<[u8]>,
    pub(super) payload: Payload,
    pub(super) kind: Option<EventKind>,
    pub(super) key: OnceLock<DedupKey>,
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
#[non_exhaustive]
pub struct Party {
    /// The staff EID.
    pub eid: Option<String>,
    /// The phone number as text exactly as sent (a JSON number is rendered as its digits).
    pub number: Option<String>,
}

/// A call event (start or end); every field `None` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
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
#[non_exhaustive]
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

    pub(super) fn from_text(s: &str) -> EventDescription {
        match s {
            "Inbound SMS" => EventDescription::InboundSms,
            _ => EventDescription::Other(s.to_owned()),
        }
    }
}

/// `contentType` of an inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

    pub(super) fn from_text(s: &str) -> ContentType {
        match s {
            "Text" => ContentType::Text,
            _ => ContentType::Other(s.to_owned()),
        }
    }
}

/// An inbound SMS (seed 001); every field `None` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
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
#[non_exhaustive]
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

    pub(super) fn from_text(s: &str) -> DeliveryStatus {
        match s {
            "Queued" => DeliveryStatus::Queued,
            "Submitted" => DeliveryStatus::Submitted,
            "Delivered" => DeliveryStatus::Delivered,
            "Undelivered" => DeliveryStatus::Undelivered,
            "Rejected" => DeliveryStatus::Rejected,
            _ => DeliveryStatus::Other(s.to_owned()),
        }
    }
}

/// An outbound SMS delivery report, "TDR" (seed 002); every field `None` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
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
#[non_exhaustive]
pub struct OtherEvent {
    /// The family or type named in the body (`type`, `Type`, `eventDescription`).
    pub family: Option<String>,
    /// The status named in the body (`status`, `message.status`, `Status`).
    pub status: Option<String>,
    /// The id named in the body (`id`, `message.id`, `TransactionID`).
    pub id: Option<String>,
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
        &self.raw
    }
    /// The typed view.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }
    /// The family this notification belongs to, when it can be told.
    ///
    /// Typed payloads give their family. A [`Payload::Other`] is [`EventKind::Call`] when it
    /// has call fields (`caller`, `callees`) or a status starting with `Call` (an unknown call
    /// status), and `None` otherwise.
    pub fn kind(&self) -> Option<EventKind> {
        self.kind.clone()
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
}
