//! The HTTP-agnostic webhook verifier: one request in, the reply (and maybe an event) out.
//!
//! [`Webhook::handle`] takes a [`Request`] as any HTTP server sees it and gives an
//! [`Outcome`]: a [`Reply`] to send at once (a challenge answer, a refusal, a duplicate), or
//! an [`Event`] for the application. The application's answer goes through
//! [`Webhook::finish`], the one place where "handled" becomes 200 and "failed" becomes 500.
//!
//! # Checks, in order
//!
//! | check | refusal |
//! |---|---|
//! | source address in the allowlist (when one is configured) | 403 |
//! | path equal to the configured path (query ignored) | 404 |
//! | method `POST` | 405, `Allow: POST` |
//! | `Content-Type` missing or `application/json` (any parameters) | 415 |
//! | `Content-Length` at most the body cap; readable | 413; 400 |
//! | body at most the body cap (again, on the bytes themselves) | 413 |
//! | body readable by [`parse`] | 400 |
//!
//! [`Webhook::check_head`] runs the checks that need no body, so that a server can refuse
//! before reading it.
//!
//! With feature `tiny_http`, the `tiny_http` module mounts the verifier in a program's own
//! tiny_http server: one request in, answered or handed out as an event to finish.
//!
//! # Path
//!
//! The path part of the request target (before any `?`) must equal the configured path byte
//! for byte (no percent-decoding, no trailing-slash folding); the comparison takes the same
//! time wherever the first difference is (only a different length can be told apart, and
//! the length is no secret). A query string is allowed and ignored. A wrong path gets the
//! same 404 reply whatever the path was, revealing nothing.
//!
//! # Source
//!
//! Without [`WebhookConfigBuilder::allow_source`] every source is accepted. With it, the client
//! address must be in one of the networks. The client address is the TCP peer, unless the
//! peer is a trusted proxy ([`WebhookConfigBuilder::trust_proxy`]): then `X-Forwarded-For` (all such
//! headers, in order) is read from the right and the first address that is not a trusted
//! proxy is the client; when every listed address is a trusted proxy, the left-most one is.
//! An entry that is not an IP address (optionally with a port) makes the client unknown; an
//! unknown client is refused when an allowlist is set. IPv4-mapped IPv6 addresses are
//! compared as IPv4.
//!
//! # Duplicates
//!
//! When the application answers [`Verdict::Handled`], the event's
//! [`DedupKey`](crate::event::DedupKey) is remembered for the dedup window (default 10
//! minutes, counted from the acknowledgement), at most [`WebhookConfigBuilder::dedup_capacity`] keys
//! (default 10 000; the oldest is forgotten first; a key over 256 bytes is kept as a keyed
//! 128-bit fingerprint, so each costs little). A redelivery inside the window is answered
//! 200 without reaching the application. Two deliveries of one event that arrive before
//! either is acknowledged both reach the application. [`Verdict::Failed`] is not
//! remembered: the redelivery reaches the application again. The clock is
//! [`Instant::now`] unless [`WebhookConfigBuilder::clock`] injects another (tests).
//!
//! # Counters
//!
//! [`Webhook::stats`] reads atomic counters: challenges, events handed out, acks, fails,
//! duplicates, and every refusal by reason.
//!
//! # Replies
//!
//! Every reply has `Content-Type: application/json` and `X-Content-Type-Options: nosniff`,
//! and a small JSON body:
//!
//! | status | body |
//! |---|---|
//! | 200 challenge | `{"code":0,"result":{"challenge":"…"}}` |
//! | 200 handled / duplicate | `{"code":0}` |
//! | 400 | `{"code":400,"message":"<what was wrong and where>"}` (or `"invalid Content-Length"`, or `"the body could not be read"` from a server adapter) |
//! | 403 | `{"code":403,"message":"forbidden"}` |
//! | 404 | `{"code":404,"message":"not found"}` |
//! | 405 | `{"code":405,"message":"method not allowed"}` |
//! | 413 | `{"code":413,"message":"body too large"}` |
//! | 415 | `{"code":415,"message":"unsupported media type"}` |
//! | 500 | `{"code":500,"message":"event not handled"}` |

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::event::{challenge_reply, parse, Event, Incoming};

mod config;
mod fields;
mod memory;
mod request;
mod source;
mod stats;
#[cfg(feature = "tiny_http")]
pub mod tiny_http;

pub use config::{Clock, WebhookConfig, WebhookConfigBuilder, DEFAULT_MAX_BODY};
pub(crate) use fields::{content_length, trim_ows};
pub(crate) use request::error_body;
pub use request::{Outcome, Reply, Request, Verdict};
pub use stats::WebhookStats;

use fields::is_name;
use memory::Memory;
use source::{forwarded_ip, Net};
use stats::{bump, Counters};

/// The verifier. `Send + Sync`; share it between server threads.
pub struct Webhook {
    config: WebhookConfig,
    allow: Vec<Net>,
    proxies: Vec<Net>,
    counters: Counters,
    memory: Mutex<Memory>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

#[derive(Clone, Copy)]
enum Refusal {
    Forbidden,
    NotFound,
    Method,
    MediaType,
    TooLarge,
    BadLength,
    /// The server could not read the body (cut short, broken chunked framing).
    #[cfg_attr(not(feature = "tiny_http"), allow(dead_code))]
    Unreadable,
}

impl Webhook {
    /// A verifier with this policy.
    pub fn new(config: WebhookConfig) -> Webhook {
        Webhook {
            allow: config.allow.iter().map(Net::of).collect(),
            proxies: config.proxies.iter().map(Net::of).collect(),
            config,
            counters: Counters::default(),
            memory: Mutex::new(Memory::new()),
        }
    }
    /// The policy this verifier was built with.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }
    /// The body cap; a server should stop reading beyond it.
    pub fn max_body_len(&self) -> usize {
        self.config.max_body
    }
    /// Checks that need no body (path, method, source, content type, `Content-Length`).
    /// `Err` is the refusal to send without reading the body.
    ///
    /// Refusals are counted in [`Webhook::stats`]; [`Webhook::handle`] runs these checks
    /// again, so a server may call both for one request (the request is counted once, by
    /// `handle`; a refusal here is counted as a request too).
    pub fn check_head(&self, req: &Request<'_>) -> Result<(), Reply> {
        match self.head(req) {
            Ok(()) => Ok(()),
            Err(r) => Err(self.refuse_logged(r, req)),
        }
    }

    /// Refuse, and say so at debug level: the status, the reason and the peer, never the
    /// path (it holds the secret).
    fn refuse_logged(&self, r: Refusal, req: &Request<'_>) -> Reply {
        let reply = self.refuse(r);
        let why = match r {
            Refusal::Forbidden => "source not allowed",
            Refusal::NotFound => "wrong path",
            Refusal::Method => "not POST",
            Refusal::MediaType => "not JSON",
            Refusal::TooLarge => "body too large",
            Refusal::BadLength => "invalid Content-Length",
            Refusal::Unreadable => "the body could not be read",
        };
        log::debug!("refused {} ({why}) from {}", reply.status, peer_text(req));
        reply
    }

    /// The refusal of a body the server could not read, whose head `req` passed
    /// [`Webhook::check_head`]: 400, counted as a bad request.
    #[cfg(feature = "tiny_http")]
    fn refuse_unreadable(&self, req: &Request<'_>) -> Reply {
        self.refuse_logged(Refusal::Unreadable, req)
    }

    fn head(&self, req: &Request<'_>) -> Result<(), Refusal> {
        // One pass over the headers, without allocating.
        let mut content_type = None;
        let mut length: Option<u64> = None;
        let mut bad_length = false;
        let mut forwarded = false;
        for (name, value) in req.headers {
            // Most headers are none of the three: tell by the first letter.
            if !matches!(name.as_bytes().first(), Some(b'c' | b'C' | b'x' | b'X')) {
                continue;
            }
            if is_name(name, "content-type") {
                content_type.get_or_insert(*value);
            } else if is_name(name, "content-length") {
                match content_length(value) {
                    Some(n) if length.is_none_or(|l| l == n) => length = Some(n),
                    _ => bad_length = true,
                }
            } else if is_name(name, "x-forwarded-for") {
                forwarded = true;
            }
        }

        if !self.config.allow.is_empty() {
            let allowed = self
                .client_address(req, forwarded)
                .is_some_and(|ip| self.allow.iter().any(|n| n.contains(ip)));
            if !allowed {
                return Err(Refusal::Forbidden);
            }
        }
        // The path part (before any `?`) equals the configured path exactly when the target
        // starts with it and ends there or goes on with the query; no scan for `?` needed
        // (the configured path has none).
        let target = req.path.as_bytes();
        let secret = self.config.path.as_bytes();
        let path = match target.get(secret.len()) {
            None => target,
            Some(b'?') => &target[..secret.len()],
            Some(_) => target,
        };
        // A config without a secret path answers nothing (`validate` refuses it up front).
        if !same_secret(path, secret) {
            return Err(Refusal::NotFound);
        }
        if req.method != "POST" {
            return Err(Refusal::Method);
        }
        if let Some(ct) = content_type {
            let media = match ct.as_bytes().iter().position(|&b| b == b';') {
                Some(i) => &ct[..i],
                None => ct,
            };
            let media = trim_ows(media);
            if !media.is_empty() && !is_name(media, "application/json") {
                return Err(Refusal::MediaType);
            }
        }
        if bad_length {
            return Err(Refusal::BadLength);
        }
        if length.is_some_and(|n| n > self.config.max_body as u64) {
            return Err(Refusal::TooLarge);
        }
        Ok(())
    }

    /// The client address for the allowlist: the peer, or from `X-Forwarded-For` when the
    /// peer is a trusted proxy.
    fn client_address(&self, req: &Request<'_>, forwarded: bool) -> Option<IpAddr> {
        let peer = req.peer?.to_canonical();
        if !forwarded || !self.is_proxy(peer) {
            return Some(peer);
        }
        let mut leftmost = None;
        let mut any = false;
        for (_, value) in req
            .headers
            .iter()
            .rev()
            .filter(|(n, _)| is_name(n, "x-forwarded-for"))
        {
            for entry in value.rsplit(',') {
                let entry = trim_ows(entry);
                if entry.is_empty() {
                    continue;
                }
                any = true;
                let ip = forwarded_ip(entry)?;
                if !self.is_proxy(ip) {
                    return Some(ip);
                }
                leftmost = Some(ip);
            }
        }
        if any {
            leftmost
        } else {
            Some(peer)
        }
    }

    fn is_proxy(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|n| n.contains(ip))
    }

    fn refuse(&self, r: Refusal) -> Reply {
        let c = &self.counters;
        match r {
            Refusal::Forbidden => {
                bump(&c.forbidden);
                Reply::refusal(403, "forbidden")
            }
            Refusal::NotFound => {
                bump(&c.not_found);
                Reply::refusal(404, "not found")
            }
            Refusal::Method => {
                bump(&c.method);
                let mut r = Reply::refusal(405, "method not allowed");
                r.headers.push(("Allow", "POST".to_owned()));
                r
            }
            Refusal::MediaType => {
                bump(&c.media_type);
                Reply::refusal(415, "unsupported media type")
            }
            Refusal::TooLarge => {
                bump(&c.too_large);
                Reply::refusal(413, "body too large")
            }
            Refusal::BadLength => {
                bump(&c.bad_request);
                Reply::refusal(400, "invalid Content-Length")
            }
            Refusal::Unreadable => {
                bump(&c.bad_request);
                Reply::refusal(400, "the body could not be read")
            }
        }
    }

    fn now(&self) -> Instant {
        match &self.config.clock {
            Some(clock) => clock(),
            None => Instant::now(),
        }
    }

    fn dedup(&self) -> Option<(Duration, usize)> {
        self.config
            .dedup_window()
            .map(|w| (w, self.config.dedup_capacity))
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        crate::sync::lock(&self.memory)
    }

    /// The whole decision for one request.
    pub fn handle(&self, req: &Request<'_>) -> Outcome {
        if let Err(r) = self.head(req) {
            return Outcome::Respond(self.refuse_logged(r, req));
        }
        self.handle_checked(req)
    }

    /// [`Webhook::handle`] for a request whose head [`Webhook::check_head`] already passed
    /// (the receiver's path): the head checks are not run again.
    #[inline]
    pub(crate) fn handle_checked(&self, req: &Request<'_>) -> Outcome {
        if req.body.len() > self.config.max_body {
            return Outcome::Respond(self.refuse_logged(Refusal::TooLarge, req));
        }
        match parse(req.body) {
            Err(e) => {
                bump(&self.counters.bad_request);
                log::debug!(
                    "refused 400 (the body is not a notification) from {}",
                    peer_text(req)
                );
                Outcome::Respond(Reply::refusal(400, e.message()))
            }
            Ok(Incoming::Challenge(c)) => {
                bump(&self.counters.challenges);
                log::info!(
                    "answered a URL-verification challenge from {}",
                    peer_text(req)
                );
                Outcome::Respond(Reply::json(200, challenge_reply(&c)))
            }
            Ok(Incoming::Event(event)) => {
                if let Some((window, _)) = self.dedup() {
                    let acked =
                        event.with_dedup_key_bytes(|key| self.memory().acknowledged_at(key));
                    // The clock is read only for a remembered key.
                    if acked.is_some_and(|at| self.now().saturating_duration_since(at) < window) {
                        bump(&self.counters.duplicates);
                        log::debug!(
                            "a redelivery of event {} was answered 200 without delivering it",
                            event.id().unwrap_or("-")
                        );
                        return Outcome::Respond(Reply::ok());
                    }
                }
                bump(&self.counters.events);
                Outcome::Deliver(event)
            }
        }
    }

    /// The reply for the application's answer to a delivered event.
    ///
    /// [`Verdict::Handled`] gives 200 `{"code":0}` and remembers the event's dedup key;
    /// [`Verdict::Failed`] gives 500, so that CINNOX may deliver it again.
    pub fn finish(&self, event: &Event, verdict: Verdict) -> Reply {
        match verdict {
            Verdict::Handled => {
                if let Some((window, capacity)) = self.dedup() {
                    let now = self.now();
                    event.with_dedup_key_bytes(|key| {
                        self.memory().record(key, now, window, capacity);
                    });
                }
                bump(&self.counters.acks);
                Reply::ok()
            }
            Verdict::Failed => {
                bump(&self.counters.fails);
                Reply::refusal(500, "event not handled")
            }
        }
    }
    /// Forget every remembered dedup key.
    pub fn clear_dedup(&self) {
        *self.memory() = Memory::new();
    }
    /// How many dedup keys are remembered now (some may have left the window already).
    pub fn dedup_len(&self) -> usize {
        self.memory().seen.len()
    }
    /// A snapshot of the counters.
    pub fn stats(&self) -> WebhookStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut s = WebhookStats {
            requests: 0,
            challenges: get(&c.challenges),
            events: get(&c.events),
            acks: get(&c.acks),
            fails: get(&c.fails),
            duplicates: get(&c.duplicates),
            refused_not_found: get(&c.not_found),
            refused_method: get(&c.method),
            refused_too_large: get(&c.too_large),
            refused_media_type: get(&c.media_type),
            refused_forbidden: get(&c.forbidden),
            refused_bad_request: get(&c.bad_request),
        };
        // Every request ends in exactly one of these, so the total needs no counter of its
        // own (one atomic increment less per request).
        s.requests = s.challenges
            + s.events
            + s.duplicates
            + s.refused_not_found
            + s.refused_method
            + s.refused_too_large
            + s.refused_media_type
            + s.refused_forbidden
            + s.refused_bad_request;
        s
    }
}

/// The peer for a log line.
fn peer_text(req: &Request<'_>) -> String {
    req.peer
        .map_or_else(|| "an unknown peer".to_owned(), |ip| ip.to_string())
}

/// Whether the request path equals the configured one, in time that depends only on the
/// lengths: every byte is compared, and the verdict goes through `subtle` so the compiler
/// cannot turn the comparison into an early exit.
fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    if given.len() != secret.len() {
        return false;
    }
    let diff = given
        .iter()
        .zip(secret)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    bool::from(diff.ct_eq(&0u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn webhook_is_send_and_sync() {
        assert_send_sync::<Webhook>();
        assert_send_sync::<WebhookConfig>();
    }
}
