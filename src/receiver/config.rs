//! [`ReceiverConfig`]: the receiver's settings, beside the [`WebhookConfig`] policy.

use std::fmt;
use std::net::SocketAddr;
#[cfg(feature = "https")]
use std::sync::Arc;
use std::time::Duration;

use crate::webhook::WebhookConfig;
use crate::{Error, Result};

/// The longest timeout or grace accepted: deadlines are computed by adding them to the
/// current time, which must not overflow.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The most I/O threads accepted.
const MAX_IO_THREADS: usize = 64;

/// Everything a [`Receiver`](super::Receiver) runs with: the [`WebhookConfig`] policy, the
/// server's deadlines and limits, an inbox, a metrics address and HTTPS. Made by
/// [`ReceiverConfig::builder`] (or from a `WebhookConfig` with the defaults), checked by
/// [`ReceiverConfigBuilder::build`], then given to [`Receiver::bind`](super::Receiver::bind)(super::Receiver::bind).
///
/// ```no_run
/// # use std::time::Duration;
/// use cinnox::{Inbox, Receiver, ReceiverConfig, WebhookConfig};
///
/// let config = ReceiverConfig::builder(WebhookConfig::new("/cinnox/s3cr3t")?)
///     .inbox(Inbox::open("cinnox-inbox.db")?)
///     .read_timeout(Duration::from_secs(5))
///     .metrics_addr("127.0.0.1:9464".parse().unwrap())
///     .build()?;
/// let receiver = Receiver::bind("0.0.0.0:8080", config)?;
/// # Ok::<(), cinnox::Error>(())
/// ```
#[derive(Clone)]
pub struct ReceiverConfig {
    pub(crate) webhook: WebhookConfig,
    pub(crate) read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_grace: Duration,
    pub(crate) io_threads: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) per_source_limit: usize,
    pub(crate) min_body_rate: u64,
    pub(crate) inbox: Option<crate::Inbox>,
    pub(crate) metrics_addr: Option<SocketAddr>,
    #[cfg(feature = "https")]
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
}

impl fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ReceiverConfig");
        d.field("webhook", &self.webhook)
            .field("read_timeout", &self.read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("io_threads", &self.io_threads)
            .field("header_timeout", &self.header_timeout)
            .field("per_source_limit", &self.per_source_limit)
            .field("min_body_rate", &self.min_body_rate)
            .field("inbox", &self.inbox)
            .field("metrics_addr", &self.metrics_addr);
        #[cfg(feature = "https")]
        d.field("tls", &self.tls.as_ref().map(|_| "on"));
        d.finish()
    }
}

/// Configures a [`ReceiverConfig`]: made by [`ReceiverConfig::builder`] with the defaults;
/// nothing is checked until [`build`](ReceiverConfigBuilder::build).
#[derive(Clone)]
pub struct ReceiverConfigBuilder {
    config: ReceiverConfig,
    #[cfg(feature = "https")]
    tls_pem: Option<(Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for ReceiverConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The private key never shows.
        f.debug_struct("ReceiverConfigBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ReceiverConfig {
    /// A builder answering with the `webhook` policy, with the defaults for the rest.
    pub fn builder(webhook: WebhookConfig) -> ReceiverConfigBuilder {
        ReceiverConfigBuilder {
            config: ReceiverConfig {
                webhook,
                read_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(30),
                max_connections: 10_000,
                shutdown_grace: Duration::from_secs(5),
                io_threads: 1,
                header_timeout: Duration::from_secs(5),
                per_source_limit: 0,
                min_body_rate: 1024,
                inbox: None,
                metrics_addr: None,
                #[cfg(feature = "https")]
                tls: None,
            },
            #[cfg(feature = "https")]
            tls_pem: None,
        }
    }

    /// The defaults with the `webhook` policy: `ReceiverConfig::builder(webhook).build()`.
    pub fn new(webhook: WebhookConfig) -> Result<ReceiverConfig> {
        ReceiverConfig::builder(webhook).build()
    }

    /// The webhook policy.
    pub fn webhook(&self) -> &WebhookConfig {
        &self.webhook
    }

    /// See [`ReceiverConfigBuilder::read_timeout`].
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// See [`ReceiverConfigBuilder::idle_timeout`].
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// See [`ReceiverConfigBuilder::max_connections`].
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// See [`ReceiverConfigBuilder::shutdown_grace`].
    pub fn shutdown_grace(&self) -> Duration {
        self.shutdown_grace
    }

    /// See [`ReceiverConfigBuilder::io_threads`].
    pub fn io_threads(&self) -> usize {
        self.io_threads
    }

    /// See [`ReceiverConfigBuilder::header_timeout`].
    pub fn header_timeout(&self) -> Duration {
        self.header_timeout
    }

    /// See [`ReceiverConfigBuilder::per_source_limit`].
    pub fn per_source_limit(&self) -> usize {
        self.per_source_limit
    }

    /// See [`ReceiverConfigBuilder::min_body_rate`].
    pub fn min_body_rate(&self) -> u64 {
        self.min_body_rate
    }

    /// See [`ReceiverConfigBuilder::inbox`].
    pub fn inbox(&self) -> Option<&crate::Inbox> {
        self.inbox.as_ref()
    }

    /// See [`ReceiverConfigBuilder::metrics_addr`].
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Whether the receiver serves HTTPS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "https")]
        return self.tls.is_some();
        #[cfg(not(feature = "https"))]
        false
    }
}

impl From<WebhookConfig> for ReceiverConfig {
    /// The defaults with this policy (they are always valid).
    fn from(webhook: WebhookConfig) -> ReceiverConfig {
        ReceiverConfig::builder(webhook).config
    }
}

impl ReceiverConfigBuilder {
    /// Longest time for a whole request (head and body) from its first byte (for the first
    /// request of a connection, from the accept); default 10 s. Like the other durations
    /// here, at most [`MAX_TIMEOUT`].
    ///
    /// It also bounds how long replies may wait unread by a peer that stopped reading:
    /// past it the connection is cut.
    pub fn read_timeout(mut self, value: Duration) -> Self {
        self.config.read_timeout = value;
        self
    }

    /// A keep-alive connection idle this long is closed; default 30 s.
    pub fn idle_timeout(mut self, value: Duration) -> Self {
        self.config.idle_timeout = value;
        self
    }

    /// Open connections at most; default 10,000.
    ///
    /// At the limit, a new connection evicts the open connection that has been idle, or
    /// has had its request incomplete, the longest (counted in
    /// [`ReceiverStats::evicted_connections`](super::ReceiverStats::evicted_connections)). Only when none can be evicted (every
    /// connection waits for the application's answer) is the new one refused: it reads
    /// `503 Service Unavailable` with `Retry-After: 1`, and what it sent is discarded for
    /// at most 2 s (or the read timeout) and 256 KiB before it is closed, so that it reads
    /// the 503 rather than a reset. The process needs a file-descriptor limit above
    /// `max_connections + 32 × io_threads` (see the module documentation).
    pub fn max_connections(mut self, value: usize) -> Self {
        self.config.max_connections = value;
        self
    }

    /// How long `shutdown` lets in-flight deliveries finish; default 5 s.
    ///
    /// A delivery still unanswered when it ends is answered `503` on the wire and counted in
    /// [`ReceiverStats::expired_deliveries`](super::ReceiverStats::expired_deliveries). The application may still answer it, but that
    /// answer changes nothing: it is counted neither as an ack nor as a fail, and an ack
    /// then remembers no dedup key (CINNOX was told 503 and will deliver the event again).
    pub fn shutdown_grace(mut self, value: Duration) -> Self {
        self.config.shutdown_grace = value;
        self
    }

    /// The I/O threads that own the sockets; default 1, at most 64. Each takes an equal
    /// share of `max_connections`.
    pub fn io_threads(mut self, value: usize) -> Self {
        self.config.io_threads = value;
        self
    }

    /// A new connection's first request head (and each later head, from its first byte)
    /// must be complete within this time (and within the read timeout); default 5 s.
    pub fn header_timeout(mut self, value: Duration) -> Self {
        self.config.header_timeout = value;
        self
    }

    /// Open connections from one source address at most (per I/O thread); 0 (the default)
    /// is no limit, as a proxy in front of the receiver is a single address. Beyond it a
    /// new connection from that address is refused like one beyond `max_connections`.
    pub fn per_source_limit(mut self, value: usize) -> Self {
        self.config.per_source_limit = value;
        self
    }

    /// A request body must arrive at this many bytes per second at least, measured over
    /// 5 s windows; slower is cut with `408`. 0 disables the check; default 1,024.
    pub fn min_body_rate(mut self, value: u64) -> Self {
        self.config.min_body_rate = value;
        self
    }

    /// A durable inbox (default none). With one, each verified event is stored before it is
    /// answered: `200` once it is committed (also for a duplicate already stored), `503`
    /// with `Retry-After` when the store fails (disk full, read-only, a database down), so
    /// nothing is acknowledged that is not stored. `recv`, `recv_timeout` and `serve` then
    /// take events from the inbox, and the application's answer becomes an ack, a retry or
    /// a dead letter there (see [`crate::inbox`]). Without one, the application's answer is
    /// the HTTP status.
    pub fn inbox(mut self, value: crate::Inbox) -> Self {
        self.config.inbox = Some(value);
        self
    }

    /// Serve `GET /metrics` ([`Receiver::metrics`](super::Receiver::metrics), the Prometheus text format) on this
    /// address of its own (default none); never on the webhook port, which answers only
    /// its secret path. One connection at a time, each answered or closed within 2 s: bind
    /// it to a loopback or private address. Port 0 picks a free port
    /// ([`Receiver::metrics_addr`](super::Receiver::metrics_addr) tells it). A bind failure fails the receiver's start.
    pub fn metrics_addr(mut self, value: SocketAddr) -> Self {
        self.config.metrics_addr = Some(value);
        self
    }

    /// Serve HTTPS with this certificate chain and private key (PEM text: one or more
    /// `CERTIFICATE` blocks, leaf first; a PKCS#8, PKCS#1 or SEC1 key), on the same event
    /// loop. A chain or key that does not make a usable pair fails
    /// [`build`](Self::build), whose error never quotes the key.
    #[cfg(feature = "https")]
    pub fn tls(mut self, cert_pem: &[u8], key_pem: &[u8]) -> Self {
        self.tls_pem = Some((cert_pem.to_vec(), key_pem.to_vec()));
        self
    }

    /// Swap the webhook policy (the C layer's setters change it after the builder exists).
    pub(crate) fn webhook(mut self, webhook: WebhookConfig) -> Self {
        self.config.webhook = webhook;
        self
    }

    /// The settings, checked: [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// for a zero or overflowing timeout (above [`MAX_TIMEOUT`]), no connections, an I/O
    /// thread count outside 1 to 64, and an unusable TLS certificate or key.
    pub fn build(self) -> Result<ReceiverConfig> {
        #[allow(unused_mut)]
        let mut c = self.config;
        for (name, d) in [
            ("read_timeout", c.read_timeout),
            ("idle_timeout", c.idle_timeout),
            ("header_timeout", c.header_timeout),
        ] {
            if d.is_zero() {
                return Err(Error::invalid_argument(format!(
                    "{name} must be above zero"
                )));
            }
        }
        for (name, d) in [
            ("read_timeout", c.read_timeout),
            ("idle_timeout", c.idle_timeout),
            ("shutdown_grace", c.shutdown_grace),
            ("header_timeout", c.header_timeout),
        ] {
            if d > MAX_TIMEOUT {
                return Err(Error::invalid_argument(format!(
                    "{name} must be at most {} days",
                    MAX_TIMEOUT.as_secs() / 86_400
                )));
            }
        }
        if c.max_connections == 0 {
            return Err(Error::invalid_argument(
                "max_connections must be at least 1",
            ));
        }
        if c.io_threads == 0 || c.io_threads > MAX_IO_THREADS {
            return Err(Error::invalid_argument(format!(
                "io_threads must be between 1 and {MAX_IO_THREADS}"
            )));
        }
        #[cfg(feature = "https")]
        if let Some((cert, key)) = &self.tls_pem {
            c.tls = Some(super::tls::server_config(cert, key)?);
        }
        Ok(c)
    }
}
