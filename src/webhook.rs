//! The HTTP-agnostic webhook verifier: one request in, the reply (and maybe an event) out.
//!
//! SKELETON: the types are the contract other modules build on; the logic is filled in by
//! the webhook work (issue 3).

use std::net::IpAddr;
use std::time::Duration;

use crate::event::Event;

/// The verifier's policy. Built with [`WebhookConfig::new`] and chained setters.
#[derive(Clone)]
pub struct WebhookConfig {
    _private: (),
}

impl WebhookConfig {
    /// Answer only on `path` (e.g. `/cinnox/<secret>`); safe defaults for the rest.
    pub fn new(path: &str) -> WebhookConfig {
        let _ = path;
        WebhookConfig { _private: () }
    }
    /// The largest body accepted (default 64 KiB); larger gets 413.
    pub fn max_body(self, bytes: usize) -> Self {
        let _ = bytes;
        self
    }
    /// The configured body cap.
    pub fn max_body_len(&self) -> usize {
        64 * 1024
    }
    /// Only accept requests from this network (CIDR text, v4 or v6). Repeatable.
    pub fn allow_source(self, cidr: &str) -> crate::Result<Self> {
        let _ = cidr;
        Ok(self)
    }
    /// Trust `X-Forwarded-For` from peers in this network (CIDR text). Repeatable.
    pub fn trust_proxy(self, cidr: &str) -> crate::Result<Self> {
        let _ = cidr;
        Ok(self)
    }
    /// The duplicate window (default 10 minutes); `None` turns duplicate detection off.
    pub fn dedup_window(self, window: Option<Duration>) -> Self {
        let _ = window;
        self
    }
    /// How many dedup keys are remembered at most (default 10 000).
    pub fn dedup_capacity(self, entries: usize) -> Self {
        let _ = entries;
        self
    }
}

/// One HTTP request as any server sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `POST`, `GET`, …
    pub method: &'a str,
    /// The request target: path with query.
    pub path: &'a str,
    /// Header names and values, as received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The TCP peer, when known.
    pub peer: Option<IpAddr>,
    /// The body (empty when calling [`Webhook::check_head`]).
    pub body: &'a [u8],
}

/// An HTTP reply to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers to send with it.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What to do with a request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outcome {
    /// Send this reply; nothing for the application (challenge, refusal, duplicate).
    Respond(Reply),
    /// Hand this event to the application, then send [`Webhook::finish`]'s reply.
    Deliver(Event),
}

/// The application's answer to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handled: 200, and remembered so a redelivery is not handed out again.
    Handled,
    /// Failed: 500, so that CINNOX may deliver it again.
    Failed,
}

/// Counters of what the verifier saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookStats {
    /// Requests handled.
    pub requests: u64,
    /// Challenges answered.
    pub challenges: u64,
    /// Events handed to the application.
    pub events: u64,
    /// Events answered 200 by the application.
    pub acks: u64,
    /// Events answered 500.
    pub fails: u64,
    /// Redeliveries answered 200 without reaching the application.
    pub duplicates: u64,
    /// 404: wrong path.
    pub refused_not_found: u64,
    /// 405: not POST.
    pub refused_method: u64,
    /// 413: body too large.
    pub refused_too_large: u64,
    /// 415: not JSON.
    pub refused_media_type: u64,
    /// 403: source not allowed.
    pub refused_forbidden: u64,
    /// 400: unreadable body.
    pub refused_bad_request: u64,
}

/// The verifier. `Send + Sync`; share it between server threads.
pub struct Webhook {
    _private: (),
}

impl Webhook {
    /// A verifier with this policy.
    pub fn new(config: WebhookConfig) -> Webhook {
        let _ = config;
        Webhook { _private: () }
    }
    /// Checks that need no body (path, method, source, content type, `Content-Length`).
    /// `Err` is the refusal to send without reading the body.
    pub fn check_head(&self, req: &Request<'_>) -> Result<(), Reply> {
        let _ = req;
        todo!()
    }
    /// The whole decision for one request.
    pub fn handle(&self, req: &Request<'_>) -> Outcome {
        let _ = req;
        todo!()
    }
    /// The reply for the application's answer to a delivered event.
    pub fn finish(&self, event: &Event, verdict: Verdict) -> Reply {
        let _ = (event, verdict);
        todo!()
    }
    /// A snapshot of the counters.
    pub fn stats(&self) -> WebhookStats {
        todo!()
    }
}
