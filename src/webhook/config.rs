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
/// [`WebhookConfig::clock`].
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The verifier's policy. Built with [`WebhookConfig::new`] and chained setters.
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
    /// constructors call; a [`Webhook`](super::Webhook) built from such a config answers every request 404.
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
    pub(super) fn has_secret_path(&self) -> bool {
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
