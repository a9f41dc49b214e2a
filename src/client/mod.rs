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
use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use crate::{Error, ErrorKind, EventKind, Result};

/// The most bytes of a reply body the client reads; a longer body is an unexpected response.
const BODY_LIMIT: usize = 1 << 20;

/// The most characters of a reply body quoted in an error message.
const QUOTE_CHARS: usize = 200;

/// Characters that stay literal in a path segment: RFC 3986 "unreserved".
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

mod answer;
mod builder;
mod retry;
mod scrub;

pub use builder::ClientBuilder;
pub use retry::{RetryPolicy, RetryPolicyBuilder};

use crate::urls::{answered_in_plain_http, redact_url, PLAIN_HTTP};
use answer::{interpret, io_description, truncate_chars, Failure, Reply};
use builder::{origin_of, validate_webhook_url};
use retry::parse_retry_after;
use scrub::{Secrets, REDACTED};

/// A subscription as CINNOX reports it after a PATCH.
///
/// `Debug` shows the URL without its path and query, where the webhook's secret lives.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
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
        ClientBuilder::new(base_url, app_token)
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
            if !failure.retryable || attempt >= policy.max_attempts() {
                return Err(give_up(failure.error));
            }
            let delay =
                policy.delay_for(attempt, failure.error.retry_after(), crate::random::u64());
            if started.elapsed().saturating_add(delay) > policy.max_elapsed() {
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
