//! What the sandbox records: subscriptions, and deliveries with each attempt.

use std::fmt;
use std::time::Duration;

use crate::urls::redact_url;
use crate::EventKind;

/// A subscription the sandbox holds.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionRecord {
    /// The app it belongs to.
    pub app_id: String,
    /// The family.
    pub kind: EventKind,
    /// The verified webhook URL.
    pub url: String,
    /// When it was created or last edited (as answered in `updatedAt`, for the families
    /// whose answer has it).
    pub updated_at: String,
}

impl fmt::Debug for SubscriptionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionRecord")
            .field("app_id", &self.app_id)
            .field("kind", &self.kind)
            .field("url", &redact_url(&self.url))
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// One POST of a notification to a webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The HTTP status the receiver answered, when it answered.
    pub status: Option<u16>,
    /// Why there was no answer: `"timed out after 200 ms"`, `"connection refused (…)"`,
    /// `"the connection was closed without an answer (…)"`, `"connection failed: …"`, …
    /// (never the URL).
    pub error: Option<String>,
    /// From sending the request to the end of the answer (or the failure).
    pub latency: Duration,
}

impl Attempt {
    /// The receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        matches!(self.status, Some(s) if (200..300).contains(&s))
    }
}

/// The delivery of one notification to one subscribed URL, with every attempt.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRecord {
    /// The app whose subscription it went to.
    pub app_id: String,
    /// The family.
    pub kind: EventKind,
    /// The webhook URL.
    pub url: String,
    /// The body sent.
    pub body: Vec<u8>,
    /// Every attempt, in order; the last one is 2xx when [`Self::delivered`].
    pub attempts: Vec<Attempt>,
    /// From the first attempt to the end of the last, waits between them included.
    pub latency: Duration,
}

impl DeliveryRecord {
    /// The last attempt was answered 2xx.
    pub fn delivered(&self) -> bool {
        self.attempts.last().is_some_and(Attempt::succeeded)
    }
    /// The statuses of the attempts in order, `None` where there was no answer.
    pub fn statuses(&self) -> Vec<Option<u16>> {
        self.attempts.iter().map(|a| a.status).collect()
    }
}

impl fmt::Debug for DeliveryRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryRecord")
            .field("app_id", &self.app_id)
            .field("kind", &self.kind)
            .field("url", &redact_url(&self.url))
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("attempts", &self.attempts)
            .field("latency", &self.latency)
            .finish()
    }
}
