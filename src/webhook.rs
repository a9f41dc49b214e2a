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
//! Without [`WebhookConfig::allow_source`] every source is accepted. With it, the client
//! address must be in one of the networks. The client address is the TCP peer, unless the
//! peer is a trusted proxy ([`WebhookConfig::trust_proxy`]): then `X-Forwarded-For` (all such
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
//! minutes, counted from the acknowledgement), at most [`WebhookConfig::dedup_capacity`] keys
//! (default 10 000; the oldest is forgotten first; a key over 256 bytes is kept as a keyed
//! 128-bit fingerprint, so each costs little). A redelivery inside the window is answered
//! 200 without reaching the application. Two deliveries of one event that arrive before
//! either is acknowledged both reach the application. [`Verdict::Failed`] is not
//! remembered: the redelivery reaches the application again. The clock is
//! [`Instant::now`] unless [`WebhookConfig::clock`] injects another (tests).
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
//! | 400 | `{"code":400,"message":"<what was wrong and where>"}` (or `"invalid Content-Length"`) |
//! | 403 | `{"code":403,"message":"forbidden"}` |
//! | 404 | `{"code":404,"message":"not found"}` |
//! | 405 | `{"code":405,"message":"method not allowed"}` |
//! | 413 | `{"code":413,"message":"body too large"}` |
//! | 415 | `{"code":415,"message":"unsupported media type"}` |
//! | 500 | `{"code":500,"message":"event not handled"}` |

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use subtle::ConstantTimeEq;

use crate::event::{challenge_reply, parse, push_json_string_body, Event, Incoming};
use crate::Error;

/// The default body cap: 64 KiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// The default dedup window: 10 minutes.
pub const DEFAULT_DEDUP_WINDOW: Duration = Duration::from_secs(600);
/// The default number of remembered dedup keys.
pub const DEFAULT_DEDUP_CAPACITY: usize = 10_000;

/// A source of the current time, for the dedup window. Inject one in tests with
/// [`WebhookConfig::clock`].
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The verifier's policy. Built with [`WebhookConfig::new`] and chained setters.
///
/// `Debug` shows the policy but never the path (it holds the secret).
#[derive(Clone)]
pub struct WebhookConfig {
    path: String,
    max_body: usize,
    allow: Vec<IpNet>,
    proxies: Vec<IpNet>,
    dedup_window: Option<Duration>,
    dedup_capacity: usize,
    clock: Option<Clock>,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("path", &"<redacted>")
            .field("max_body", &self.max_body)
            .field("allow", &self.allow)
            .field("proxies", &self.proxies)
            .field("dedup_window", &self.dedup_window)
            .field("dedup_capacity", &self.dedup_capacity)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish()
    }
}

fn parse_net(cidr: &str, what: &str) -> crate::Result<IpNet> {
    let text = cidr.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(ip.to_canonical()));
    }
    Err(Error::invalid_argument(format!(
        "{what}: `{}` is not an IP network (CIDR like 10.0.0.0/8 or 2001:db8::/32) or an IP \
         address",
        cidr.escape_debug()
    )))
}

impl WebhookConfig {
    /// Answer only on `path` (e.g. `/cinnox/<secret>`); safe defaults for the rest.
    ///
    /// A path without a leading `/` gets one (`"cinnox/s3cret"` is `"/cinnox/s3cret"`); a
    /// `?` and what follows it are dropped. Only the path part of a request target is
    /// compared; a query string is ignored.
    ///
    /// The path is the secret that keeps strangers out: an empty path or `/` is refused
    /// with [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) by
    /// [`WebhookConfig::validate`], which [`Receiver`](crate::Receiver) and the C
    /// constructors call; a [`Webhook`] built from such a config answers every request 404.
    pub fn new(path: &str) -> WebhookConfig {
        // A query is never part of the compared path.
        let path = match path.find('?') {
            Some(i) => &path[..i],
            None => path,
        };
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        WebhookConfig {
            path,
            max_body: DEFAULT_MAX_BODY,
            allow: Vec::new(),
            proxies: Vec::new(),
            dedup_window: Some(DEFAULT_DEDUP_WINDOW),
            dedup_capacity: DEFAULT_DEDUP_CAPACITY,
            clock: None,
        }
    }
    /// The largest body accepted (default 64 KiB); larger gets 413.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
    /// The configured body cap.
    pub fn max_body_len(&self) -> usize {
        self.max_body
    }
    /// The configured path. It holds the secret: do not log it.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Refuse a config that keeps nobody out: an empty path or `/`.
    pub fn validate(&self) -> crate::Result<()> {
        if !self.has_secret_path() {
            return Err(crate::Error::invalid_argument(
                "the webhook path must not be empty or \"/\": it is the secret that keeps \
                 strangers out (use e.g. \"/cinnox/<random>\")",
            ));
        }
        Ok(())
    }
    fn has_secret_path(&self) -> bool {
        self.path.len() > 1
    }
    /// Only accept requests from this network (CIDR text, v4 or v6). Repeatable.
    ///
    /// A bare address is a network of one. `Err` is an
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) naming the text.
    pub fn allow_source(mut self, cidr: &str) -> crate::Result<Self> {
        self.allow.push(parse_net(cidr, "allowed source")?);
        Ok(self)
    }
    /// Trust `X-Forwarded-For` from peers in this network (CIDR text). Repeatable.
    ///
    /// A bare address is a network of one. `Err` is an
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) naming the text.
    pub fn trust_proxy(mut self, cidr: &str) -> crate::Result<Self> {
        self.proxies.push(parse_net(cidr, "trusted proxy")?);
        Ok(self)
    }
    /// The duplicate window (default 10 minutes); `None` turns duplicate detection off.
    /// A zero window also turns it off.
    pub fn dedup_window(mut self, window: Option<Duration>) -> Self {
        self.dedup_window = window;
        self
    }
    /// How many dedup keys are remembered at most (default 10 000). Zero turns duplicate
    /// detection off.
    pub fn dedup_capacity(mut self, entries: usize) -> Self {
        self.dedup_capacity = entries;
        self
    }
    /// The clock the dedup window is measured with (default [`Instant::now`]); for tests.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
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

impl<'a> Request<'a> {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
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

impl Reply {
    /// A JSON reply with `Content-Type: application/json` and `X-Content-Type-Options: nosniff`.
    pub fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: crate::event::REPLY_HEADERS
                .iter()
                .map(|(n, v)| (*n, (*v).to_owned()))
                .collect(),
            body,
        }
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn refusal(status: u16, message: &str) -> Reply {
        Reply::json(status, error_body(status, message))
    }

    pub(crate) fn ok() -> Reply {
        Reply::json(200, b"{\"code\":0}".to_vec())
    }
}

/// `{"code":<status>,"message":"<message>"}`: the body of every refusal, the verifier's and
/// the receiver's own (timeouts, framing errors, overload).
pub(crate) fn error_body(status: u16, message: &str) -> Vec<u8> {
    use std::fmt::Write;
    let mut body = String::with_capacity(message.len() + 32);
    let _ = write!(body, "{{\"code\":{status},\"message\":\"");
    push_json_string_body(&mut body, message);
    body.push_str("\"}");
    body.into_bytes()
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
    /// Requests seen: the sum of every outcome below but `acks` and `fails` (each request
    /// ends in exactly one of challenge, event, duplicate or a refusal).
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

#[derive(Default)]
struct Counters {
    challenges: AtomicU64,
    events: AtomicU64,
    acks: AtomicU64,
    fails: AtomicU64,
    duplicates: AtomicU64,
    not_found: AtomicU64,
    method: AtomicU64,
    too_large: AtomicU64,
    media_type: AtomicU64,
    forbidden: AtomicU64,
    bad_request: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Dedup keys up to this long are remembered as they are; a longer one (an id may be as
/// long as the body) as a keyed 128-bit fingerprint, so that the memory stays bounded by
/// `dedup_capacity` times a small size, whatever the senders put in their ids.
const MAX_EXACT_KEY: usize = 256;

/// The length of a fingerprint: a marker and two 64-bit hashes.
const FINGERPRINT_LEN: usize = 18;

/// The remembered keys of acknowledged events.
///
/// Keys are the byte strings of [`Event::with_dedup_key_bytes`]: compared exactly (those
/// over [`MAX_EXACT_KEY`] bytes through their fingerprint), hashed with std's randomly
/// keyed SipHash.
struct Memory {
    /// key → (acknowledged at, sequence number of its newest entry in `order`)
    seen: HashMap<Arc<[u8]>, (Instant, u64)>,
    /// Keys in acknowledgement order; stale entries (re-acknowledged keys) are skipped.
    order: VecDeque<(Arc<[u8]>, u64)>,
    next_seq: u64,
    /// The random keys of the fingerprints of long keys.
    fingerprint_keys: [std::collections::hash_map::RandomState; 2],
}

impl Memory {
    fn new() -> Memory {
        Memory {
            seen: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            fingerprint_keys: [Default::default(), Default::default()],
        }
    }

    /// What is stored for `key`: the key itself, or its fingerprint (in `buf`) when long.
    /// A fingerprint starts with `0xff`, which no exact key does (a key starts with its
    /// text prefix, and UTF-8 never holds `0xff`).
    fn stored<'k>(&self, key: &'k [u8], buf: &'k mut [u8; FINGERPRINT_LEN]) -> &'k [u8] {
        use std::hash::{BuildHasher, Hasher};
        if key.len() <= MAX_EXACT_KEY {
            return key;
        }
        buf[..2].copy_from_slice(&[0xff, 0xfd]);
        for (i, state) in self.fingerprint_keys.iter().enumerate() {
            let mut h = state.build_hasher();
            h.write(key);
            buf[2 + 8 * i..10 + 8 * i].copy_from_slice(&h.finish().to_le_bytes());
        }
        buf
    }

    /// When `key` was acknowledged, if it is remembered.
    fn acknowledged_at(&self, key: &[u8]) -> Option<Instant> {
        let mut buf = [0; FINGERPRINT_LEN];
        let key = self.stored(key, &mut buf);
        self.seen.get(key).map(|(at, _)| *at)
    }

    #[cfg(test)]
    fn contains(&self, key: &[u8], now: Instant, window: Duration) -> bool {
        self.acknowledged_at(key)
            .is_some_and(|at| now.saturating_duration_since(at) < window)
    }

    fn forget_oldest(&mut self) {
        if let Some((key, seq)) = self.order.pop_front() {
            if self.seen.get(&key).is_some_and(|(_, s)| *s == seq) {
                self.seen.remove(&key);
            }
        }
    }

    fn record(&mut self, key: &[u8], now: Instant, window: Duration, capacity: usize) {
        let mut buf = [0; FINGERPRINT_LEN];
        let key = self.stored(key, &mut buf);
        // Forget what has left the window.
        while let Some((front, seq)) = self.order.front() {
            let current_and_fresh = self
                .seen
                .get(front)
                .is_some_and(|(at, s)| s == seq && now.saturating_duration_since(*at) < window);
            if current_and_fresh {
                break;
            }
            self.forget_oldest();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key: Arc<[u8]> = match self.seen.get_key_value(key) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(key),
        };
        self.seen.insert(Arc::clone(&key), (now, seq));
        self.order.push_back((key, seq));
        while self.seen.len() > capacity {
            self.forget_oldest();
        }
        // Stale entries of re-acknowledged keys must not grow `order` without bound.
        if self.order.len() > capacity.saturating_mul(2).max(16) {
            let seen = &self.seen;
            self.order
                .retain(|(k, s)| seen.get(k).is_some_and(|(_, cur)| cur == s));
        }
    }
}

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
        };
        log::debug!("refused {} ({why}) from {}", reply.status, peer_text(req));
        reply
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
        if !self.config.has_secret_path() || !same_secret(path, secret) {
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
        }
    }

    fn now(&self) -> Instant {
        match &self.config.clock {
            Some(clock) => clock(),
            None => Instant::now(),
        }
    }

    fn dedup(&self) -> Option<(Duration, usize)> {
        match self.config.dedup_window {
            Some(w) if !w.is_zero() && self.config.dedup_capacity > 0 => {
                Some((w, self.config.dedup_capacity))
            }
            _ => None,
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        // The memory stays consistent between statements, so a poisoned lock is usable.
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
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

/// `s` without leading and trailing blanks (space, tab: HTTP's optional whitespace).
fn trim_ows(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// A network of an allowlist, as masks ready to compare with an address.
#[derive(Clone, Copy)]
struct Net {
    v6: bool,
    network: u128,
    mask: u128,
}

impl Net {
    fn of(net: &IpNet) -> Net {
        match net {
            IpNet::V4(n) => Net {
                v6: false,
                network: u128::from(u32::from(n.network())),
                mask: u128::from(u32::from(n.netmask())),
            },
            IpNet::V6(n) => Net {
                v6: true,
                network: u128::from(n.network()),
                mask: u128::from(n.netmask()),
            },
        }
    }

    /// `ip` must be canonical (an IPv4-mapped IPv6 address given as IPv4).
    fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => !self.v6 && u128::from(u32::from(a)) & self.mask == self.network,
            IpAddr::V6(a) => self.v6 && u128::from(a) & self.mask == self.network,
        }
    }
}

/// Whether `name` is `lower` ignoring ASCII case; `lower` is lower-case ASCII.
#[inline]
fn is_name(name: &str, lower: &str) -> bool {
    name.len() == lower.len()
        && name
            .bytes()
            .zip(lower.bytes())
            .all(|(a, l)| a == l || (l.is_ascii_lowercase() && a == l - 32))
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

/// A `Content-Length` value: decimal digits only (surrounding blanks allowed). A value too
/// large for `u64` is `u64::MAX` (too large for any cap).
pub(crate) fn content_length(value: &str) -> Option<u64> {
    let digits = trim_ows(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// A plain dotted-quad IPv4 address, read faster than the general parser (which handles
/// everything else). Same rules as std: four decimal parts up to 255, no leading zeros.
fn dotted_quad(s: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut part = 0;
    let mut value: u16 = 0;
    let mut digits = 0;
    for &b in s {
        match b {
            b'0'..=b'9' => {
                if digits == 1 && value == 0 {
                    return None; // leading zero
                }
                value = value * 10 + u16::from(b - b'0');
                digits += 1;
                if digits > 3 || value > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && part < 3 => {
                octets[part] = value as u8;
                part += 1;
                value = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    octets[3] = value as u8;
    Some(std::net::Ipv4Addr::from(octets))
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:80`,
/// `[2001:db8::1]:80`).
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    if let Some(v4) = dotted_quad(entry.as_bytes()) {
        return Some(IpAddr::V4(v4));
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = entry.parse::<std::net::SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    let bracketed = entry.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
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

    #[test]
    fn dotted_quads_follow_the_std_parser() {
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "a.b.c.d",
            "1000.1.1.1",
            "10.0.0.010",
            "",
            "203.0.113.5",
        ] {
            assert_eq!(
                dotted_quad(s.as_bytes()),
                s.parse::<std::net::Ipv4Addr>().ok(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn forwarded_entries_with_ports_and_brackets() {
        assert_eq!(forwarded_ip("1.2.3.4"), "1.2.3.4".parse().ok());
        assert_eq!(forwarded_ip("1.2.3.4:80"), "1.2.3.4".parse().ok());
        assert_eq!(forwarded_ip("[2001:db8::1]:80"), "2001:db8::1".parse().ok());
        assert_eq!(forwarded_ip("[2001:db8::1]"), "2001:db8::1".parse().ok());
        assert_eq!(forwarded_ip("::ffff:1.2.3.4"), "1.2.3.4".parse().ok());
        assert_eq!(forwarded_ip("unknown"), None);
    }

    #[test]
    fn memory_keeps_long_keys_in_bounded_space() {
        // An id may be as long as the body (64 KiB by default): 10 000 remembered keys must
        // not cost 10 000 bodies.
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        let mut m = Memory::new();
        let long = |fill: u8| {
            let mut k = vec![fill; 64 * 1024];
            k[0] = b'x';
            k
        };
        m.record(&long(b'a'), t0, w, 10);
        m.record(b"short|id|status", t0, w, 10);
        let stored: usize = m.seen.keys().map(|k| k.len()).sum();
        assert!(stored < 1024, "{stored} bytes for two keys");
        assert!(m.contains(&long(b'a'), t0, w));
        assert!(!m.contains(&long(b'b'), t0, w));
        assert!(m.contains(b"short|id|status", t0, w));
        assert!(!m.contains(b"short|id|other", t0, w));
    }

    #[test]
    fn memory_forgets_oldest_beyond_capacity_and_stale_entries() {
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        let mut m = Memory::new();
        for i in 0..5u8 {
            m.record(&[i], t0, w, 3);
        }
        assert_eq!(m.seen.len(), 3);
        assert!(!m.contains(&[1], t0, w));
        assert!(m.contains(&[4], t0, w));
        // Re-acknowledging one key many times keeps `order` bounded.
        for _ in 0..1000 {
            m.record(&[4], t0, w, 3);
        }
        assert!(m.order.len() <= 16);
        assert!(m.contains(&[3], t0, w));
    }
}
