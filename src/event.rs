//! Typed CINNOX notifications: `parse(bytes) -> Incoming { Challenge | Event }`.
//!
//! SKELETON: the types are the contract other modules build on; the parser is filled in by
//! the event work (issue 3). Field types may gain, not lose.

use crate::{EventKind, Result};

/// What arrived on the webhook: a URL-verification challenge or a notification.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// `{"challenge": "…"}`: answer with [`challenge_reply`].
    Challenge(String),
    /// A notification for the application.
    Event(Event),
}

/// A notification: the exact raw body and the typed view of it.
#[derive(Debug, Clone)]
pub struct Event {
    raw: Box<[u8]>,
    payload: Payload,
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

/// `contentType` of an inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentType {
    /// `"Text"`.
    Text,
    /// Any other text, kept.
    Other(String),
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupKey(String);

impl DedupKey {
    /// The key as text (`family|id|status`).
    pub fn as_str(&self) -> &str {
        &self.0
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
    pub fn kind(&self) -> Option<EventKind> {
        todo!()
    }
    /// The identity of this notification.
    pub fn dedup_key(&self) -> DedupKey {
        todo!()
    }
}

/// Read a notification body.
pub fn parse(body: &[u8]) -> Result<Incoming> {
    let _ = body;
    todo!()
}

/// The exact reply body to a challenge: `{"code":0,"result":{"challenge":"…"}}`.
pub fn challenge_reply(challenge: &str) -> Vec<u8> {
    let _ = challenge;
    todo!()
}
