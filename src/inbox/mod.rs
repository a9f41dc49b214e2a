//! A durable inbox: an event acknowledged to CINNOX is on disk first, and no crash, failing
//! handler or restart loses it.
//!
//! CINNOX documents no redelivery at all, so a `500` may be the last CINNOX ever says about
//! an event. With an inbox, the receiver **stores each verified event durably and answers
//! 200** (also for a duplicate already stored); the application then takes events from the
//! inbox. Its answer becomes an ack (done), a retry after a delay, or, after the last
//! attempt, a dead letter that keeps the reason and can be replayed. A process that dies
//! holding an event gives it back when its lease expires.
//!
//! ```no_run
//! use cinnox::inbox::Inbox;
//! use cinnox::receiver::ReceiverConfig;
//! use cinnox::{Receiver, WebhookConfig};
//!
//! let inbox = Inbox::open("inbox.db")?;
//! let config = ReceiverConfig::builder(WebhookConfig::new("/cinnox/s3cret")?)
//!     .inbox(inbox)
//!     .build()?;
//! let receiver = Receiver::bind("0.0.0.0:8080", config)?;
//! receiver.serve(4, |event| {
//!     println!("{:?}", event.payload());
//!     Ok::<(), std::io::Error>(()) // Err or a panic: retried later from the inbox
//! })?;
//! # Ok::<(), cinnox::Error>(())
//! ```
//!
//! # Durability and sharing
//!
//! The store is SQLite (bundled) in WAL mode with `synchronous=FULL`: a stored event survives
//! a crash of the process and a power loss. One writer thread per [`Inbox`] commits
//! everything queued at once in one transaction (group commit), so concurrent deliveries
//! share an fsync. Several processes may open the same file: a receiver process stores,
//! worker processes consume ([`Inbox::recv`]); claims are leases with an expiry recorded in
//! the file, so a consumer that dies gives its event back after the lease.
//!
//! # The schema
//!
//! `sqlite3 inbox.db 'select id, state, attempts, last_error from cinnox_inbox'` shows what is
//! there:
//!
//! ```sql
//! CREATE TABLE cinnox_inbox (
//!     id              INTEGER PRIMARY KEY AUTOINCREMENT,
//!     dedup_key       TEXT NOT NULL UNIQUE,   -- the event's identity (Event::dedup_key)
//!     body            BLOB NOT NULL,          -- the exact body CINNOX sent
//!     state           TEXT NOT NULL,          -- 'pending', 'done' or 'dead'
//!     attempts        INTEGER NOT NULL,       -- handlings started so far
//!     next_attempt_at INTEGER NOT NULL,       -- ms since the Unix epoch: due from then
//!     lease_owner     TEXT,                   -- the consumer holding it (in flight) ...
//!     lease_until     INTEGER,                -- ... until then (ms); then it is due again
//!     last_error      TEXT,                   -- why the last attempt failed
//!     received_at     INTEGER NOT NULL,       -- ms, when stored
//!     updated_at      INTEGER NOT NULL        -- ms, last change
//! );
//! ```
//!
//! # Several hosts: PostgreSQL
//!
//! With the `postgres` feature, `Inbox::open("postgres://user@db-host/cinnox")` puts the same
//! inbox in PostgreSQL, so any number of receivers and workers on any hosts share it: a
//! redelivery that lands on another host meets the unique dedup key (`INSERT … ON CONFLICT
//! DO NOTHING`), claims skip rows another worker holds (`FOR UPDATE SKIP LOCKED`) with the
//! same leases, and the writer's `NOTIFY cinnox_inbox` wakes idle workers at once
//! (`LISTEN`). The table is the same as above (`BIGSERIAL`, `BYTEA`, `BIGINT` times),
//! created on first use under an advisory lock. Each `Inbox` holds a few connections: one
//! for its writer (which stores what arrives together in one statement and one round
//! trip), up to four shared by its consumers (opened as concurrent consumers need them),
//! and one that listens. Every connection reconnects after a failure: while the server is
//! down, storing fails (the receiver answers 503) and workers wait; both go on when it is
//! back, without a restart of theirs.
//!
//! An event is *in flight* while it is `pending` with a live lease. Done events are kept for
//! the retention (default 3 days, [`Inbox::purge`]); that is also how long a redelivery of
//! the same event is recognised and answered 200 without a second row.

mod backend;
mod config;
mod lease;
#[cfg(feature = "postgres")]
mod pg;
mod records;
mod sqlite;
mod writer;

pub use config::{
    InboxConfig, InboxConfigBuilder, RetrySchedule, RetryScheduleBuilder, DEFAULT_RETENTION,
};

use std::fmt;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::delivery::Delivery;
use crate::event::Event;
use crate::sync::lock;
use crate::{Error, ErrorKind, Result};
use backend::{is_postgres, open_backend, Readers};
use backend::{Backend, Claimed};
use lease::Lease;
use records::{after_failure, state_of};
pub use records::{InboxCounts, Stored, StoredEvent};
use writer::{write_loop, Job};

/// The log target of everything the inbox logs, whichever of its files logs it, so that
/// `RUST_LOG=cinnox::inbox=…` keeps naming it.
const LOG_TARGET: &str = module_path!();

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(super) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// PostgreSQL: a thread with its own connection LISTENs, so that consumers wake as soon as
/// any process stores an event. It ends when the inbox is dropped.
#[cfg(feature = "postgres")]
fn start_listener(inner: &Arc<Inner>) -> Result<()> {
    let weak = Arc::downgrade(inner);
    let url = inner.location.clone();
    std::thread::Builder::new()
        .name("cinnox-inbox-listen".into())
        .spawn(move || {
            pg::listen(&url, &|| match weak.upgrade() {
                Some(inner) => {
                    *lock(&inner.stored) += 1;
                    inner.stored_cv.notify_all();
                    true
                }
                None => false,
            })
        })
        .map(|_| ())
        .map_err(|e| store_error("cannot start the listener thread", e))
}

#[cfg(not(feature = "postgres"))]
fn start_listener(_: &Arc<Inner>) -> Result<()> {
    Ok(())
}

/// Events waiting for the writer at most; beyond, storing fails at once (503).
const QUEUE: usize = 4096;
/// How often a waiting consumer looks for events stored by other processes.
const POLL: Duration = Duration::from_millis(50);

/// A durable inbox of events. Cheap to clone (the clones share one store and writer);
/// `Send + Sync`.
#[derive(Clone)]
pub struct Inbox {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    location: String,
    writer: Mutex<Option<SyncSender<Job>>>,
    writer_thread: Mutex<Option<JoinHandle<()>>>,
    /// The consumers' connections: claims, acks, fails, stats.
    readers: Readers,
    settings: Mutex<Settings>,
    /// What [`Inbox::purge_expired`] keeps.
    retention: Duration,
    /// Bumped by the writer after each commit; consumers wait on it.
    stored: Mutex<u64>,
    stored_cv: Condvar,
    owner: String,
}

#[derive(Clone, Copy)]
struct Settings {
    retry: RetrySchedule,
    lease: Duration,
    /// The last claim failed (logged once until it works again).
    store_down: bool,
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

fn store_error(what: &str, e: impl fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("inbox: {what}: {e}"))
}

impl Inbox {
    /// Open (creating it if needed) the inbox at `location`: a file path for SQLite, or
    /// (with the `postgres` feature) a `postgres://user@host:port/db` URL for an inbox that
    /// several hosts share (the table is created on first use; see "Several hosts" below).
    ///
    /// Blocks for the file's (or database's) schema (`ErrorKind::Io` when it cannot be
    /// opened or written, e.g. a read-only directory or an unreachable server). Starts the
    /// writer thread (and, for PostgreSQL, a thread that `LISTEN`s for new events). The
    /// settings are [`InboxConfig::default`]; [`Inbox::open_with`] takes others.
    pub fn open(location: &str) -> Result<Inbox> {
        Inbox::open_with(location, &InboxConfig::default())
    }

    /// [`Inbox::open`] with `config`'s retry schedule, lease, retention and pool size.
    pub fn open_with(location: &str, config: &InboxConfig) -> Result<Inbox> {
        if location.is_empty() {
            return Err(Error::invalid_argument("the inbox location is empty"));
        }
        let postgres = is_postgres(location);
        let writer = open_backend(location, config.create)?;
        // The writer created it if it was missing.
        let reader = open_backend(location, false)?;
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let inner = Arc::new(Inner {
            location: location.to_owned(),
            writer: Mutex::new(Some(tx)),
            writer_thread: Mutex::new(None),
            readers: Readers::new(
                location,
                reader,
                if postgres { config.pool_size } else { 1 },
            ),
            settings: Mutex::new(Settings {
                retry: config.retry,
                lease: config.lease,
                store_down: false,
            }),
            retention: config.retention,
            stored: Mutex::new(0),
            stored_cv: Condvar::new(),
            owner: format!("{}-{:016x}", std::process::id(), crate::random::u64()),
        });
        let weak = Arc::downgrade(&inner);
        let thread = std::thread::Builder::new()
            .name("cinnox-inbox-writer".into())
            .spawn(move || write_loop(writer, rx, weak))
            .map_err(|e| store_error("cannot start the writer thread", e))?;
        *lock(&inner.writer_thread) = Some(thread);
        if postgres {
            start_listener(&inner)?;
        }
        Ok(Inbox { inner })
    }

    /// Use this retry schedule from now on: the deprecated C `cinnox_inbox_set_retry` (until 0.3), whose
    /// inbox exists before its settings. Rust callers give it to [`Inbox::open_with`].
    pub(crate) fn set_retry(&self, retry: RetrySchedule) {
        lock(&self.inner.settings).retry = retry;
    }

    /// Where it is stored.
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// Store `event` unless its dedup key is already stored, without blocking: `done` is
    /// called once, on the writer thread, when the event is durable (or at once, on this
    /// thread, with an error when the writer's queue is full or the inbox is closed).
    pub fn submit(&self, event: &Event, done: Box<dyn FnOnce(Result<Stored>) + Send>) {
        let job = Job {
            dedup_key: event.dedup_key().as_str().to_owned(),
            body: event.raw().to_vec(),
            done,
        };
        let sender = lock(&self.inner.writer).clone();
        let Some(sender) = sender else {
            return (job.done)(Err(Error::new(ErrorKind::Closed, "inbox: closed")));
        };
        match sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => (job.done)(Err(Error::new(
                ErrorKind::Io,
                "inbox: too many events waiting to be stored",
            ))),
            Err(TrySendError::Disconnected(job)) => {
                (job.done)(Err(Error::new(ErrorKind::Closed, "inbox: closed")))
            }
        }
    }

    /// Store `event` unless its dedup key is already stored; returns once it is durable
    /// (committed and synced). Blocks for the commit, shared with concurrent callers.
    pub fn store(&self, event: &Event) -> Result<Stored> {
        let (tx, rx) = mpsc::channel();
        self.submit(
            event,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv()
            .unwrap_or_else(|_| Err(Error::new(ErrorKind::Closed, "inbox: closed")))
    }

    /// Wait for the next due event. Blocks; see [`Inbox::recv_timeout`].
    pub fn recv(&self) -> Result<Delivery> {
        self.recv_until(None, &|| false)
    }

    /// Wait at most `timeout` for the next due event: `ErrorKind::Timeout` when none came.
    ///
    /// The delivery is leased to this process: `ack` marks it done; `fail`, a drop or the
    /// end of the lease (a crash) make it due again after the retry schedule's delay, or
    /// dead after the last attempt. Events stored by this process wake a waiting `recv` at
    /// once; events stored by other processes are seen within 50 ms (at once on
    /// PostgreSQL, which notifies). While the store cannot be reached (a database
    /// restarting), `recv` waits and tries again, as for an event that has not come yet.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Delivery> {
        self.recv_until(Instant::now().checked_add(timeout), &|| false)
    }

    /// Wait until `deadline` (none: forever) or until `stop` says so (`ErrorKind::Closed`).
    pub(crate) fn recv_until(
        &self,
        deadline: Option<Instant>,
        stop: &dyn Fn() -> bool,
    ) -> Result<Delivery> {
        let inner = &self.inner;
        loop {
            if stop() {
                return Err(Error::new(ErrorKind::Closed, "the receiver is shut down"));
            }
            let seen = *lock(&inner.stored);
            match self.try_claim() {
                Ok(Some(delivery)) => return Ok(delivery),
                Ok(None) => {}
                // The store is unreachable (a database restarting, a disk error): wait for
                // it like for an event, and try again; nothing is lost meanwhile.
                Err(e) => {
                    if !lock(&inner.settings).store_down {
                        log::warn!("inbox: cannot take events, retrying: {e}");
                    }
                    lock(&inner.settings).store_down = true;
                }
            }
            let now = Instant::now();
            let wait = match deadline {
                Some(d) if now >= d => {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        "no event arrived within the timeout",
                    ))
                }
                Some(d) => (d - now).min(POLL),
                None => POLL,
            };
            let stored = lock(&inner.stored);
            if *stored == seen {
                let _ = inner
                    .stored_cv
                    .wait_timeout(stored, wait)
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    /// Claim one due event, if any.
    fn try_claim(&self) -> Result<Option<Delivery>> {
        let inner = &self.inner;
        let settings = *lock(&inner.settings);
        let now = now_ms();
        let claimed = inner
            .readers
            .get()?
            .claim(&inner.owner, now, now + ms(settings.lease))?;
        if settings.store_down {
            lock(&inner.settings).store_down = false;
            log::info!("inbox: the store is reachable again");
        }
        let Some(claimed) = claimed else {
            return Ok(None);
        };
        match crate::event::parse(&claimed.body) {
            Ok(crate::Incoming::Event(event)) => Ok(Some(Delivery::new(
                event,
                None,
                Box::new(Lease {
                    inbox: self.clone(),
                    id: claimed.id,
                    attempts: claimed.attempts,
                }),
            ))),
            // Stored after verification, so this cannot be; never hand it out.
            _ => {
                inner.readers.get()?.fail(
                    claimed.id,
                    &inner.owner,
                    None,
                    "the stored body no longer parses as an event",
                    now,
                )?;
                Ok(None)
            }
        }
    }

    /// How many events are in each state.
    pub fn stats(&self) -> Result<InboxCounts> {
        self.inner.readers.get()?.counts(now_ms())
    }

    /// Make every dead event pending again (attempts start over); returns how many.
    pub fn replay_dead(&self) -> Result<u64> {
        let n = self.inner.readers.get()?.replay_dead(None, now_ms())?;
        log::info!("inbox: {n} dead events replayed");
        self.wake();
        Ok(n)
    }

    /// [`Inbox::replay_dead`] for the dead events stored between `from` and `to`.
    pub fn replay_dead_between(&self, from: SystemTime, to: SystemTime) -> Result<u64> {
        let at = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64)
        };
        let n = self
            .inner
            .readers
            .get()?
            .replay_dead(Some((at(from), at(to))), now_ms())?;
        self.wake();
        Ok(n)
    }

    /// Make one done or dead event pending again; `false` when there is none with `id`.
    pub fn replay(&self, id: i64) -> Result<bool> {
        let found = self.inner.readers.get()?.replay(id, now_ms())?;
        self.wake();
        Ok(found)
    }

    /// Delete the done events older than `retention` (the dedup horizon: a redelivery after
    /// that is stored again). Returns how many. An action: [`Inbox::purge_expired`] uses
    /// the configured retention.
    pub fn purge(&self, retention: Duration) -> Result<u64> {
        self.inner.readers.get()?.purge(now_ms() - ms(retention))
    }

    /// Delete the done events older than the configured retention
    /// ([`InboxConfigBuilder::retention`], 3 days by default). Call it from time to time,
    /// e.g. hourly.
    pub fn purge_expired(&self) -> Result<u64> {
        self.purge(self.inner.retention)
    }

    /// The inbox's gauges in the Prometheus text format (see [`crate::metrics`]):
    /// `cinnox_inbox_pending`, `cinnox_inbox_in_flight`, `cinnox_inbox_done`,
    /// `cinnox_inbox_dead`, `cinnox_inbox_oldest_pending_age_seconds`. Runs one small query.
    pub fn metrics(&self) -> Result<String> {
        let mut e = crate::metrics::Exposition::default();
        self.stats()?.write_metrics(&mut e);
        Ok(e.finish())
    }

    /// Up to `limit` events with an id above `after`, oldest first.
    pub fn list(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        self.inner.readers.get()?.list(after, limit, now_ms())
    }

    /// The event with `id`.
    pub fn get(&self, id: i64) -> Result<Option<StoredEvent>> {
        Ok(self.list(id - 1, 1)?.into_iter().find(|e| e.id == id))
    }

    fn wake(&self) {
        *lock(&self.inner.stored) += 1;
        self.inner.stored_cv.notify_all();
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has stored what is queued.
        lock(&self.writer).take();
        if let Some(t) = lock(&self.writer_thread).take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}
