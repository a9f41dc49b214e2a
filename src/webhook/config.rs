//! [`WebhookConfig`]: the verifier's settings.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipnet::IpNet;

use crate::Error;

/// The default body cap: 64 KiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// The default dedup window: 10 minutes.
pub const DEFAULT_DEDUP_WINDOW: Duration = Duration::from_secs(600);
/// The default number of remembered dedup keys.
pub const DEFAULT_DEDUP_CAPACITY: usize = 10_000;

/// A source of the current time, for the dedup window. Inject one in tests with
/// [`WebhookConfigBuilder::clock`].
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The verifier's policy: the secret path and the limits a request must keep. Made by
/// [`WebhookConfig::builder`] (or [`WebhookConfig::new`] for the defaults), checked once by
/// [`WebhookConfigBuilder::build`], so an invalid policy cannot exist; it does not change
/// afterwards.
///
/// ```
/// # use std::time::Duration;
/// let config = cinnox::WebhookConfig::builder("/cinnox/s3cr3t")
///     .max_body(32 * 1024)
///     .allow_source("203.0.113.0/24")
///     .trust_proxy("10.0.0.0/8")
///     .dedup_window(Some(Duration::from_secs(300)))
///     .build()?;
/// assert_eq!(config.max_body(), 32 * 1024);
/// # Ok::<(), cinnox::Error>(())
/// ```
///
/// `Debug` shows the policy but never the path (it holds the secret).
#[derive(Clone)]
pub struct WebhookConfig {
    pub(super) path: String,
    pub(super) max_body: usize,
    pub(super) allow: Vec<IpNet>,
    pub(super) proxies: Vec<IpNet>,
    pub(super) dedup_window: Option<Duration>,
    pub(super) dedup_capacity: usize,
    pub(super) clock: Option<Clock>,
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

/// Configures a [`WebhookConfig`]: made by [`WebhookConfig::builder`]; nothing is checked
/// until [`build`](WebhookConfigBuilder::build).
#[derive(Clone)]
pub struct WebhookConfigBuilder {
    path: String,
    max_body: usize,
    allow: Vec<String>,
    proxies: Vec<String>,
    dedup_window: Option<Duration>,
    dedup_capacity: usize,
    clock: Option<Clock>,
}

impl fmt::Debug for WebhookConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfigBuilder")
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
    /// A builder that answers only on `path` (e.g. `/cinnox/<secret>`), with safe defaults
    /// for the rest.
    ///
    /// A path without a leading `/` gets one (`"cinnox/s3cret"` is `"/cinnox/s3cret"`); a
    /// `?` and what follows it are dropped. Only the path part of a request target is
    /// compared; a query string is ignored. The path is the secret that keeps strangers out:
    /// an empty path or `/` is refused by [`build`](WebhookConfigBuilder::build).
    pub fn builder(path: &str) -> WebhookConfigBuilder {
        WebhookConfigBuilder {
            path: path.to_owned(),
            max_body: DEFAULT_MAX_BODY,
            allow: Vec::new(),
            proxies: Vec::new(),
            dedup_window: Some(DEFAULT_DEDUP_WINDOW),
            dedup_capacity: DEFAULT_DEDUP_CAPACITY,
            clock: None,
        }
    }

    /// The defaults on `path`: `WebhookConfig::builder(path).build()`.
    pub fn new(path: &str) -> crate::Result<WebhookConfig> {
        WebhookConfig::builder(path).build()
    }

    /// The largest body accepted; larger gets 413.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The configured path. It holds the secret: do not log it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The duplicate window; `None` when duplicate detection is off.
    pub fn dedup_window(&self) -> Option<Duration> {
        self.dedup_window
            .filter(|w| !w.is_zero() && self.dedup_capacity > 0)
    }

    /// How many dedup keys are remembered at most.
    pub fn dedup_capacity(&self) -> usize {
        self.dedup_capacity
    }
}

impl WebhookConfigBuilder {
    /// The largest body accepted (default 64 KiB); larger gets 413.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Only accept requests from this network (CIDR text, v4 or v6; a bare address is a
    /// network of one). Repeatable; until it is called every source is allowed. Text that
    /// is no network fails [`build`](Self::build).
    pub fn allow_source(mut self, cidr: &str) -> Self {
        self.allow.push(cidr.to_owned());
        self
    }

    /// Trust `X-Forwarded-For` from peers in this network (CIDR text, or a bare address).
    /// Repeatable. Text that is no network fails [`build`](Self::build).
    pub fn trust_proxy(mut self, cidr: &str) -> Self {
        self.proxies.push(cidr.to_owned());
        self
    }

    /// The duplicate window (default 10 minutes); `None` or zero turns duplicate detection
    /// off.
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

    /// The policy, checked: fails with
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for a path that
    /// keeps nobody out (empty, or `/`) and for a source or proxy that is no network, naming
    /// the text.
    pub fn build(self) -> crate::Result<WebhookConfig> {
        // A query is never part of the compared path.
        let path = match self.path.find('?') {
            Some(i) => &self.path[..i],
            None => &self.path,
        };
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        if path.len() <= 1 {
            return Err(Error::invalid_argument(
                "the webhook path must not be empty or \"/\": it is the secret that keeps \
                 strangers out (use e.g. \"/cinnox/<random>\")",
            ));
        }
        let allow = self
            .allow
            .iter()
            .map(|c| parse_net(c, "allowed source"))
            .collect::<crate::Result<_>>()?;
        let proxies = self
            .proxies
            .iter()
            .map(|c| parse_net(c, "trusted proxy"))
            .collect::<crate::Result<_>>()?;
        Ok(WebhookConfig {
            path,
            max_body: self.max_body,
            allow,
            proxies,
            dedup_window: self.dedup_window,
            dedup_capacity: self.dedup_capacity,
            clock: self.clock,
        })
    }
}
