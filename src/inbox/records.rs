//! What the inbox stores and shows: the outcome of storing an event, the counts per state,
//! one stored event as a person sees it, and the state rules every backend shares.

use std::fmt;
use std::time::Duration;

/// What storing an event came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stored {
    /// A new row: it will be handed out.
    New,
    /// Its dedup key was already stored (a redelivery): nothing was added.
    Duplicate,
}

/// How many events are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxCounts {
    /// Waiting to be handled (due now or later), not held by a consumer.
    pub pending: u64,
    /// Held by a consumer now (a live lease).
    pub in_flight: u64,
    /// Handled (kept for the retention).
    pub done: u64,
    /// Given up after the last attempt.
    pub dead: u64,
    /// How long the oldest pending or in-flight event has waited since it was stored.
    pub oldest_pending_age: Duration,
}

impl InboxCounts {
    /// The inbox's gauges, for [`Inbox::metrics`](super::Inbox::metrics) and the receiver's exposition.
    pub(crate) fn write_metrics(&self, e: &mut crate::metrics::Exposition) {
        let c = self;
        e.gauge(
            "cinnox_inbox_pending",
            "Events stored and waiting to be handled.",
            c.pending as f64,
        );
        e.gauge(
            "cinnox_inbox_in_flight",
            "Events held by a consumer now.",
            c.in_flight as f64,
        );
        e.gauge(
            "cinnox_inbox_done",
            "Events handled and kept for the retention.",
            c.done as f64,
        );
        e.gauge(
            "cinnox_inbox_dead",
            "Events given up after their last attempt (replay them).",
            c.dead as f64,
        );
        e.gauge(
            "cinnox_inbox_oldest_pending_age_seconds",
            "How long the oldest pending or in-flight event has waited.",
            c.oldest_pending_age.as_secs_f64(),
        );
    }

    /// The counts from a backend's groups of `(state, leased now, rows, oldest
    /// received_at)`, the same query on every backend.
    pub(super) fn from_groups(
        groups: impl IntoIterator<Item = (String, bool, u64, Option<i64>)>,
        now: i64,
    ) -> InboxCounts {
        let mut c = InboxCounts::default();
        let mut oldest: Option<i64> = None;
        for (state, leased, n, min_received) in groups {
            match (state.as_str(), leased) {
                ("pending", false) => c.pending += n,
                ("pending", true) => c.in_flight += n,
                ("done", _) => c.done += n,
                _ => c.dead += n,
            }
            if state == "pending" {
                oldest = match (oldest, min_received) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        if let Some(t) = oldest {
            c.oldest_pending_age = Duration::from_millis(u64::try_from(now - t).unwrap_or(0));
        }
        c
    }
}

/// The row's state and due time after a failed attempt: pending again at `next`, or dead
/// now when there is no next attempt.
pub(super) fn after_failure(next: Option<i64>, now: i64) -> (&'static str, i64) {
    match next {
        Some(at) => ("pending", at),
        None => ("dead", now),
    }
}

/// The state shown for a row: `pending` with a live lease is `in_flight`.
pub(super) fn state_of(state: &str, lease_until: Option<i64>, now: i64) -> String {
    match (state, lease_until) {
        ("pending", Some(until)) if until > now => "in_flight".to_owned(),
        (s, _) => s.to_owned(),
    }
}

/// One stored event, as [`Inbox::get`](super::Inbox::get) and [`Inbox::list`](super::Inbox::list) show it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredEvent {
    /// The row's id.
    pub id: i64,
    /// The event's dedup key.
    pub dedup_key: String,
    /// `pending`, `in_flight`, `done` or `dead`.
    pub state: String,
    /// Handlings started so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was stored (ms since the Unix epoch).
    pub received_at_ms: i64,
    /// When it is handed out next (ms since the Unix epoch), for a pending event.
    pub next_attempt_at_ms: Option<i64>,
    /// The exact body.
    pub body: Vec<u8>,
}

impl fmt::Debug for StoredEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body holds message content: never in Debug.
        f.debug_struct("StoredEvent")
            .field("id", &self.id)
            .field("dedup_key", &self.dedup_key)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("last_error", &self.last_error)
            .field("received_at_ms", &self.received_at_ms)
            .finish_non_exhaustive()
    }
}
