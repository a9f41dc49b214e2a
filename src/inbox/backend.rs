//! The contract a store fulfils (SQLite, PostgreSQL), which one a location names, and the
//! consumers' pool of connections.

use std::sync::{Condvar, Mutex};

use super::records::{InboxCounts, Stored, StoredEvent};
use crate::sync::lock;
use crate::Result;

/// An event claimed by a consumer.
pub(super) struct Claimed {
    pub id: i64,
    pub attempts: u32,
    pub body: Vec<u8>,
}

/// What a store must do; SQLite now, PostgreSQL fits the same shape (a unique dedup key,
/// claims that skip what another consumer holds, leases with an expiry instead of locks).
pub(super) trait Backend: Send {
    /// Insert each event unless its dedup key is stored, all in one durable transaction.
    fn insert(&mut self, events: &[(String, Vec<u8>)], now: i64) -> Result<Vec<Stored>>;
    /// Claim the next due event for `owner` until `lease_until`, counting an attempt.
    fn claim(&mut self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Claimed>>;
    /// Mark it done.
    fn ack(&mut self, id: i64, now: i64) -> Result<()>;
    /// Record a failure: due again at `next`, or dead when `None`; only while `owner` holds it.
    fn fail(
        &mut self,
        id: i64,
        owner: &str,
        next: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<()>;
    /// Give it back unhandled: due now, the attempt not counted.
    fn release(&mut self, id: i64, owner: &str, now: i64) -> Result<()>;
    /// Counts per state.
    fn counts(&mut self, now: i64) -> Result<InboxCounts>;
    /// Dead events (received within `range`, when given) become pending again.
    fn replay_dead(&mut self, range: Option<(i64, i64)>, now: i64) -> Result<u64>;
    /// One done or dead event becomes pending again; false when there is no such row.
    fn replay(&mut self, id: i64, now: i64) -> Result<bool>;
    /// Delete done events last changed at or before `before`.
    fn purge(&mut self, before: i64) -> Result<u64>;
    /// Events by id, at most `limit`, from `after` on.
    fn list(&mut self, after: i64, limit: u32, now: i64) -> Result<Vec<StoredEvent>>;
    /// The writer has nothing queued (SQLite checkpoints its WAL).
    fn idle(&mut self) {}
}

pub(super) fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// The store at `location`: a `postgres://` URL (with the `postgres` feature) or a file.
pub(super) fn open_backend(location: &str, create: bool) -> Result<Box<dyn Backend>> {
    if is_postgres(location) {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(super::pg::Pg::open(location)?));
        #[cfg(not(feature = "postgres"))]
        return Err(crate::Error::invalid_argument(
            "inbox: this build has no PostgreSQL support (the `postgres` feature)",
        ));
    }
    Ok(Box::new(super::sqlite::Sqlite::open(location, create)?))
}

/// The consumers' connections: one for SQLite (the file takes one writer at a time
/// anyway), up to `max` for PostgreSQL, opened as concurrent consumers need them, so that
/// the workers of one process claim and answer in parallel. A connection that broke
/// reconnects on its next use.
pub(super) struct Readers {
    location: String,
    max: usize,
    /// Idle connections, and how many are open (idle or in use).
    state: Mutex<(Vec<Box<dyn Backend>>, usize)>,
    freed: Condvar,
}

/// A connection taken from [`Readers`]; back to it on drop.
pub(super) struct Reader<'a> {
    pool: &'a Readers,
    backend: Option<Box<dyn Backend>>,
}

impl Readers {
    pub(super) fn new(location: &str, first: Box<dyn Backend>, max: usize) -> Readers {
        Readers {
            location: location.to_owned(),
            max,
            state: Mutex::new((vec![first], 1)),
            freed: Condvar::new(),
        }
    }

    /// An idle connection, a new one while fewer than `max` are open, else the next one freed.
    pub(super) fn get(&self) -> Result<Reader<'_>> {
        let mut state = lock(&self.state);
        loop {
            if let Some(backend) = state.0.pop() {
                return Ok(Reader {
                    pool: self,
                    backend: Some(backend),
                });
            }
            if state.1 < self.max {
                state.1 += 1;
                drop(state);
                return match open_backend(&self.location, false) {
                    Ok(backend) => Ok(Reader {
                        pool: self,
                        backend: Some(backend),
                    }),
                    Err(e) => {
                        lock(&self.state).1 -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl std::ops::Deref for Reader<'_> {
    type Target = dyn Backend;
    fn deref(&self) -> &(dyn Backend + 'static) {
        self.backend.as_deref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut (dyn Backend + 'static) {
        self.backend.as_deref_mut().expect("present until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(backend) = self.backend.take() {
            lock(&self.pool.state).0.push(backend);
            self.pool.freed.notify_one();
        }
    }
}
