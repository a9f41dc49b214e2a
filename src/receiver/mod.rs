//! The embedded webhook server: a hardened HTTP/1.1 front built on [`Webhook`].
//!
//! ```no_run
//! use cinnox::{Receiver, WebhookConfig};
//!
//! let receiver = Receiver::bind("0.0.0.0:8080", WebhookConfig::new("/cinnox/s3cret")?)?;
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
//! A small fixed number of I/O threads ([`ReceiverConfig::io_threads`], default 1) own every
//! socket. Each runs an event loop on `mio` (readiness-based I/O: epoll on Linux, kqueue on
//! the BSDs and macOS): it accepts connections, reads what arrived into per-connection
//! buffers, parses requests incrementally (heads by `httparse`, framing by the receiver's
//! own rules, RFC 9112), and writes replies without blocking. A connection waiting for
//! bytes costs its buffers and a few hundred bytes of state, not a thread.
//!
//! - Every connection has one deadline at a time, kept in an ordered set: its first request
//!   head must be complete within [`ReceiverConfig::header_timeout`] of the accept, a whole
//!   request within [`ReceiverConfig::read_timeout`] of its first byte, and a body must
//!   keep arriving at [`ReceiverConfig::min_body_rate`]; a keep-alive connection silent for
//!   [`ReceiverConfig::idle_timeout`] is closed; replies a peer leaves unread for the read
//!   timeout, or beyond 1 MiB, cut its connection. Heads are capped at 16 KiB, bodies at
//!   the verifier's cap (a larger `Content-Length` is refused before a byte of the body is
//!   read; a chunked body is cut at the cap with `413`).
//! - At [`ReceiverConfig::max_connections`], a new connection evicts the connection that has
//!   been idle or incomplete longest; only when every connection waits for an answer is the
//!   new one refused (`503`, `Retry-After: 1`). Running out of file descriptors (`EMFILE`)
//!   evicts one connection too, pauses accepting for 20 ms, and is counted.
//! - Only complete, verified events reach the application, through a queue that `recv()`
//!   and `serve()` workers take from. The answer to a [`Delivery`] (`ack`, `fail`, drop,
//!   or the end of the shutdown grace) goes back to the I/O thread through its mailbox and
//!   a waker, and the I/O thread writes the reply: no application thread ever touches a
//!   socket, and a peer that does not read stalls nobody. Pipelined requests are answered
//!   in order: the next request of a connection is parsed once the previous one is answered.
//!
//! Challenges, refusals and duplicates are answered by the I/O thread and never reach the
//! application. HTTPS (`https` feature) runs on the same loops with rustls's non-blocking
//! API.
//!
//! # Threads and descriptors
//!
//! `io_threads` I/O threads, and the application's own: the threads calling `recv`, or the
//! `workers` of `serve`. Each open connection holds one file descriptor, and up to 32
//! refused connections per I/O thread linger briefly beyond the cap: the process's
//! descriptor limit (`ulimit -n`, `RLIMIT_NOFILE`) must exceed `max_connections + 32 ×
//! io_threads` plus what the rest of the process uses; with the default `max_connections`
//! of 10,000, raise the common default of 1,024 to at least 11,000 (or lower
//! `max_connections`). Below that, accepting meets `EMFILE`, which the receiver survives
//! as described above.

mod config;
mod conn;
mod event_loop;
mod h1;
mod pending;
mod queue;
mod scrape;
mod stats;
mod store;
#[cfg(test)]
mod tests;
#[cfg(feature = "https")]
mod tls;

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use crate::delivery::Delivery;
use crate::delivery::Settle;
use crate::event::Event;
use crate::sync::lock;
use crate::webhook::{Reply, Verdict, Webhook};
use crate::{Error, ErrorKind, Result};
pub use config::{ReceiverConfig, ReceiverConfigBuilder, MAX_TIMEOUT};
use pending::{Mailbox, Ticket};
use queue::WorkQueue;
use stats::Counters;
pub use stats::ReceiverStats;
#[allow(unused_imports)]
pub(crate) use store::{Store, Stored};

/// The webhook server.
///
/// `Send + Sync`: `recv` may be called from several threads at once, `shutdown` from any.
/// Dropping it shuts it down (and waits, like [`Receiver::shutdown`]).
pub struct Receiver {
    shared: Arc<Shared>,
    io_threads: Mutex<Vec<JoinHandle<()>>>,
    /// `GET /metrics` on its own address, when configured.
    metrics_listener: Mutex<Option<scrape::MetricsListener>>,
}

/// A cloneable handle that shuts a [`Receiver`] down from any thread.
#[derive(Clone)]
pub struct ShutdownHandle {
    shared: Weak<Shared>,
}

/// What the I/O threads and the API share.
pub(crate) struct Shared {
    webhook: Arc<Webhook>,
    config: ReceiverConfig,
    local_addr: SocketAddr,
    #[cfg(feature = "https")]
    tls: Option<Arc<rustls::ServerConfig>>,
    /// With a store, events are answered once stored instead of by the application.
    store: Option<Arc<dyn Store>>,
    shutting_down: AtomicBool,
    /// End of the shutdown grace, once shutting down.
    grace: Mutex<Option<Instant>>,
    /// Deliveries waiting for `recv` and the `serve` workers.
    queue: WorkQueue,
    counters: Counters,
    /// How long `serve`'s handler took per event.
    handler_duration: crate::metrics::Histogram,
    /// The I/O threads' mailboxes, to wake them at shutdown.
    mailboxes: Mutex<Vec<Arc<Mailbox>>>,
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

fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}")).with_source(e)
}

impl Receiver {
    /// Bind `addr` (port 0 allowed) and start serving with `config`: a [`ReceiverConfig`],
    /// or a [`WebhookConfig`](crate::WebhookConfig) for the defaults.
    ///
    /// Fails with [`ErrorKind::InvalidArgument`] for an address that names no socket address
    /// and [`ErrorKind::Io`] (naming the address) when it cannot be bound.
    pub fn bind(addr: impl ToSocketAddrs, config: impl Into<ReceiverConfig>) -> Result<Receiver> {
        Receiver::start(addr, config.into(), None)
    }

    /// Start a receiver whose events go to `store` (when given) instead of the
    /// application: each is answered 200 once the store holds it, 503 when it failed.
    #[allow(dead_code)]
    pub(crate) fn bind_with_store(
        addr: impl ToSocketAddrs,
        config: ReceiverConfig,
        store: Option<Arc<dyn Store>>,
    ) -> Result<Receiver> {
        Receiver::start(addr, config, store)
    }

    fn start(
        addr: impl ToSocketAddrs,
        config: ReceiverConfig,
        store: Option<Arc<dyn Store>>,
    ) -> Result<Receiver> {
        let store: Option<Arc<dyn Store>> = match (store, &config.inbox) {
            (Some(store), _) => Some(store),
            (None, Some(inbox)) => Some(Arc::new(inbox.clone())),
            (None, None) => None,
        };
        let addrs = resolve_bind_address(addr)?;
        let listener = std::net::TcpListener::bind(&addrs[..]).map_err(|e| {
            let at: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            io_error(&format!("cannot bind the receiver to {}", at.join(", ")), e)
        })?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| io_error("cannot read the bound address", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| io_error("cannot make the listening socket non-blocking", e))?;
        let threads = config.io_threads;
        let cap = config.max_connections.div_ceil(threads);
        #[cfg(feature = "https")]
        let tls = config.tls.clone();
        let shared = Arc::new(Shared {
            webhook: Arc::new(Webhook::new(config.webhook.clone())),
            config,
            local_addr,
            #[cfg(feature = "https")]
            tls,
            store,
            shutting_down: AtomicBool::new(false),
            grace: Mutex::new(None),
            queue: WorkQueue::new(),
            counters: Counters::default(),
            handler_duration: crate::metrics::Histogram::new(crate::metrics::HANDLER_BUCKETS),
            mailboxes: Mutex::new(Vec::new()),
        });
        // Dropped on an error below: shuts down the threads started so far.
        let receiver = Receiver {
            shared: Arc::clone(&shared),
            io_threads: Mutex::new(Vec::new()),
            metrics_listener: Mutex::new(None),
        };
        for i in 0..threads {
            let own = listener
                .try_clone()
                .map_err(|e| io_error("cannot share the listening socket", e))?;
            let poll = mio::Poll::new().map_err(|e| io_error("cannot create a poller", e))?;
            let waker = mio::Waker::new(poll.registry(), event_loop::WAKER)
                .map_err(|e| io_error("cannot create a waker", e))?;
            let mailbox = Arc::new(Mailbox::new(waker));
            lock(&shared.mailboxes).push(Arc::clone(&mailbox));
            let io = event_loop::Loop {
                shared: Arc::clone(&shared),
                poll,
                listener: Some(mio::net::TcpListener::from_std(own)),
                mailbox,
                cap,
            };
            let handle = std::thread::Builder::new()
                .name(format!("cinnox-io-{i}"))
                .spawn(move || io.run())
                .map_err(|e| io_error("cannot start an I/O thread", e))?;
            lock(&receiver.io_threads).push(handle);
        }
        drop(listener);
        if let Some(addr) = shared.config.metrics_addr {
            let metrics = scrape::MetricsListener::start(addr, Arc::downgrade(&shared))?;
            *lock(&receiver.metrics_listener) = Some(metrics);
        }
        log::info!("receiver listening on {local_addr} with {threads} I/O thread(s)");
        Ok(receiver)
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
            None => self.shared.queue.pop(deadline),
        }
    }

    /// Run `handler` on `workers` threads until shutdown. `Ok` acks; `Err` or a panic fails
    /// (with an inbox, the error's text is kept as the stored event's `last_error`).
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
        E: fmt::Display,
    {
        if workers == 0 {
            return Err(Error::invalid_argument("serve needs at least one worker"));
        }
        let workers = workers.min(self.shared.config.max_connections);
        let handler = &handler;
        std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(workers);
            let mut last_error = None;
            for i in 0..workers {
                let spawned = std::thread::Builder::new()
                    .name(format!("cinnox-worker-{i}"))
                    .spawn_scoped(scope, move || self.work(handler));
                match spawned {
                    Ok(handle) => handles.push(handle),
                    Err(e) => {
                        last_error = Some(e);
                        break;
                    }
                }
            }
            let started = handles.len();
            // Joined, not only waited for (as the scope would): when serve returns, its
            // threads are gone, their thread-local storage too (a C program that exits
            // right after sees nothing of them under a leak checker).
            for handle in handles {
                let _ = handle.join();
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
        E: fmt::Display,
    {
        while let Ok(delivery) = self.recv() {
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| handler(delivery.event())));
            self.shared.handler_duration.observe(started.elapsed());
            match outcome {
                Ok(Ok(())) => delivery.ack(),
                Ok(Err(e)) => {
                    log::info!(
                        "handler failed for event {}: {}",
                        delivery.event().id().unwrap_or("-"),
                        self.retry_words()
                    );
                    delivery.fail_with(format!("the handler failed: {e}"))
                }
                Err(_) => {
                    self.shared
                        .counters
                        .handler_panics
                        .fetch_add(1, Ordering::Relaxed);
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
        if let Some(mut metrics) = lock(&self.metrics_listener).take() {
            metrics.stop();
        }
        let threads: Vec<JoinHandle<()>> = lock(&self.io_threads).drain(..).collect();
        let stopped = !threads.is_empty();
        for thread in threads {
            // The loops end once their connections are closed, or shortly after the grace.
            let _ = thread.join();
        }
        if stopped {
            log::info!("receiver on {} stopped", self.shared.local_addr);
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
    /// `cinnox_connections_open`, `cinnox_connections_evicted_total`,
    /// `cinnox_connections_refused_total`,
    /// `cinnox_read_timeouts_total`, `cinnox_deliveries_in_flight`,
    /// `cinnox_handler_panics_total`, `cinnox_inbox_store_failures_total` and, with an
    /// inbox, its gauges (`cinnox_inbox_pending`, `cinnox_inbox_dead`,
    /// `cinnox_inbox_oldest_pending_age_seconds`, …). Cheap; with an inbox it runs one
    /// small query.
    pub fn metrics(&self) -> String {
        self.shared.metrics()
    }

    /// Where `GET /metrics` is served ([`ReceiverConfig::metrics_addr`]); `None` without it.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        lock(&self.metrics_listener).as_ref().map(|m| m.addr())
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ReceiverStats {
        self.shared.stats()
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

/// The connection side of a delivery: the answer becomes the reply its connection waits
/// for, written by the connection's I/O thread.
struct ConnAnswer {
    ticket: Ticket,
    webhook: Arc<Webhook>,
}

impl Settle for ConnAnswer {
    fn settle(self: Box<Self>, event: &Event, verdict: Verdict, _reason: &str) {
        let webhook = &self.webhook;
        // `finish` counts the answer and, for an ack, remembers the dedup key: only when the
        // answer still reaches the wire.
        self.ticket.complete(|| webhook.finish(event, verdict));
    }
}

impl Shared {
    fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// The end of the shutdown grace, once shutting down.
    fn grace_deadline(&self) -> Option<Instant> {
        *lock(&self.grace)
    }

    /// Hand a verified event on: to the store when there is one (the reply says whether it
    /// is durable), else to the application's queue (the reply is its answer). Never
    /// blocks the I/O thread that calls it.
    fn dispatch(&self, event: Event, peer: SocketAddr, ticket: Ticket) {
        if let Some(store) = &self.store {
            let failures = Arc::clone(&self.counters.store_failures);
            store.submit(
                event,
                Box::new(move |stored| {
                    if let Err(e) = &stored {
                        log::error!("inbox: an event could not be stored, answered 503: {e}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    ticket.complete(|| match stored {
                        Ok(_) => Reply::ok(),
                        Err(_) => h1::retry_later(),
                    });
                }),
            );
            return;
        }
        let answer = ConnAnswer {
            ticket,
            webhook: Arc::clone(&self.webhook),
        };
        let delivery = Delivery::new(event, Some(peer), Box::new(answer));
        // The I/O thread wakes the workers at the end of its turn (`WorkQueue::wake`). Once shut
        // down, the queue fails it.
        self.queue.push(delivery);
    }

    /// Stop accepting, close the queue, fail what nobody took, start the grace period, and
    /// wake the I/O threads (which close idle connections and answer the rest).
    fn begin_shutdown(&self) {
        if self.shutting_down.swap(true, Ordering::AcqRel) {
            return;
        }
        *lock(&self.grace) = Some(Instant::now() + self.config.shutdown_grace);
        let unclaimed = self.queue.close();
        // Never seen by the application: failed, so that CINNOX delivers them again. The
        // I/O threads write the 500s: this thread never waits on a socket.
        for delivery in unclaimed {
            delivery.abandon();
        }
        for mailbox in lock(&self.mailboxes).iter() {
            mailbox.wake();
        }
    }
}
