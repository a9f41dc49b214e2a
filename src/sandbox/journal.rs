//! The sandbox's log: every subscription change, refused subscription and delivery, in
//! the order they happened, each with its time.

use std::fmt;

use super::{time, DeliveryRecord};
use crate::urls::redact_url;
use crate::EventKind;

/// One thing the sandbox did, with when ([`Sandbox::take_log`](super::Sandbox::take_log)).
///
/// Its `Display` is one line for a terminal, e.g.
/// `2026-01-05T09:30:00.123Z subscribed   app demo-app call at http://127.0.0.1:8080/… (updatedAt 2026-01-05T09:30:00.123Z)`;
/// neither that line nor `Debug` shows a webhook URL's path (it holds the secret) or a
/// token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogEntry {
    /// When it happened: RFC 3339 in UTC with milliseconds (`2026-01-05T09:30:00.123Z`).
    /// Entries are in the order they happened.
    pub at: String,
    /// What happened.
    pub event: LogEvent,
}

/// What a [`LogEntry`] records.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogEvent {
    /// A PATCH with `enabled: true` verified the URL and subscribed it.
    Subscribed {
        /// The app.
        app_id: String,
        /// The family.
        kind: EventKind,
        /// The webhook URL.
        url: String,
        /// The `updatedAt` it got.
        updated_at: String,
    },
    /// A PATCH with `enabled: false` removed the family's subscription.
    Unsubscribed {
        /// The app.
        app_id: String,
        /// The family.
        kind: EventKind,
    },
    /// A PATCH to a subscription route was refused.
    Refused {
        /// The App ID of the route (any text: it may be no configured app).
        app_id: String,
        /// The family of the route.
        kind: EventKind,
        /// The CINNOX API code answered (6452000, 6452001, 6451010, 6451000).
        code: i64,
        /// Why, for the operator: the message answered and what the sandbox saw (which
        /// token was wrong, what the URL answered to the challenge), never a token or a
        /// webhook path.
        reason: String,
    },
    /// A notification was delivered, or given up on after its redeliveries.
    Delivery(DeliveryRecord),
}

impl LogEntry {
    /// An entry stamped now.
    pub(super) fn now(event: LogEvent) -> LogEntry {
        LogEntry {
            at: time::now_rfc3339(),
            event,
        }
    }
}

/// An App ID as written in the log: control characters (which a percent-encoded route
/// may carry) escaped, so that one entry stays one line.
fn app(id: &str) -> String {
    if id.chars().any(char::is_control) {
        id.escape_debug().to_string()
    } else {
        id.to_owned()
    }
}

impl fmt::Display for LogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = &self.at;
        match &self.event {
            LogEvent::Subscribed {
                app_id,
                kind,
                url,
                updated_at,
            } => write!(
                f,
                "{at} subscribed   app {} {} at {} (updatedAt {updated_at})",
                app(app_id),
                kind.short_name(),
                redact_url(url)
            ),
            LogEvent::Unsubscribed { app_id, kind } => write!(
                f,
                "{at} unsubscribed app {} {}",
                app(app_id),
                kind.short_name()
            ),
            LogEvent::Refused {
                app_id,
                kind,
                code,
                reason,
            } => write!(
                f,
                "{at} refused      app {} {}: {reason} (code {code})",
                app(app_id),
                kind.short_name()
            ),
            LogEvent::Delivery(d) => {
                let statuses: Vec<String> = d
                    .statuses()
                    .iter()
                    .map(|s| s.map_or("-".to_owned(), |n| n.to_string()))
                    .collect();
                write!(
                    f,
                    "{at} delivery     app {} {} {} after {} attempt(s) (HTTP {})",
                    app(&d.app_id),
                    d.kind.short_name(),
                    if d.delivered() {
                        "delivered"
                    } else {
                        "not delivered"
                    },
                    d.attempts.len(),
                    statuses.join(", ")
                )
            }
        }
    }
}

impl fmt::Debug for LogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The line, which hides URL paths.
        f.debug_tuple("LogEntry").field(&self.to_string()).finish()
    }
}

impl fmt::Debug for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvent::Subscribed {
                app_id,
                kind,
                url,
                updated_at,
            } => f
                .debug_struct("Subscribed")
                .field("app_id", app_id)
                .field("kind", kind)
                .field("url", &redact_url(url))
                .field("updated_at", updated_at)
                .finish(),
            LogEvent::Unsubscribed { app_id, kind } => f
                .debug_struct("Unsubscribed")
                .field("app_id", app_id)
                .field("kind", kind)
                .finish(),
            LogEvent::Refused {
                app_id,
                kind,
                code,
                reason,
            } => f
                .debug_struct("Refused")
                .field("app_id", app_id)
                .field("kind", kind)
                .field("code", code)
                .field("reason", reason)
                .finish(),
            LogEvent::Delivery(d) => f.debug_tuple("Delivery").field(d).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hide_the_path_and_keep_one_line() {
        let e = LogEntry {
            at: "2026-01-05T09:30:00.123Z".into(),
            event: LogEvent::Subscribed {
                app_id: "a\nb".into(),
                kind: EventKind::Call,
                url: "http://127.0.0.1:8080/cinnox/s3cret".into(),
                updated_at: "2026-01-05T09:30:00.120Z".into(),
            },
        };
        assert_eq!(
            e.to_string(),
            "2026-01-05T09:30:00.123Z subscribed   app a\\nb call at http://127.0.0.1:8080/… \
             (updatedAt 2026-01-05T09:30:00.120Z)"
        );
        assert!(!format!("{e:?}").contains("s3cret"));
        assert!(!format!("{:?}", e.event).contains("s3cret"));
    }
}
