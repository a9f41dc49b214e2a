//! [`InboundSmsNotification`]: an SMS sent to the account's number.

use super::{opt_phone, opt_str, random_uuid, Notification, WireVariant, J};
use crate::EventKind;

/// Builds an inbound SMS notification (seed 001, flat, camelCase).
///
/// Every field is public: set one to `None` to leave it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSmsNotification {
    /// `id` (default: a random UUID).
    pub id: Option<String>,
    /// `eventDescription` (default `"Inbound SMS"`).
    pub event_description: Option<String>,
    /// `senderNumber` (default `85298765432`).
    pub sender_number: Option<String>,
    /// `recipientNumber` (default `85223456789`).
    pub recipient_number: Option<String>,
    /// `receiveTime` (default: now, RFC 3339 with milliseconds).
    pub receive_time: Option<String>,
    /// `contentType` (default `"Text"`).
    pub content_type: Option<String>,
    /// `content` (default `"Hello from the CINNOX sandbox"`).
    pub content: Option<String>,
    /// The wire shape (only [`WireVariant::numbers_as_json_numbers`] applies).
    pub wire: WireVariant,
}

impl InboundSmsNotification {
    /// An inbound SMS with every documented field.
    pub fn new() -> InboundSmsNotification {
        InboundSmsNotification {
            id: Some(random_uuid()),
            event_description: Some("Inbound SMS".into()),
            sender_number: Some("85298765432".into()),
            recipient_number: Some("85223456789".into()),
            receive_time: Some(crate::sandbox::time::now_rfc3339()),
            content_type: Some("Text".into()),
            content: Some("Hello from the CINNOX sandbox".into()),
            wire: WireVariant::default(),
        }
    }
    /// Set the record ID.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
    /// Set the event description.
    pub fn event_description(mut self, d: impl Into<String>) -> Self {
        self.event_description = Some(d.into());
        self
    }
    /// Set the sender's number.
    pub fn sender_number(mut self, n: impl Into<String>) -> Self {
        self.sender_number = Some(n.into());
        self
    }
    /// Set the recipient's number.
    pub fn recipient_number(mut self, n: impl Into<String>) -> Self {
        self.recipient_number = Some(n.into());
        self
    }
    /// Set the receive time (any text; RFC 3339 in the documented shape).
    pub fn receive_time(mut self, t: impl Into<String>) -> Self {
        self.receive_time = Some(t.into());
        self
    }
    /// Set the content type.
    pub fn content_type(mut self, t: impl Into<String>) -> Self {
        self.content_type = Some(t.into());
        self
    }
    /// Set the text.
    pub fn content(mut self, c: impl Into<String>) -> Self {
        self.content = Some(c.into());
        self
    }
    /// Set the wire shape.
    pub fn wire(mut self, wire: WireVariant) -> Self {
        self.wire = wire;
        self
    }

    /// The notification with its body.
    pub fn build(&self) -> Notification {
        let nums = self.wire.numbers_as_json_numbers;
        let mut f = Vec::new();
        opt_str(&mut f, "id", &self.id);
        opt_str(&mut f, "eventDescription", &self.event_description);
        opt_phone(&mut f, "senderNumber", &self.sender_number, nums);
        opt_phone(&mut f, "recipientNumber", &self.recipient_number, nums);
        opt_str(&mut f, "receiveTime", &self.receive_time);
        opt_str(&mut f, "contentType", &self.content_type);
        opt_str(&mut f, "content", &self.content);
        Notification {
            kind: EventKind::InboundSms,
            body: J::Obj(f).to_json().into_bytes(),
        }
    }
}

impl Default for InboundSmsNotification {
    fn default() -> Self {
        InboundSmsNotification::new()
    }
}

impl From<InboundSmsNotification> for Notification {
    fn from(b: InboundSmsNotification) -> Notification {
        b.build()
    }
}
