//! The receiver's counters: those the I/O threads bump, the snapshot the API gives
//! ([`ReceiverStats`]), and the Prometheus exposition ([`Receiver::metrics`](super::Receiver::metrics)).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::Shared;

/// Counters of what the receiver did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverStats {
    /// The verifier's counters.
    pub webhook: crate::webhook::WebhookStats,
    /// Handler panics caught by `serve`.
    pub handler_panics: u64,
    /// Connections refused: at the connection cap with nothing to evict, or beyond the
    /// per-source limit.
    pub refused_connections: u64,
    /// Requests cut off by the header timeout, the read deadline or the minimum body rate
    /// (answered `408`).
    pub read_timeouts: u64,
    /// Requests refused by the HTTP layer before the verifier saw them: malformed heads or
    /// framing (400, 414, 417, 501, 505), heads over 16 KiB (431), chunked bodies over the
    /// cap (413).
    pub malformed_requests: u64,
    /// Deliveries still unanswered when the shutdown grace ended: answered `503` on the
    /// wire, and not counted in `webhook.acks` or `webhook.fails` whatever the application
    /// answers later. Once every delivery is settled, `webhook.events` is `acks + fails +
    /// expired_deliveries`.
    pub expired_deliveries: u64,
    /// Idle or incomplete connections closed to make room for a new one (at the connection
    /// cap, or out of file descriptors).
    pub evicted_connections: u64,
    /// Connections open now.
    pub open_connections: u64,
    /// Times accepting met `EMFILE`/`ENFILE` (out of file descriptors).
    pub fd_exhaustions: u64,
    /// Connections cut because their peer left replies unread (past the read timeout or
    /// 1 MiB).
    pub slow_readers: u64,
    /// Events an inbox failed to store (answered `503` with `Retry-After`).
    pub store_failures: u64,
}

/// The receiver's own counters, bumped by the I/O threads.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) handler_panics: AtomicU64,
    pub(super) refused_connections: AtomicU64,
    pub(super) read_timeouts: AtomicU64,
    pub(super) malformed_requests: AtomicU64,
    pub(super) expired_deliveries: AtomicU64,
    pub(super) evicted_connections: AtomicU64,
    pub(super) open_connections: AtomicU64,
    pub(super) fd_exhaustions: AtomicU64,
    pub(super) slow_readers: AtomicU64,
    /// Shared with the store's completions, which may outlive a borrow of the receiver.
    pub(super) store_failures: Arc<AtomicU64>,
}

impl Shared {
    /// See [`Receiver::metrics`](super::Receiver::metrics).
    pub(crate) fn metrics(&self) -> String {
        let st = self.stats();
        let w = &st.webhook;
        let mut e = crate::metrics::Exposition::default();
        e.counter(
            "cinnox_webhook_requests_total",
            "Webhook requests by how they were answered.",
            &[
                (&[("outcome", "delivered")], w.events),
                (&[("outcome", "challenge")], w.challenges),
                (&[("outcome", "duplicate")], w.duplicates),
                (&[("outcome", "not_found")], w.refused_not_found),
                (&[("outcome", "method_not_allowed")], w.refused_method),
                (&[("outcome", "too_large")], w.refused_too_large),
                (
                    &[("outcome", "unsupported_media_type")],
                    w.refused_media_type,
                ),
                (&[("outcome", "forbidden")], w.refused_forbidden),
                (&[("outcome", "bad_request")], w.refused_bad_request),
                (&[("outcome", "malformed")], st.malformed_requests),
            ],
        );
        e.counter(
            "cinnox_deliveries_total",
            "Delivered events by the application's answer.",
            &[
                (&[("answer", "ack")], w.acks),
                (&[("answer", "fail")], w.fails),
                (&[("answer", "expired")], st.expired_deliveries),
            ],
        );
        e.histogram(
            "cinnox_handler_duration_seconds",
            "How long the serve handler took per event.",
            &self.handler_duration,
        );
        e.gauge(
            "cinnox_connections_open",
            "Open connections to the webhook port.",
            st.open_connections as f64,
        );
        e.counter(
            "cinnox_connections_refused_total",
            "Connections refused (answered 503): at the cap with nothing to evict, or over \
             the per-source limit.",
            &[(&[], st.refused_connections)],
        );
        e.counter(
            "cinnox_connections_evicted_total",
            "Idle or incomplete connections closed to make room for new ones.",
            &[(&[], st.evicted_connections)],
        );
        e.counter(
            "cinnox_read_timeouts_total",
            "Connections cut off by the read deadline.",
            &[(&[], st.read_timeouts)],
        );
        e.counter(
            "cinnox_handler_panics_total",
            "Handler panics caught by serve.",
            &[(&[], st.handler_panics)],
        );
        e.counter(
            "cinnox_inbox_store_failures_total",
            "Events the inbox failed to store (answered 503).",
            &[(&[], st.store_failures)],
        );
        let inbox = self.config.inbox.as_ref().and_then(|i| i.stats().ok());
        let in_flight = match &inbox {
            Some(c) => c.in_flight,
            None => w
                .events
                .saturating_sub(w.acks + w.fails + st.expired_deliveries),
        };
        e.gauge(
            "cinnox_deliveries_in_flight",
            "Events in the application's hands, not answered yet.",
            in_flight as f64,
        );
        if let Some(c) = &inbox {
            c.write_metrics(&mut e);
        }
        e.finish()
    }

    /// See [`Receiver::stats`](super::Receiver::stats).
    pub(super) fn stats(&self) -> ReceiverStats {
        let s = self;
        let c = &s.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ReceiverStats {
            webhook: s.webhook.stats(),
            handler_panics: get(&c.handler_panics),
            refused_connections: get(&c.refused_connections),
            read_timeouts: get(&c.read_timeouts),
            malformed_requests: get(&c.malformed_requests),
            expired_deliveries: get(&c.expired_deliveries),
            evicted_connections: get(&c.evicted_connections),
            open_connections: get(&c.open_connections),
            fd_exhaustions: get(&c.fd_exhaustions),
            slow_readers: get(&c.slow_readers),
            store_failures: get(&c.store_failures),
        }
    }
}
