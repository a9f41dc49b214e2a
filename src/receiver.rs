//! The embedded webhook server: a hardened HTTP/1.1 front built on [`Webhook`].
//!
//! ```no_run
//! use cinnox::{Receiver, WebhookConfig};
//!
//! let receiver = Receiver::bind("0.0.0.0:8080", WebhookConfig::new("/cinnox/s3cret"))?;
//! loop {
//!     let delivery = receiver.recv()?;
//!     println!("{:?}", delivery.event().payload());
//!     delivery.ack(); // HTTP 200; `fail()` or dropping it answers 500
//! }
//! # Ok::<(), cinnox::Error>(())
//! ```
//!
//! # Design
//!
//! tiny_http 0.12's `Server` owns both the accept loop and a thread pool that keeps one
//! thread per keep-alive connection, with no hook for a connection cap or deadlines; its pool
//! can queue new connections behind busy ones (they wait until a connection closes), it reads
//! bodies over 1 KiB on the thread that called `recv()` without a deadline, and it never
//! closes idle connections. Putting read timeouts on the listener it is handed does not
//! help: on Linux `accept()` obeys `SO_RCVTIMEO` too, and tiny_http's accept loop ends on
//! the first accept error. So the receiver owns its socket front:
//!
//! - one accept thread; each accepted connection gets its own thread at once (no pool that
//!   can queue), up to [`ReceiverConfig::max_connections`]; beyond that a connection is
//!   answered `503` with `Retry-After` at once and closed after a short bounded drain of
//!   what the peer sent (so that it reads the 503 rather than a reset);
//! - the connection thread reads every request itself, heads and bodies, under deadlines:
//!   the whole request must arrive within [`ReceiverConfig::read_timeout`] of its first
//!   byte (of the accept, for the first request), and a keep-alive connection silent for
//!   [`ReceiverConfig::idle_timeout`] is closed; heads are capped at 16 KiB, bodies at the
//!   verifier's cap (a larger `Content-Length` is refused by the verifier before a byte of
//!   the body is read; a chunked body is cut at the cap with `413`);
//! - only complete, verified events reach the application, through a queue that `recv()`
//!   and `serve()` workers take from. The thread that answers a [`Delivery`] writes the
//!   status [`Webhook::finish`] gives for it straight to the socket (no second thread hop
//!   before the peer has its answer). On a plain TCP keep-alive connection the connection
//!   thread meanwhile already waits in a read for the next request (the reply goes out
//!   through a second handle on the socket), so one event costs it one wake-up, when the
//!   next request arrives; before it parses that request, writes anything, or closes, it
//!   makes sure the pending reply was written (or, past the shutdown grace, writes 503
//!   itself). Over TLS, and for a request that closes the connection, it waits for the
//!   reply without reading.
//!
//! Challenges, refusals and duplicates are answered by the connection thread and never
//! reach the application. HTTP parsing of request heads is done by `httparse`.
//!
//! # Threads
//!
//! One accept thread, one thread per open connection (at most `max_connections`, each
//! ending at the read or idle deadline at the latest), at most 32 short-lived threads that
//! drain refused connections (each ending within 2 s; they may outlive the receiver by
//! that much, holding only the refused socket), and the application's own: the threads
//! calling `recv`, or the `workers` of `serve`.

mod conn;
mod http;
mod link;
#[cfg(test)]
mod tests;
#[cfg(feature = "https")]
mod tls;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use crate::delivery::Delivery;
use crate::delivery::Settle;
use crate::event::Event;
use crate::webhook::{Verdict, Webhook, WebhookConfig};
use crate::{Error, ErrorKind, Result};
use link::{Done, Link};

/// Server settings beyond the [`WebhookConfig`] policy.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Longest wait for any read of a request (headers or body); default 10 s. Like the
    /// other durations here, at most [`MAX_TIMEOUT`].
    ///
    /// A whole request (head and body) must arrive within this time of its first byte; the
    /// first request of a connection within this time of the connection being accepted.
    /// It also bounds each write of a reply to a peer that does not read.
    pub read_timeout: Duration,
    /// A keep-alive connection idle this long is closed; default 30 s.
    pub idle_timeout: Duration,
    /// Open connections at most; beyond it new ones are refused at once. Default 256.
    ///
    /// A refused connection is answered `503 Service Unavailable` with `Retry-After: 1` at
    /// once and never served. Before it is closed, what the peer sends is read and
    /// discarded (until it closes, at most 256 KiB and at most 2 s or the read timeout), so
    /// that closing with its request unread does not reset the connection before the peer
    /// read the 503. At most 32 refused connections are drained at once, each by a small
    /// thread outside the cap; beyond, they are closed at once.
    pub max_connections: usize,
    /// How long `shutdown` lets in-flight deliveries finish; default 5 s.
    ///
    /// A delivery still unanswered when it ends is answered `503` on the wire and counted in
    /// [`ReceiverStats::expired_deliveries`]. The application may still answer it, but that
    /// answer changes nothing: it is counted neither as an ack nor as a fail, and an ack
    /// then remembers no dedup key (CINNOX was told 503 and will deliver the event again).
    pub shutdown_grace: Duration,
    /// A durable inbox (default none). With one, each verified event is stored before it is
    /// answered: `200` once it is committed (also for a duplicate already stored), `503`
    /// with `Retry-After` when the store fails (disk full, read-only, locked), so nothing
    /// is acknowledged that is not stored. `recv`, `recv_timeout` and `serve` then take
    /// events from the inbox, and the application's answer becomes an ack, a retry or a
    /// dead letter there (see [`crate::inbox`]). Without one, the application's answer is
    /// the HTTP status.
    pub inbox: Option<crate::Inbox>,
}

impl ReceiverConfig {
    /// Store events in `inbox` before answering them (see [`ReceiverConfig::inbox`]).
    pub fn inbox(mut self, inbox: crate::Inbox) -> Self {
        self.inbox = Some(inbox);
        self
    }
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 256,
            shutdown_grace: Duration::from_secs(5),
            inbox: None,
        }
    }
}

/// The longest timeout or grace accepted: deadlines are computed by adding them to the
/// current time, which must not overflow.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

impl ReceiverConfig {
    /// Refuse settings the receiver cannot run with (zero or overflowing timeouts, no
    /// connections); `bind_with` and `cinnox_receiver_config_set_max_connections` share it.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.read_timeout.is_zero() {
            return Err(Error::invalid_argument("read_timeout must be above zero"));
        }
        if self.idle_timeout.is_zero() {
            return Err(Error::invalid_argument("idle_timeout must be above zero"));
        }
        for (name, d) in [
            ("read_timeout", self.read_timeout),
            ("idle_timeout", self.idle_timeout),
            ("shutdown_grace", self.shutdown_grace),
        ] {
            if d > MAX_TIMEOUT {
                return Err(Error::invalid_argument(format!(
                    "{name} must be at most {} days",
                    MAX_TIMEOUT.as_secs() / 86_400
                )));
            }
        }
        if self.max_connections == 0 {
            return Err(Error::invalid_argument(
                "max_connections must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The webhook server.
///
/// `Send + Sync`: `recv` may be called from several threads at once, `shutdown` from any.
/// Dropping it shuts it down (and waits, like [`Receiver::shutdown`]).
pub struct Receiver {
    shared: Arc<Shared>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

/// A cloneable handle that shuts a [`Receiver`] down from any thread.
#[derive(Clone)]
pub struct ShutdownHandle {
    shared: Weak<Shared>,
}

/// Counters of what the receiver did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiverStats {
    /// The verifier's counters.
    pub webhook: crate::webhook::WebhookStats,
    /// Handler panics caught by `serve`.
    pub handler_panics: u64,
    /// Connections refused because of the connection cap.
    pub refused_connections: u64,
    /// Connections cut off by the read deadline.
    pub read_timeouts: u64,
    /// Requests refused by the HTTP layer before the verifier saw them: malformed heads or
    /// framing (400, 417, 501), heads over 16 KiB (431), chunked bodies over the cap (413).
    pub malformed_requests: u64,
    /// Deliveries still unanswered when the shutdown grace ended: answered `503` on the
    /// wire, and not counted in `webhook.acks` or `webhook.fails` whatever the application
    /// answers later. Once every delivery is settled, `webhook.events` is `acks + fails +
    /// expired_deliveries`.
    pub expired_deliveries: u64,
    /// Events an inbox failed to store (answered `503` with `Retry-After`).
    pub store_failures: u64,
    /// Connections open now.
    pub open_connections: u64,
}

/// What the accept thread, the connection threads and the API share.
pub(crate) struct Shared {
    webhook: Arc<Webhook>,
    config: ReceiverConfig,
    listener: TcpListener,
    local_addr: SocketAddr,
    #[cfg(feature = "https")]
    tls: Option<Arc<rustls::ServerConfig>>,
    shutting_down: Arc<AtomicBool>,
    queue: Mutex<Queue>,
    queue_ready: Condvar,
    conns: Mutex<Conns>,
    conns_gone: Condvar,
    handler_panics: AtomicU64,
    refused_connections: AtomicU64,
    read_timeouts: AtomicU64,
    malformed_requests: AtomicU64,
    expired_deliveries: AtomicU64,
    store_failures: AtomicU64,
    /// How long `serve`'s handler took per event.
    handler_duration: crate::metrics::Histogram,
    /// Refused connections being drained now.
    draining: Arc<AtomicUsize>,
    /// Unit tests wrap each connection's stream (to hold a write, say).
    #[cfg(test)]
    wrap_transport: Mutex<Option<tests::Wrap>>,
}

/// Deliveries waiting for `recv`.
struct Queue {
    items: VecDeque<Delivery>,
    closed: bool,
}

/// The open connections.
struct Conns {
    next_id: u64,
    open: HashMap<u64, ConnEntry>,
    grace_deadline: Option<Instant>,
}

struct ConnEntry {
    /// A second handle on the socket, to cut its reading half at shutdown.
    stream: TcpStream,
    /// The connection's hand-off state, to start the grace at shutdown.
    link: Arc<Link>,
}

/// Lock, ignoring poisoning: every protected state stays consistent between statements.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The addresses `addr` names. One that does not parse (`"8080"`, `"localhost:99999"`) or
/// names nothing is [`ErrorKind::InvalidArgument`]; a name that cannot be resolved now is
/// [`ErrorKind::Io`].
fn resolve_bind_address(addr: impl ToSocketAddrs) -> Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = match addr.to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(Error::invalid_argument(format!(
                "the bind address is not HOST:PORT with a port from 0 to 65535 ({e})"
            ))
            .with_source(e))
        }
        Err(e) => {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot resolve the bind address: {e}"),
            )
            .with_source(e))
        }
    };
    if addrs.is_empty() {
        return Err(Error::invalid_argument("the bind address names no address"));
    }
    Ok(addrs)
}

fn closed_error() -> Error {
    Error::new(ErrorKind::Closed, "the receiver is shut down")
}

impl Receiver {
    /// Bind `addr` (port 0 allowed) with default [`ReceiverConfig`].
    pub fn bind(addr: impl ToSocketAddrs, webhook: WebhookConfig) -> Result<Receiver> {
        Receiver::bind_with(addr, webhook, ReceiverConfig::default())
    }

    /// Bind `addr` with explicit server settings.
    pub fn bind_with(
        addr: impl ToSocketAddrs,
        webhook: WebhookConfig,
        config: ReceiverConfig,
    ) -> Result<Receiver> {
        Receiver::start(addr, webhook, config, None)
    }

    /// Bind `addr` and serve HTTPS with this certificate chain and private key (PEM text:
    /// one or more `CERTIFICATE` blocks, leaf first; a PKCS#8, PKCS#1 or SEC1 key).
    #[cfg(feature = "https")]
    pub fn bind_tls(
        addr: impl ToSocketAddrs,
        webhook: WebhookConfig,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Receiver> {
        Receiver::bind_tls_with(addr, webhook, ReceiverConfig::default(), cert_pem, key_pem)
    }

    /// [`Receiver::bind_tls`] with explicit server settings.
    #[cfg(feature = "https")]
    pub fn bind_tls_with(
        addr: impl ToSocketAddrs,
        webhook: WebhookConfig,
        config: ReceiverConfig,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Receiver> {
        let tls = tls::server_config(cert_pem, key_pem)?;
        Receiver::start(addr, webhook, config, Some(tls))
    }

    fn start(
        addr: impl ToSocketAddrs,
        webhook: WebhookConfig,
        config: ReceiverConfig,
        #[cfg(feature = "https")] tls: Option<Arc<rustls::ServerConfig>>,
        #[cfg(not(feature = "https"))] _tls: Option<()>,
    ) -> Result<Receiver> {
        config.validate()?;
        webhook.validate()?;
        let addrs = resolve_bind_address(addr)?;
        let listener = TcpListener::bind(&addrs[..]).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot bind the receiver: {e}")).with_source(e)
        })?;
        let local_addr = listener.local_addr().map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read the bound address: {e}")).with_source(e)
        })?;
        let shared = Arc::new(Shared {
            webhook: Arc::new(Webhook::new(webhook)),
            config,
            listener,
            local_addr,
            #[cfg(feature = "https")]
            tls,
            shutting_down: Arc::new(AtomicBool::new(false)),
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                closed: false,
            }),
            queue_ready: Condvar::new(),
            conns: Mutex::new(Conns {
                next_id: 0,
                open: HashMap::new(),
                grace_deadline: None,
            }),
            conns_gone: Condvar::new(),
            handler_panics: AtomicU64::new(0),
            refused_connections: AtomicU64::new(0),
            read_timeouts: AtomicU64::new(0),
            malformed_requests: AtomicU64::new(0),
            expired_deliveries: AtomicU64::new(0),
            store_failures: AtomicU64::new(0),
            handler_duration: crate::metrics::Histogram::new(crate::metrics::HANDLER_BUCKETS),
            draining: Arc::new(AtomicUsize::new(0)),
            #[cfg(test)]
            wrap_transport: Mutex::new(None),
        });
        let for_thread = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("cinnox-accept".into())
            .spawn(move || conn::accept_loop(for_thread))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the accept thread: {e}"),
                )
                .with_source(e)
            })?;
        log::info!(
            "receiver listening on {local_addr}{}",
            if shared.config.inbox.is_some() {
                " (events stored in the inbox before they are answered)"
            } else {
                ""
            }
        );
        Ok(Receiver {
            shared,
            acceptor: Mutex::new(Some(acceptor)),
        })
    }

    /// The bound address (tells the port after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// Wait for the next event. `ErrorKind::Closed` once shut down.
    pub fn recv(&self) -> Result<Delivery> {
        self.recv_until(None)
    }

    /// Wait at most `timeout`. `ErrorKind::Timeout` when none came, `Closed` once shut down.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Delivery> {
        // A timeout too large to add is a wait without end.
        self.recv_until(Instant::now().checked_add(timeout))
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<Delivery> {
        match &self.shared.config.inbox {
            Some(inbox) => inbox.recv_until(deadline, &|| self.shared.is_shutting_down()),
            None => self.shared.pop(deadline),
        }
    }

    /// Run `handler` on `workers` threads until shutdown. `Ok` acks; `Err` or a panic fails.
    ///
    /// Returns `Ok(())` once the receiver is shut down (at once if it already is). A panic
    /// in the handler is caught, counted in [`ReceiverStats::handler_panics`], and answered
    /// 500; the worker goes on. `workers == 0` is `ErrorKind::InvalidArgument`.
    ///
    /// At most [`ReceiverConfig::max_connections`] workers are started (each delivery
    /// holds a connection, so more could never be busy); when the system refuses a thread,
    /// serving goes on with those started.
    pub fn serve<F, E>(&self, workers: usize, handler: F) -> Result<()>
    where
        F: Fn(&Event) -> std::result::Result<(), E> + Send + Sync,
    {
        if workers == 0 {
            return Err(Error::invalid_argument("serve needs at least one worker"));
        }
        let workers = workers.min(self.shared.config.max_connections);
        let handler = &handler;
        std::thread::scope(|scope| {
            let mut started = 0;
            let mut last_error = None;
            for i in 0..workers {
                let spawned = std::thread::Builder::new()
                    .name(format!("cinnox-worker-{i}"))
                    .spawn_scoped(scope, move || self.work(handler));
                match spawned {
                    Ok(_) => started += 1,
                    Err(e) => {
                        last_error = Some(e);
                        break;
                    }
                }
            }
            match (started, last_error) {
                (0, Some(e)) => Err(Error::new(
                    ErrorKind::Io,
                    format!("cannot start worker threads: {e}"),
                )
                .with_source(e)),
                _ => Ok(()),
            }
        })
    }

    fn work<F, E>(&self, handler: &F)
    where
        F: Fn(&Event) -> std::result::Result<(), E> + Send + Sync,
    {
        while let Ok(delivery) = self.recv() {
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| handler(delivery.event())));
            self.shared.handler_duration.observe(started.elapsed());
            match outcome {
                Ok(Ok(())) => delivery.ack(),
                Ok(Err(_)) => {
                    log::info!(
                        "handler failed for event {}: {}",
                        delivery.event().id().unwrap_or("-"),
                        self.retry_words()
                    );
                    delivery.fail_with("the handler returned an error")
                }
                Err(_) => {
                    self.shared.handler_panics.fetch_add(1, Ordering::Relaxed);
                    log::warn!(
                        "handler panicked on event {}: {}",
                        delivery.event().id().unwrap_or("-"),
                        self.retry_words()
                    );
                    delivery.fail_with("the handler panicked");
                }
            }
        }
    }

    /// A handle to shut this receiver down from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Stop accepting, let in-flight deliveries finish (up to the grace), wake waiters.
    ///
    /// Returns when every connection is closed, or shortly after the grace period ended.
    /// Deliveries queued but not yet taken by `recv` are failed (500) at once. Idempotent.
    /// From inside a `serve` handler, use a [`ShutdownHandle`] instead: this call would
    /// wait out the grace for the very delivery the handler is working on.
    pub fn shutdown(&self) {
        self.shared.begin_shutdown();
        let grace_deadline = lock(&self.shared.conns)
            .grace_deadline
            // Another thread is starting the shutdown right now: its grace starts about now.
            .unwrap_or_else(|| Instant::now() + self.shared.config.shutdown_grace);
        // Past the grace, connections answer 503 and close; give them a moment for that.
        let limit = grace_deadline + self.shared.config.read_timeout.min(Duration::from_secs(1));
        let mut conns = lock(&self.shared.conns);
        while !conns.open.is_empty() {
            let now = Instant::now();
            if now >= limit {
                break;
            }
            conns = self
                .shared
                .conns_gone
                .wait_timeout(conns, limit - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(conns);
        if let Some(acceptor) = lock(&self.acceptor).take() {
            let _ = acceptor.join();
        }
    }

    fn retry_words(&self) -> &'static str {
        if self.shared.config.inbox.is_some() {
            "retried from the inbox"
        } else {
            "answered 500"
        }
    }

    /// The receiver's metrics in the Prometheus text format (see [`crate::metrics`]):
    /// `cinnox_webhook_requests_total{outcome}`, `cinnox_handler_duration_seconds`,
    /// `cinnox_connections_open`, `cinnox_connections_refused_total`,
    /// `cinnox_read_timeouts_total`, `cinnox_deliveries_in_flight`,
    /// `cinnox_handler_panics_total`, `cinnox_inbox_store_failures_total` and, with an
    /// inbox, its gauges (`cinnox_inbox_pending`, `cinnox_inbox_dead`,
    /// `cinnox_inbox_oldest_pending_age_seconds`, …). Cheap; with an inbox it runs one
    /// small query.
    pub fn metrics(&self) -> String {
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
            &self.shared.handler_duration,
        );
        e.gauge(
            "cinnox_connections_open",
            "Open connections to the webhook port.",
            st.open_connections as f64,
        );
        e.counter(
            "cinnox_connections_refused_total",
            "Connections refused at the connection cap (answered 503).",
            &[(&[], st.refused_connections)],
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
        let inbox = self
            .shared
            .config
            .inbox
            .as_ref()
            .and_then(|i| i.stats().ok());
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
            e.inbox(c);
        }
        e.finish()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ReceiverStats {
        let s = &self.shared;
        ReceiverStats {
            webhook: s.webhook.stats(),
            handler_panics: s.handler_panics.load(Ordering::Relaxed),
            refused_connections: s.refused_connections.load(Ordering::Relaxed),
            read_timeouts: s.read_timeouts.load(Ordering::Relaxed),
            malformed_requests: s.malformed_requests.load(Ordering::Relaxed),
            expired_deliveries: s.expired_deliveries.load(Ordering::Relaxed),
            store_failures: s.store_failures.load(Ordering::Relaxed),
            open_connections: lock(&s.conns).open.len() as u64,
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("local_addr", &self.shared.local_addr)
            .field(
                "shutting_down",
                &self.shared.shutting_down.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

impl ShutdownHandle {
    /// Shut the receiver down; returns at once, idempotent.
    ///
    /// Stops accepting, fails the deliveries nobody took yet, wakes `recv` and `serve`, and
    /// starts the grace period for the deliveries in the application's hands. A no-op once
    /// the receiver is dropped.
    pub fn shutdown(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.begin_shutdown();
        }
    }
}

impl fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownHandle").finish_non_exhaustive()
    }
}

/// The connection side of a delivery: the answer becomes the reply its connection waits for.
struct ConnAnswer {
    link: Arc<Link>,
    generation: u64,
    webhook: Arc<Webhook>,
}

impl Settle for ConnAnswer {
    fn settle(self: Box<Self>, event: &Event, verdict: Verdict, _reason: &str) {
        let webhook = &self.webhook;
        // `finish` counts the answer and, for an ack, remembers the dedup key: only when the
        // answer still reaches the wire.
        self.link
            .answer(self.generation, || webhook.finish(event, verdict));
    }

    /// Fail it, with the reply written by its connection thread (shutdown).
    fn abandon(self: Box<Self>, event: &Event) {
        let webhook = &self.webhook;
        self.link
            .hand_over(self.generation, || webhook.finish(event, Verdict::Failed));
    }
}

impl Shared {
    fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    fn pop(&self, deadline: Option<Instant>) -> Result<Delivery> {
        let mut queue = lock(&self.queue);
        loop {
            if let Some(delivery) = queue.items.pop_front() {
                return Ok(delivery);
            }
            if queue.closed {
                return Err(closed_error());
            }
            queue = match deadline {
                None => self
                    .queue_ready
                    .wait(queue)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            "no event arrived within the timeout",
                        ));
                    }
                    self.queue_ready
                        .wait_timeout(queue, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Store `event` in the inbox and say how to answer: the verifier's 200 (which also
    /// remembers its dedup key) once it is durable, `503` with `Retry-After` otherwise.
    fn store(&self, event: &Event) -> crate::webhook::Reply {
        let Some(inbox) = &self.config.inbox else {
            return http::local_reply(500);
        };
        match inbox.store(event) {
            Ok(_) => self.webhook.finish(event, Verdict::Handled),
            Err(e) => {
                self.store_failures.fetch_add(1, Ordering::Relaxed);
                log::error!("inbox: an event could not be stored, answered 503: {e}");
                let mut reply = http::local_reply(503);
                reply.headers.push(("Retry-After", "5".to_owned()));
                reply
            }
        }
    }

    /// Hand `event` to the application; returns the delivery's generation on `link`, for
    /// [`Shared::settle`].
    fn deliver(&self, link: &Arc<Link>, event: Event, peer: SocketAddr, keep_alive: bool) -> u64 {
        let generation = link.begin(keep_alive);
        let answer = ConnAnswer {
            link: Arc::clone(link),
            generation,
            webhook: Arc::clone(&self.webhook),
        };
        let delivery = Delivery::new(event, Some(peer), Box::new(answer));
        let refused = {
            let mut queue = lock(&self.queue);
            if queue.closed {
                Some(delivery)
            } else {
                queue.items.push_back(delivery);
                None
            }
        };
        match refused {
            // Shut down: nobody will take it; dropping it fails it.
            Some(delivery) => drop(delivery),
            None => self.queue_ready.notify_one(),
        }
        generation
    }

    /// Wait until delivery `generation` on `link` is answered and its reply written (by
    /// the answering thread), or the grace ended and 503 was written.
    fn settle(&self, link: &Link, generation: u64) -> Done {
        link.wait(generation, || {
            self.expired_deliveries.fetch_add(1, Ordering::Relaxed);
            log::warn!("a delivery was not answered within the shutdown grace: answered 503");
        })
    }

    /// Take a place for a new connection; `None` when at the cap or shutting down.
    fn register(&self, stream: &TcpStream, link: &Arc<Link>) -> Option<u64> {
        let mut conns = lock(&self.conns);
        if self.is_shutting_down() || conns.open.len() >= self.config.max_connections {
            return None;
        }
        let second = stream.try_clone().ok()?;
        let id = conns.next_id;
        conns.next_id += 1;
        conns.open.insert(
            id,
            ConnEntry {
                stream: second,
                link: Arc::clone(link),
            },
        );
        Some(id)
    }

    fn unregister(&self, id: u64) {
        let mut conns = lock(&self.conns);
        conns.open.remove(&id);
        if conns.open.is_empty() {
            self.conns_gone.notify_all();
        }
    }

    /// Stop accepting, close the queue, cut idle connections, start the grace period.
    fn begin_shutdown(&self) {
        if self.shutting_down.swap(true, Ordering::AcqRel) {
            return;
        }
        let grace_deadline = Instant::now() + self.config.shutdown_grace;
        log::info!("receiver on {} shutting down", self.local_addr);
        conn::stop_listening(self);
        let unclaimed: Vec<Delivery> = {
            let mut queue = lock(&self.queue);
            queue.closed = true;
            queue.items.drain(..).collect()
        };
        self.queue_ready.notify_all();
        // Never seen by the application: failed, so that CINNOX delivers them again. Their
        // connection threads write the 500: this thread never waits on a socket.
        for delivery in unclaimed {
            delivery.abandon();
        }
        let links: Vec<Arc<Link>> = {
            let mut conns = lock(&self.conns);
            conns.grace_deadline = Some(grace_deadline);
            conns
                .open
                .values()
                .map(|entry| {
                    // Idle and half-read connections see EOF and end; those waiting on an
                    // answer write it, then end.
                    let _ = entry.stream.shutdown(Shutdown::Read);
                    Arc::clone(&entry.link)
                })
                .collect()
        };
        // Outside the connections lock, so that connections that end meanwhile can leave
        // the open set. A link's state lock is never held across a write, so this does
        // not wait for a peer that stopped reading.
        for link in links {
            link.set_deadline(grace_deadline);
        }
    }
}
