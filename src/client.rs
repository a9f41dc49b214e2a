//! The subscription client: `PATCH {base}/v1/api/apps/{appID}/{slug}` over ureq.
//!
//! [`Client`] sends exactly the documented request, reads CINNOX's answer tolerantly, turns
//! everything that is not a success into an [`Error`] with a kind, and retries transient
//! failures under a [`RetryPolicy`].
//!
//! How it behaves where the CINNOX documentation is silent:
//!
//! - Success is any HTTP 2xx whose JSON body has a `result` object, whatever `code` says.
//!   An object with a non-zero `code` (a number or a string of digits) is an
//!   [`ErrorKind::Api`] error, whatever the HTTP status. Anything else is
//!   [`ErrorKind::UnexpectedResponse`], quoting the first 200 characters of the body.
//! - At most 1 MiB of a reply body is read; a longer body is an unexpected response.
//! - Redirects are not followed (they would re-send the App Token elsewhere or drop the
//!   PATCH body); a 3xx is an unexpected response.
//! - A proxy named by `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (and `NO_PROXY`) is used unless
//!   [`ClientBuilder::proxy_from_env`] turns that off.
//! - Retried: connect failures, connections reset or closed mid-reply, timeouts, HTTP
//!   429/502/503/504 and code 6451010. Never retried: codes 6452000, 6452001 and 6451000
//!   (even with a retryable status), other API errors, TLS failures, and unexpected bodies
//!   with any other status.
//! - If a reply echoes the App Token or the webhook URL's path and query (its secret), raw,
//!   JSON-escaped or percent-encoded, error messages show `[redacted]` in their place.

use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use serde_json::Value;
use ureq::http::Uri;

use crate::{Error, ErrorKind, EventKind, Result};

/// The most bytes of a reply body the client reads; a longer body is an unexpected response.
const BODY_LIMIT: usize = 1 << 20;

/// The most characters of a reply body quoted in an error message.
const QUOTE_CHARS: usize = 200;

/// What replaces the App Token wherever a reply echoes it back.
const REDACTED: &str = "[redacted]";

/// Characters that stay literal in a path segment: RFC 3986 "unreserved".
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How the client retries transient failures (connect errors, timeouts, HTTP 429/502/503/504,
/// code 6451010). Authentication and parameter errors are never retried.
///
/// The delay before retry `n` (1 for the first retry) is drawn with "equal jitter" from
/// `[d/2, d]`, where `d = min(base_delay * 2^(n-1), max_delay)`. When the server sent
/// `Retry-After`, that delay is used instead, capped by `max_delay`. No retry starts when it
/// would begin more than `max_elapsed` after the first attempt.
///
/// ```
/// # use cinnox::RetryPolicy;
/// # use std::time::Duration;
/// let p = RetryPolicy { base_delay: Duration::from_millis(100), ..RetryPolicy::default() };
/// // The second retry waits between 100 and 200 ms, depending on the random draw.
/// let d = p.delay_for(2, None, 12345);
/// assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
/// // A server's Retry-After wins, capped by max_delay (5 s by default).
/// assert_eq!(p.delay_for(1, Some(Duration::from_secs(60)), 0), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The delay before the first retry; doubled for each further one, with jitter.
    pub base_delay: Duration,
    /// No single delay is longer than this (a `Retry-After` is capped by it too).
    pub max_delay: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl RetryPolicy {
    /// No retries: one attempt only.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `retry` (1 for the first retry, i.e. the second attempt;
    /// 0 counts as 1).
    ///
    /// `retry_after` is the delay the server asked for, if any; `random` is any random number
    /// (the client draws it from the operating system), which picks the jitter. The result is
    /// never longer than [`max_delay`](RetryPolicy::max_delay). Pure: the same inputs give the
    /// same delay.
    pub fn delay_for(&self, retry: u32, retry_after: Option<Duration>, random: u64) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_delay);
        }
        let cap = self.max_delay.as_nanos();
        let doublings = retry.saturating_sub(1).min(64);
        let full = self
            .base_delay
            .as_nanos()
            .saturating_mul(1u128 << doublings)
            .min(cap);
        let half = full / 2;
        let spread = full - half; // jitter range: [half, full]
        let jitter = u128::from(random) % (spread + 1);
        nanos_to_duration(half + jitter)
    }

    fn validate(&self) -> Result<()> {
        if self.max_attempts == 0 {
            return Err(Error::invalid_argument(
                "retry policy: max_attempts must be at least 1 (1 means no retry)",
            ));
        }
        Ok(())
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

fn nanos_to_duration(nanos: u128) -> Duration {
    let secs = nanos / 1_000_000_000;
    let sub = (nanos % 1_000_000_000) as u32;
    match u64::try_from(secs) {
        Ok(secs) => Duration::new(secs, sub),
        Err(_) => Duration::MAX,
    }
}

/// A subscription as CINNOX reports it after a PATCH.
///
/// `Debug` shows the URL without its path and query, where the webhook's secret lives.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Whether the subscription is active.
    pub enabled: bool,
    /// The webhook URL.
    pub url: String,
    /// When it was last changed, RFC 3339 text as sent; `None` when the family omits it.
    pub updated_at: Option<String>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("enabled", &self.enabled)
            .field("url", &redact_url(&self.url))
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// What an `https://` request to a plain-HTTP server comes to, in words.
pub(crate) const PLAIN_HTTP: &str =
    "the server answered in plain HTTP, not HTTPS: use http:// instead of https://";

/// Whether `e` is what a TLS client gets from a server that answered in plain HTTP (an
/// `https://` URL for an `http://` server): rustls reads the first bytes of
/// `HTTP/1.1 400 …` as a record of no known content type, and says only `received corrupt
/// message of type InvalidContentType`.
pub(crate) fn answered_in_plain_http(e: &ureq::Error) -> bool {
    e.to_string()
        .contains("corrupt message of type InvalidContentType")
}

/// A URL for messages and `Debug`: scheme and host kept, userinfo, path, query and
/// fragment hidden (`https://…@host/…`), since a webhook URL's path holds its secret.
pub(crate) fn redact_url(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let (authority, more) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], true),
        None => (rest, false),
    };
    let host = match authority.rfind('@') {
        Some(i) => format!("…@{}", &authority[i + 1..]),
        None => authority.to_owned(),
    };
    format!(
        "{}{host}{}",
        &url[..after_scheme],
        if more { "/…" } else { "" }
    )
}

/// Configures a [`Client`]. Made by [`Client::builder`]; nothing is checked until
/// [`build`](ClientBuilder::build).
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    app_token: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    proxy_from_env: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("app_token", &REDACTED)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("proxy_from_env", &self.proxy_from_env)
            .finish()
    }
}

/// The CINNOX subscription client. `Send + Sync`; clone it or share it by reference.
///
/// A clone is cheap (one reference count) and shares the connection pool, so a program
/// needs one `Client` per base URL and App Token. Every call blocks until CINNOX answered,
/// a timeout passed, or the retries ran out.
///
/// ```no_run
/// use cinnox::{Client, EventKind};
///
/// # fn main() -> cinnox::Result<()> {
/// let client = Client::new("https://cinnox.example/", "my-app-token")?;
/// let sub = client.subscribe("my-app-id", EventKind::Call, "https://me.example/cinnox")?;
/// assert!(sub.enabled);
/// println!("subscribed {} (updated {:?})", sub.url, sub.updated_at);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

// A client is shared across threads; keep it that way.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
};

struct Inner {
    agent: ureq::Agent,
    /// Scheme, authority and path prefix, without a trailing slash.
    base: String,
    /// `Bearer <token>`.
    authorization: String,
    /// Kept only to scrub it from anything a server echoes back.
    token: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    /// Calls by outcome and retries, for [`Client::metrics`].
    counters: Counters,
}

/// How the calls of one client (and its clones) ended.
#[derive(Default)]
struct Counters {
    /// By outcome, in the order of [`OUTCOMES`].
    outcomes: [std::sync::atomic::AtomicU64; 7],
    retries: std::sync::atomic::AtomicU64,
}

/// The `outcome` label values of `cinnox_subscribe_requests_total`.
const OUTCOMES: [&str; 7] = [
    "ok",
    "api_error",
    "rate_limited",
    "transport",
    "timeout",
    "unexpected_response",
    "invalid_argument",
];

fn outcome_index(result: &Result<Subscription>) -> usize {
    match result {
        Ok(_) => 0,
        Err(e) if e.is_rate_limited() => 2,
        Err(e) => match e.kind() {
            ErrorKind::Api => 1,
            ErrorKind::Transport => 3,
            ErrorKind::Timeout => 4,
            ErrorKind::InvalidArgument => 6,
            _ => 5,
        },
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &i.base)
            .field("app_token", &REDACTED)
            .field("connect_timeout", &i.connect_timeout)
            .field("timeout", &i.timeout)
            .field("user_agent", &i.user_agent)
            .field("retry", &i.retry)
            .finish()
    }
}

/// The request body, fields in the documented order.
#[derive(Serialize)]
struct PatchBody<'a> {
    enabled: bool,
    url: &'a str,
}

impl Client {
    /// A client with default settings.
    pub fn new(base_url: &str, app_token: &str) -> Result<Client> {
        Client::builder(base_url, app_token).build()
    }

    /// A builder for a client with other timeouts, user agent or retry policy.
    pub fn builder(base_url: &str, app_token: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            app_token: app_token.to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            user_agent: concat!("cinnox/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            proxy_from_env: true,
        }
    }

    /// The base URL requests go to: scheme, host and path prefix, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The retry policy this client follows.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The URL of `PATCH` for `app_id` and `kind`, the app ID percent-encoded as one path
    /// segment.
    ///
    /// Fails with [`ErrorKind::InvalidArgument`] for an empty app ID, `"."` or `".."`, or a
    /// slug of [`EventKind::Other`] that is empty or not made of letters, digits, `-`, `.`,
    /// `_` and `~`.
    pub fn subscription_url(&self, app_id: &str, kind: &EventKind) -> Result<String> {
        if app_id.is_empty() {
            return Err(Error::invalid_argument("the app ID is empty"));
        }
        if app_id == "." || app_id == ".." {
            return Err(Error::invalid_argument(format!(
                "the app ID {app_id:?} is not a valid path segment"
            )));
        }
        let slug = kind.slug();
        let slug_ok = !slug.is_empty()
            && slug != "."
            && slug != ".."
            && slug
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !slug_ok {
            return Err(Error::invalid_argument(format!(
                "the event slug {:?} is not a valid slug (letters, digits, '-', '.', '_', '~')",
                truncate_chars(slug, 64)
            )));
        }
        Ok(format!(
            "{}/v1/api/apps/{}/{}",
            self.inner.base,
            utf8_percent_encode(app_id, PATH_SEGMENT),
            slug
        ))
    }

    /// Create, edit (`enabled = true`) or remove (`enabled = false`) a subscription.
    ///
    /// Sends `PATCH {base}/v1/api/apps/{app_id}/{slug}` with the body
    /// `{"enabled":…,"url":…}` and returns the subscription as CINNOX reports it.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidArgument`]: empty app ID, a `url` that is not an absolute
    ///   `http`/`https` URL, a bad [`EventKind::Other`] slug. Nothing is sent.
    /// - [`ErrorKind::Api`]: CINNOX answered with an error object; see
    ///   [`Error::api_code`] and predicates such as [`Error::is_invalid_token`].
    /// - [`ErrorKind::UnexpectedResponse`]: the answer was not the documented JSON.
    /// - [`ErrorKind::Transport`], [`ErrorKind::Timeout`]: no answer in time.
    ///
    /// Transient failures are retried under the client's [`RetryPolicy`] first.
    pub fn set_subscription(
        &self,
        app_id: &str,
        kind: EventKind,
        enabled: bool,
        url: &str,
    ) -> Result<Subscription> {
        let family = kind.short_name().to_owned();
        let result = self.patch(app_id, kind, enabled, url);
        let counters = &self.inner.counters;
        counters.outcomes[outcome_index(&result)]
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match &result {
            Ok(sub) => log::debug!(
                "{} {family} for app {app_id}",
                if sub.enabled {
                    "subscribed"
                } else {
                    "unsubscribed"
                }
            ),
            // Messages are scrubbed of the token and the webhook path.
            Err(e) => log::warn!("subscription change of {family} for app {app_id} failed: {e}"),
        }
        result
    }

    /// The client's metrics in the Prometheus text format (see [`crate::metrics`]):
    /// `cinnox_subscribe_requests_total{outcome}` (`ok`, `api_error`, `rate_limited`,
    /// `transport`, `timeout`, `unexpected_response`, `invalid_argument`: one per
    /// `set_subscription` call, after its retries) and `cinnox_subscribe_retries_total`.
    /// Counted per client; clones share the counts.
    pub fn metrics(&self) -> String {
        let c = &self.inner.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
        let labels: Vec<[(&str, &str); 1]> = OUTCOMES.iter().map(|o| [("outcome", *o)]).collect();
        let values: Vec<(&[(&str, &str)], u64)> = labels
            .iter()
            .zip(&c.outcomes)
            .map(|(l, n)| (&l[..], get(n)))
            .collect();
        let mut e = crate::metrics::Exposition::default();
        e.counter(
            "cinnox_subscribe_requests_total",
            "Subscription changes by how they ended (after retries).",
            &values,
        );
        e.counter(
            "cinnox_subscribe_retries_total",
            "Attempts retried after a transient failure.",
            &[(&[], get(&c.retries))],
        );
        e.finish()
    }

    fn patch(
        &self,
        app_id: &str,
        kind: EventKind,
        enabled: bool,
        url: &str,
    ) -> Result<Subscription> {
        let target = self.subscription_url(app_id, &kind)?;
        validate_webhook_url(url)?;
        let secrets = Secrets::new(&self.inner.token, Some(url));
        let body = serde_json::to_vec(&PatchBody { enabled, url }).map_err(|e| {
            Error::invalid_argument("the request body could not be encoded").with_source(e)
        })?;

        let policy = &self.inner.retry;
        let started = Instant::now();
        let mut attempt: u32 = 1;
        loop {
            let failure = match self.attempt(&target, &body, &secrets) {
                Ok(sub) => return Ok(sub),
                Err(f) => f,
            };
            let give_up = |e: Error| {
                if attempt > 1 {
                    e.with_context(&format!("(gave up after {attempt} attempts)"))
                } else {
                    e
                }
            };
            if !failure.retryable || attempt >= policy.max_attempts {
                return Err(give_up(failure.error));
            }
            let delay =
                policy.delay_for(attempt, failure.error.retry_after(), crate::random::u64());
            if started.elapsed().saturating_add(delay) > policy.max_elapsed {
                return Err(give_up(failure.error));
            }
            self.inner
                .counters
                .retries
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            log::info!(
                "subscribe attempt {attempt} failed, retrying in {delay:?}: {}",
                failure.error
            );
            std::thread::sleep(delay);
            attempt += 1;
        }
    }

    /// `set_subscription(app_id, kind, true, url)`.
    pub fn subscribe(&self, app_id: &str, kind: EventKind, url: &str) -> Result<Subscription> {
        self.set_subscription(app_id, kind, true, url)
    }

    /// `set_subscription(app_id, kind, false, url)`.
    pub fn unsubscribe(&self, app_id: &str, kind: EventKind, url: &str) -> Result<Subscription> {
        self.set_subscription(app_id, kind, false, url)
    }

    /// One request and the reading of its answer.
    fn attempt(
        &self,
        target: &str,
        body: &[u8],
        secrets: &Secrets,
    ) -> std::result::Result<Subscription, Failure> {
        let inner = &self.inner;
        let response = inner
            .agent
            .patch(target)
            .header("Authorization", inner.authorization.as_str())
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(body)
            .map_err(|e| self.transport_failure(e, secrets))?;

        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));

        let mut bytes = Vec::new();
        let mut reader = response
            .into_body()
            .into_with_config()
            .reader()
            .take(BODY_LIMIT as u64 + 1);
        if let Err(e) = reader.read_to_end(&mut bytes) {
            return Err(self.transport_failure(ureq::Error::from(e), secrets));
        }

        let reply = Reply {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or(""),
            body: &bytes,
        };
        interpret(&reply, secrets).map_err(|mut f| {
            if let Some(delay) = retry_after {
                f.error = f.error.with_retry_after(delay);
            }
            f
        })
    }

    /// Classify an error of ureq: no HTTP answer, or a broken one.
    fn transport_failure(&self, e: ureq::Error, secrets: &Secrets) -> Failure {
        let origin = origin_of(&self.inner.base);
        let (kind, retryable, what) = match &e {
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => (
                ErrorKind::Timeout,
                true,
                format!(
                    "could not connect within the connect timeout ({:?})",
                    self.inner.connect_timeout
                ),
            ),
            ureq::Error::Timeout(_) => (
                ErrorKind::Timeout,
                true,
                format!(
                    "no complete reply within the timeout ({:?})",
                    self.inner.timeout
                ),
            ),
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                (ErrorKind::Timeout, true, format!("no reply in time ({io})"))
            }
            _ if answered_in_plain_http(&e) => (ErrorKind::Transport, false, PLAIN_HTTP.into()),
            // rustls reports handshake and certificate failures as InvalidData; they do not
            // heal by retrying.
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => (
                ErrorKind::Transport,
                false,
                format!("the connection failed (TLS or data error: {io})"),
            ),
            ureq::Error::Io(io) => (ErrorKind::Transport, true, io_description(io)),
            ureq::Error::HostNotFound => (
                ErrorKind::Transport,
                true,
                "the host name could not be resolved".to_owned(),
            ),
            ureq::Error::ConnectionFailed | ureq::Error::ConnectProxyFailed(_) => (
                ErrorKind::Transport,
                true,
                format!("could not connect: {e}"),
            ),
            ureq::Error::Protocol(_) => (
                ErrorKind::Transport,
                true,
                format!("the reply was not valid HTTP/1.1 ({e})"),
            ),
            ureq::Error::LargeResponseHeader(..) => (
                ErrorKind::UnexpectedResponse,
                false,
                format!("the reply headers are too large ({e})"),
            ),
            ureq::Error::BadUri(_)
            | ureq::Error::Http(_)
            | ureq::Error::RequireHttpsOnly(_)
            | ureq::Error::InvalidProxyUrl => (
                ErrorKind::InvalidArgument,
                false,
                format!("the request could not be made ({e})"),
            ),
            ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => (
                ErrorKind::UnexpectedResponse,
                false,
                format!("the server redirected ({e})"),
            ),
            // TLS failures (certificates, handshake) do not heal by retrying; everything
            // else left (non-exhaustive) is a transport failure too.
            _ => (ErrorKind::Transport, false, e.to_string()),
        };
        let message = secrets.scrub(&format!("{origin}: {what}"));
        Failure {
            error: Error::new(kind, message).with_source(e),
            retryable,
        }
    }
}

impl ClientBuilder {
    /// Connect timeout (default 10 s): DNS, TCP and TLS set-up of one attempt.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }
    /// Timeout of each step of one attempt after connecting (default 30 s): sending the
    /// request head, sending its body, waiting for the reply's head, reading the reply's
    /// body. A stalled server is cut off after at most this long in any step; an attempt
    /// takes at most the connect timeout plus four times this. With retries, a call can take
    /// up to `max_attempts` times that plus the delays.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// The `User-Agent` header (default `cinnox/<version>`).
    pub fn user_agent(mut self, ua: &str) -> Self {
        self.user_agent = ua.to_owned();
        self
    }
    /// The retry policy (default [`RetryPolicy::default`]; [`RetryPolicy::none`] turns
    /// retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Whether to use a proxy named by the `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` and
    /// `NO_PROXY` environment variables (default `true`). `false` always connects directly.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy_from_env = yes;
        self
    }
    /// Validate the settings and build the client.
    ///
    /// Fails with [`ErrorKind::InvalidArgument`] when the base URL is not an absolute
    /// `http`/`https` URL (or carries user info, a query or a fragment), the App Token is
    /// empty or holds whitespace, control or non-ASCII characters, the user agent is not a
    /// valid header value, a timeout is zero, or `max_attempts` is 0.
    pub fn build(self) -> Result<Client> {
        let base = normalize_base_url(&self.base_url)?;
        validate_token(&self.app_token)?;
        if self.user_agent.is_empty() || !self.user_agent.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(Error::invalid_argument(
                "the user agent must be non-empty printable ASCII",
            ));
        }
        if self.connect_timeout.is_zero() || self.timeout.is_zero() {
            return Err(Error::invalid_argument("timeouts must be longer than zero"));
        }
        self.retry.validate()?;

        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(self.connect_timeout))
            // Per step rather than `timeout_global`: ureq re-arms the socket timeouts with
            // the remaining global time on every read and write, which tripled the CPU cost
            // of a kept-alive PATCH (benches/client.rs); step timeouts keep a stall bounded
            // without that.
            .timeout_send_request(Some(self.timeout))
            .timeout_send_body(Some(self.timeout))
            .timeout_recv_response(Some(self.timeout))
            .timeout_recv_body(Some(self.timeout))
            .user_agent(self.user_agent.as_str())
            // A redirect would re-send the token elsewhere or drop the PATCH body; report it.
            .max_redirects(0);
        if !self.proxy_from_env {
            config = config.proxy(None);
        }
        let agent = config.build().new_agent();

        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                base,
                authorization: format!("Bearer {}", self.app_token),
                token: self.app_token,
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                user_agent: self.user_agent,
                retry: self.retry,
                counters: Counters::default(),
            }),
        })
    }
}

/// An attempt's failure and whether another attempt may heal it.
struct Failure {
    error: Error,
    retryable: bool,
}

/// An HTTP answer, read in full (up to the limit).
struct Reply<'a> {
    status: u16,
    reason: &'a str,
    body: &'a [u8],
}

impl Reply<'_> {
    fn status_text(&self) -> String {
        if self.reason.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            format!("HTTP {} {}", self.status, self.reason)
        }
    }
}

/// Read CINNOX's answer: a subscription, an API error, or something unexpected.
fn interpret(reply: &Reply<'_>, secrets: &Secrets) -> std::result::Result<Subscription, Failure> {
    // The common case first, read straight into the answer's shape; anything else (errors,
    // odd shapes) is read below through a `Value`, which explains what is wrong.
    if (200..300).contains(&reply.status) && reply.body.len() <= BODY_LIMIT {
        if let Ok(ok) = serde_json::from_slice::<SuccessShape>(reply.body) {
            return Ok(Subscription {
                enabled: ok.result.enabled,
                url: ok.result.url,
                updated_at: ok.result.updated_at,
            });
        }
    }
    let transient_status = matches!(reply.status, 429 | 502 | 503 | 504);
    let unexpected = |what: &str| {
        let message = format!(
            "{} {what}: {}",
            reply.status_text(),
            quote(reply.body, secrets)
        );
        Failure {
            error: Error::new(ErrorKind::UnexpectedResponse, message)
                .with_http_status(reply.status),
            retryable: transient_status,
        }
    };

    if reply.body.len() > BODY_LIMIT {
        return Err(unexpected("with a body larger than 1 MiB"));
    }
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        let message = format!("{} with an empty body", reply.status_text());
        return Err(Failure {
            error: Error::new(ErrorKind::UnexpectedResponse, message)
                .with_http_status(reply.status),
            retryable: transient_status,
        });
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(reply.body) else {
        return Err(unexpected("with a body that is not a JSON object"));
    };

    let success = (200..300).contains(&reply.status);
    if success {
        match map.get("result") {
            Some(Value::Object(result)) => return read_subscription(result).map_err(unexpected),
            None | Some(Value::Null) => {}
            Some(_) => {
                if api_code_of(&map).is_none_or(|c| c == 0) {
                    return Err(unexpected("with a \"result\" that is not an object"));
                }
            }
        }
    }
    if let Some(code) = api_code_of(&map).filter(|&c| c != 0) {
        let message = match map.get("message") {
            Some(Value::String(s)) => secrets.scrub(s),
            _ => String::new(),
        };
        let never = matches!(
            code,
            crate::error::api_code::INVALID_TOKEN
                | crate::error::api_code::INVALID_APP_ID
                | crate::error::api_code::PARAMETER_ERROR
        );
        let retryable =
            !never && (transient_status || code == crate::error::api_code::TOO_MANY_REQUESTS);
        return Err(Failure {
            error: Error::api(reply.status, code, message),
            retryable,
        });
    }
    if success {
        Err(unexpected("without a \"result\" object or an error code"))
    } else {
        Err(unexpected("without an error code"))
    }
}

/// A success as CINNOX documents it: `{"code":…,"result":{"enabled","url","updatedAt"?}}`
/// (`code` and other fields are not read).
#[derive(serde::Deserialize)]
struct SuccessShape {
    result: ResultShape,
}

#[derive(serde::Deserialize)]
struct ResultShape {
    enabled: bool,
    url: String,
    #[serde(rename = "updatedAt", default)]
    updated_at: Option<String>,
}

/// `result.enabled`, `result.url` and the optional `result.updatedAt`.
fn read_subscription(
    result: &serde_json::Map<String, Value>,
) -> std::result::Result<Subscription, &'static str> {
    let Some(enabled) = result.get("enabled").and_then(Value::as_bool) else {
        return Err("with \"result.enabled\" missing or not a boolean");
    };
    let Some(url) = result.get("url").and_then(Value::as_str) else {
        return Err("with \"result.url\" missing or not a string");
    };
    let updated_at = match result.get("updatedAt") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("with \"result.updatedAt\" not a string"),
    };
    Ok(Subscription {
        enabled,
        url: url.to_owned(),
        updated_at,
    })
}

/// The `code` of an answer: a JSON integer, or a string of digits.
fn api_code_of(map: &serde_json::Map<String, Value>) -> Option<i64> {
    match map.get("code")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The start of a body for an error message: lossy UTF-8, the secrets scrubbed, at most
/// [`QUOTE_CHARS`] characters, control characters and quotes escaped, in double quotes.
fn quote(body: &[u8], secrets: &Secrets) -> String {
    // Enough bytes for QUOTE_CHARS characters plus a secret that straddles the cut.
    let window = &body[..body.len().min(QUOTE_CHARS * 4 + secrets.longest())];
    let text = secrets.scrub(&String::from_utf8_lossy(window));
    let mut out = String::with_capacity(QUOTE_CHARS + 8);
    out.push('"');
    let mut chars = text.chars();
    for c in chars.by_ref().take(QUOTE_CHARS) {
        out.extend(c.escape_debug());
    }
    out.push('"');
    if chars.next().is_some() || window.len() < body.len() {
        out.push('…');
    }
    out
}

fn truncate_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The secrets of one call, in every form a server might echo them in: the App Token and
/// the webhook URL's path and query (the URL's secret part), each as it is, as a JSON string
/// carries it (`"` and `\\` escaped, `/` optionally as `\/`), and percent-encoded (upper- and
/// lower-case hex). Error messages show [`REDACTED`] in their place.
struct Secrets<'a> {
    token: &'a str,
    webhook_url: Option<&'a str>,
}

impl<'a> Secrets<'a> {
    /// Cheap: the forms are made only when a message is scrubbed (on failure).
    fn new(token: &'a str, webhook_url: Option<&'a str>) -> Secrets<'a> {
        Secrets { token, webhook_url }
    }

    /// Every form of every secret, longest first, so that a form containing another is
    /// replaced whole.
    fn forms(&self) -> Vec<String> {
        let mut forms = Vec::new();
        let mut add = |secret: &str| {
            let json = secret.replace('\\', "\\\\").replace('"', "\\\"");
            let json_slash = json.replace('/', "\\/");
            // Encoders differ on `-._~`: some leave them, some escape every non-alphanumeric.
            let encoded = utf8_percent_encode(secret, PERCENT_ECHO).to_string();
            let encoded_all = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
            let lower = lower_hex_escapes(&encoded);
            let lower_all = lower_hex_escapes(&encoded_all);
            let forms_of_secret = [
                secret.to_owned(),
                json,
                json_slash,
                encoded,
                encoded_all,
                lower,
                lower_all,
            ];
            for form in forms_of_secret {
                if !form.is_empty() && !forms.contains(&form) {
                    forms.push(form);
                }
            }
        };
        add(self.token);
        if let Some(secret) = self.webhook_url.and_then(url_secret) {
            add(secret);
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms
    }

    /// The longest form, so that a quote's window can hold a secret that straddles its cut:
    /// percent-encoding at most triples a secret.
    fn longest(&self) -> usize {
        3 * self
            .token
            .len()
            .max(self.webhook_url.and_then(url_secret).map_or(0, str::len))
    }

    /// `text` with every form of every secret replaced.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for form in self.forms() {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Bytes percent-encoded when a secret is echoed in a URL or a form: all but the unreserved.
const PERCENT_ECHO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `%2F` -> `%2f`: the other spelling of the same percent-encoding.
fn lower_hex_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[i + escape.len()..];
    }
    out.push_str(rest);
    out
}

/// The secret part of a webhook URL: its path and query (`/cinnox/s3cr3t?k=v`), or `None`
/// when there is none worth hiding (no path, or just `/`).
fn url_secret(url: &str) -> Option<&str> {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let start = rest.find(['/', '?'])?;
    let secret = &rest[start..];
    let secret = secret.split('#').next().unwrap_or(secret);
    (secret.len() > 1).then_some(secret)
}

fn io_description(io: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match io.kind() {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::UnexpectedEof => "the connection closed before the reply was complete",
        K::BrokenPipe => "the connection closed while sending",
        K::NotConnected => "not connected",
        _ => "I/O error",
    };
    format!("{what} ({io})")
}

/// `scheme://authority` of a normalized base URL, for messages.
fn origin_of(base: &str) -> &str {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    }
}

/// Check a base URL and bring it to `scheme://authority[/prefix]` without a trailing slash.
fn normalize_base_url(base: &str) -> Result<String> {
    let uri: Uri = base.parse().map_err(|e| {
        Error::invalid_argument(format!(
            "the base URL does not parse as a URL ({e}); expected e.g. https://host/"
        ))
    })?;
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let scheme = match scheme.as_deref() {
        Some(s @ ("http" | "https")) => s.to_owned(),
        _ => {
            return Err(Error::invalid_argument(
                "the base URL must be an absolute http or https URL, e.g. https://host/",
            ))
        }
    };
    let Some(authority) = uri.authority() else {
        return Err(Error::invalid_argument("the base URL has no host"));
    };
    if authority.as_str().contains('@') {
        return Err(Error::invalid_argument(
            "the base URL must not carry user info; the App Token authenticates",
        ));
    }
    if authority.host().is_empty() {
        return Err(Error::invalid_argument("the base URL has no host"));
    }
    if uri.query().is_some() || base.contains('#') {
        return Err(Error::invalid_argument(
            "the base URL must not have a query or a fragment",
        ));
    }
    let prefix = uri.path().trim_end_matches('/');
    Ok(format!("{scheme}://{}{prefix}", authority.as_str()))
}

fn validate_token(token: &str) -> Result<()> {
    if token.is_empty() {
        return Err(Error::invalid_argument("the App Token is empty"));
    }
    if !token.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(Error::invalid_argument(
            "the App Token contains whitespace, a control character or a non-ASCII \
             character, which an HTTP header cannot carry",
        ));
    }
    Ok(())
}

/// A webhook URL must be an absolute http or https URL with a host.
fn validate_webhook_url(url: &str) -> Result<()> {
    if url.is_empty() {
        return Err(Error::invalid_argument("the webhook URL is empty"));
    }
    match webhook_url_problem(url) {
        None => Ok(()),
        Some(why) => Err(Error::invalid_argument(format!(
            "the webhook URL {:?} {why}",
            truncate_chars(&redact_url(url), 100)
        ))),
    }
}

/// What is wrong with `url` as a webhook URL (absolute http or https, with a host), or
/// `None`. Shared by the client and the sandbox so both read URLs alike.
pub(crate) fn webhook_url_problem(url: &str) -> Option<&'static str> {
    // `Uri` takes non-ASCII white space (U+00A0, …); a URL carries it percent-encoded.
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("contains white space or control characters");
    }
    let Ok(uri) = url.parse::<Uri>() else {
        return Some("does not parse as a URL (absolute http or https expected)");
    };
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http" | "https") => {}
        _ => return Some("is not an absolute http or https URL"),
    }
    match uri.authority() {
        Some(a) if !a.host().is_empty() => None,
        _ => Some("has no host"),
    }
}

/// `Retry-After` as delta-seconds or an HTTP-date (IMF-fixdate), relative to `now`.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurdly long number still means "a long time": saturate.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_imf_fixdate(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as seconds since the Unix epoch.
fn parse_imf_fixdate(s: &str) -> Option<u64> {
    let rest = s.split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let sec: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() || hms.next().is_some() {
        return None;
    }
    // IMF-fixdate has a four-digit year; a larger one (sent by anyone) would overflow the
    // arithmetic below.
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    // Days from civil (proleptic Gregorian), H. Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let days = u64::try_from(days).ok()?;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base_ms: u64, max_ms: u64) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(base_ms),
            max_delay: Duration::from_millis(max_ms),
            max_elapsed: Duration::from_secs(60),
        }
    }

    #[test]
    fn delay_doubles_with_equal_jitter_and_stays_within_bounds() {
        let p = policy(100, 1_000);
        for (retry, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1_000),
            (40, 1_000),
        ] {
            let full = Duration::from_millis(full);
            assert_eq!(p.delay_for(retry, None, 0), full / 2, "retry {retry}");
            assert_eq!(
                p.delay_for(retry, None, u64::MAX),
                full / 2 + Duration::from_nanos(u64::MAX % (full.as_nanos() as u64 / 2 + 1))
            );
            for r in [1u64, 7, 1 << 20, 1 << 40, u64::MAX - 3] {
                let d = p.delay_for(retry, None, r);
                assert!(
                    d >= full / 2 && d <= full,
                    "retry {retry} random {r}: {d:?}"
                );
            }
        }
        // The top of the range is reachable.
        let full = Duration::from_millis(100).as_nanos() as u64;
        assert_eq!(p.delay_for(1, None, full / 2), Duration::from_millis(100));
    }

    #[test]
    fn delay_saturates_instead_of_overflowing() {
        let p = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..RetryPolicy::default()
        };
        assert!(p.delay_for(u32::MAX, None, u64::MAX) >= Duration::MAX / 2);
        assert_eq!(policy(0, 0).delay_for(3, None, 99), Duration::ZERO);
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = policy(100, 1_000);
        assert_eq!(
            p.delay_for(1, Some(Duration::from_millis(300)), 5),
            Duration::from_millis(300)
        );
        assert_eq!(
            p.delay_for(3, Some(Duration::from_secs(3600)), 5),
            Duration::from_secs(1)
        );
        assert_eq!(p.delay_for(3, Some(Duration::ZERO), 5), Duration::ZERO);
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // 1994-11-06 08:49:30 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        assert_eq!(parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_imf_fixdate("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
    }

    #[test]
    fn retry_after_with_a_year_out_of_range_is_ignored_not_a_panic() {
        // The header comes from the server: a date no arithmetic can hold is no date.
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        for far in [
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
            "Sun, 06 Nov 1000000000000000 08:49:37 GMT",
            "Sun, 06 Nov 10000 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(far, now), None, "{far:?}");
        }
        assert_eq!(
            parse_imf_fixdate("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799)
        );
    }

    #[test]
    fn base_urls_normalize() {
        for (given, want) in [
            ("https://h.example", "https://h.example"),
            ("https://h.example/", "https://h.example"),
            (
                "HTTPS://h.example:8443/proxy/",
                "https://h.example:8443/proxy",
            ),
            ("http://127.0.0.1:9/a/b", "http://127.0.0.1:9/a/b"),
        ] {
            assert_eq!(normalize_base_url(given).unwrap(), want, "{given}");
        }
        for bad in [
            "",
            "h.example",
            "/v1",
            "ftp://h.example/",
            "https://",
            "https://u:p@h.example/",
            "https://h.example/?x=1",
            "https://h.example/#f",
            "https://h example/",
        ] {
            let e = normalize_base_url(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
            assert!(!e.to_string().contains("u:p"), "{e}");
        }
    }

    #[test]
    fn a_token_echoed_json_escaped_is_scrubbed_too() {
        let token = r#"ab/c"d\e"#;
        let body = br#"{"message":"bad token ab\/c\"d\\e and ab/c\"d\\e"}"#;
        let q = quote(body, &Secrets::new(token, None));
        assert!(!q.contains("ab\\\\/c") && !q.contains("ab/c"), "{q}");
        assert_eq!(q.matches(REDACTED).count(), 2, "{q}");
    }

    #[test]
    fn quotes_are_bounded_escaped_and_scrubbed() {
        assert_eq!(
            quote(b"<html>\r\n</html>", &tok()),
            "\"<html>\\r\\n</html>\""
        );
        let long = "x".repeat(1000);
        let q = quote(long.as_bytes(), &tok());
        assert_eq!(q, format!("\"{}\"…", "x".repeat(QUOTE_CHARS)));
        assert_eq!(quote(b"bad \xff byte", &tok()), "\"bad \u{fffd} byte\"");
        assert_eq!(
            quote(
                b"echo secret-token here",
                &Secrets::new("secret-token", None)
            ),
            "\"echo [redacted] here\""
        );
    }

    fn tok() -> Secrets<'static> {
        Secrets::new("tok", None)
    }

    #[test]
    fn every_echoed_form_of_the_token_and_the_webhook_path_is_scrubbed() {
        let secrets = Secrets::new(
            "tok/SECRET+x",
            Some("https://rx.example:8443/cinnox/s3cr3t?k=v#frag"),
        );
        for echoed in [
            "tok/SECRET+x",
            "tok\\/SECRET+x",
            "tok%2FSECRET%2Bx",
            "tok%2fSECRET%2bx",
            "/cinnox/s3cr3t?k=v",
            "\\/cinnox\\/s3cr3t?k=v",
            "%2Fcinnox%2Fs3cr3t%3Fk%3Dv",
            "%2fcinnox%2fs3cr3t%3fk%3dv",
            "https%3A%2F%2Frx.example%3A8443%2Fcinnox%2Fs3cr3t%3Fk%3Dv",
        ] {
            let text = format!("before {echoed} after");
            let scrubbed = secrets.scrub(&text);
            assert!(!scrubbed.contains("SECRET"), "{echoed}: {scrubbed}");
            assert!(!scrubbed.contains("s3cr3t"), "{echoed}: {scrubbed}");
            assert!(scrubbed.contains(REDACTED), "{echoed}: {scrubbed}");
            assert!(scrubbed.starts_with("before ") && scrubbed.ends_with(" after"));
        }
        // The host stays readable; a bare `/` path is no secret and is left alone.
        assert!(secrets.scrub("rx.example:8443").contains("rx.example"));
        let plain = Secrets::new("tok", Some("https://rx.example/"));
        assert_eq!(plain.scrub("a/b/c"), "a/b/c");
    }

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(origin_of("https://h.example:1/p/q"), "https://h.example:1");
        assert_eq!(origin_of("http://h"), "http://h");
    }
}
