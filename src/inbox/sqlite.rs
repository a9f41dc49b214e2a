//! The SQLite backend: one file, WAL, `synchronous=FULL`, shared by several processes.

use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::{store_error, Backend, Claimed, InboxCounts, Stored, StoredEvent};
use crate::Result;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cinnox_inbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key       TEXT NOT NULL UNIQUE,
    body            BLOB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    received_at     INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cinnox_inbox_due ON cinnox_inbox (state, next_attempt_at);
";

/// Pages in the WAL before a commit checkpoints it.
const WAL_PAGES: u32 = 64;
/// Bytes the WAL file is cut back to when it restarts.
const WAL_LIMIT: u32 = 256 * 1024;

/// Whether `e` is SQLite's "database or disk is full" (`SQLITE_FULL`).
fn disk_full(e: &crate::Error) -> bool {
    e.message().contains("database or disk is full")
}

pub(crate) struct Sqlite {
    conn: Connection,
}

fn db(what: &'static str) -> impl Fn(rusqlite::Error) -> crate::Error {
    move |e| store_error(what, e)
}

impl Sqlite {
    /// Open the database at `path`; without `create`, only one that exists.
    pub(crate) fn open(path: &str, create: bool) -> Result<Sqlite> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        } else if !std::path::Path::new(path).exists() {
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidArgument,
                format!("no inbox at {path}: the file does not exist (and is not created here)"),
            ));
        }
        let conn =
            Connection::open_with_flags(path, flags).map_err(db("cannot open the database"))?;
        // Another process may hold the write lock for a commit: wait for it.
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(db("cannot set the busy timeout"))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(db("cannot switch to WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(store_error("cannot switch to WAL", mode));
        }
        conn.execute_batch("PRAGMA synchronous=FULL;")
            .map_err(db("cannot set synchronous=FULL"))?;
        // A bounded WAL: checkpoints every WAL_PAGES pages (SQLite's default is 1,000, 4 MB
        // with 4 KiB pages), and a WAL longer than WAL_LIMIT is cut back to it when it
        // restarts, so freed space is not eaten by the WAL again.
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint={WAL_PAGES}; PRAGMA journal_size_limit={WAL_LIMIT};"
        ))
        .map_err(db("cannot bound the WAL"))?;
        conn.execute_batch(SCHEMA)
            .map_err(db("cannot create the schema"))?;
        Ok(Sqlite { conn })
    }
}

impl Sqlite {
    fn insert_once(&mut self, events: &[(String, Vec<u8>)], now: i64) -> Result<Vec<Stored>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("cannot begin"))?;
        let mut out = Vec::with_capacity(events.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO cinnox_inbox
                     (dedup_key, body, state, attempts, next_attempt_at, received_at, updated_at)
                     VALUES (?1, ?2, 'pending', 0, ?3, ?3, ?3)",
                )
                .map_err(db("cannot prepare the insert"))?;
            for (key, body) in events {
                let n = insert
                    .execute(params![key, body, now])
                    .map_err(db("cannot store the event"))?;
                out.push(if n == 1 {
                    Stored::New
                } else {
                    Stored::Duplicate
                });
            }
        }
        tx.commit().map_err(db("cannot commit"))?;
        Ok(out)
    }

    fn claim_once(&mut self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Claimed>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("cannot begin"))?;
        let row = tx
            .query_row(
                "SELECT id, attempts, body FROM cinnox_inbox
                 WHERE state = 'pending' AND next_attempt_at <= ?1
                   AND (lease_until IS NULL OR lease_until <= ?1)
                 ORDER BY next_attempt_at, id LIMIT 1",
                params![now],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(db("cannot look for a due event"))?;
        let Some((id, attempts, body)) = row else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE cinnox_inbox SET lease_owner = ?2, lease_until = ?3,
                 attempts = attempts + 1, updated_at = ?4 WHERE id = ?1",
            params![id, owner, lease_until, now],
        )
        .map_err(db("cannot claim the event"))?;
        tx.commit().map_err(db("cannot commit"))?;
        Ok(Some(Claimed {
            id,
            attempts: attempts + 1,
            body,
        }))
    }

    fn ack_once(&mut self, id: i64, now: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE cinnox_inbox SET state = 'done', lease_owner = NULL, lease_until = NULL,
                     last_error = NULL, updated_at = ?2
                 WHERE id = ?1 AND state = 'pending'",
                params![id, now],
            )
            .map_err(db("cannot mark the event done"))?;
        Ok(())
    }

    fn fail_once(
        &mut self,
        id: i64,
        owner: &str,
        next: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        let (state, next) = super::after_failure(next, now);
        self.conn
            .execute(
                "UPDATE cinnox_inbox SET state = ?3, next_attempt_at = ?4, lease_owner = NULL,
                     lease_until = NULL, last_error = ?5, updated_at = ?6
                 WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2",
                params![id, owner, state, next, reason, now],
            )
            .map_err(db("cannot record the failure"))?;
        Ok(())
    }

    fn release_once(&mut self, id: i64, owner: &str, now: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE cinnox_inbox SET lease_owner = NULL, lease_until = NULL,
                     attempts = max(attempts - 1, 0), next_attempt_at = ?3, updated_at = ?3
                 WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2",
                params![id, owner, now],
            )
            .map_err(db("cannot give the event back"))?;
        Ok(())
    }

    fn counts_once(&mut self, now: i64) -> Result<InboxCounts> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT state, lease_until IS NOT NULL AND lease_until > ?1, count(*),
                        min(received_at)
                 FROM cinnox_inbox GROUP BY 1, 2",
            )
            .map_err(db("cannot count"))?;
        let rows = stmt
            .query_map(params![now], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, u64>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .map_err(db("cannot count"))?;
        let rows = rows
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(db("cannot count"))?;
        Ok(InboxCounts::from_groups(rows, now))
    }

    fn replay_dead_once(&mut self, range: Option<(i64, i64)>, now: i64) -> Result<u64> {
        let (from, to) = range.unwrap_or((i64::MIN, i64::MAX));
        let n = self
            .conn
            .execute(
                "UPDATE cinnox_inbox SET state = 'pending', attempts = 0, next_attempt_at = ?3,
                     lease_owner = NULL, lease_until = NULL, updated_at = ?3
                 WHERE state = 'dead' AND received_at BETWEEN ?1 AND ?2",
                params![from, to, now],
            )
            .map_err(db("cannot replay"))?;
        Ok(n as u64)
    }

    fn replay_once(&mut self, id: i64, now: i64) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE cinnox_inbox SET state = 'pending', attempts = 0, next_attempt_at = ?2,
                     lease_owner = NULL, lease_until = NULL, updated_at = ?2
                 WHERE id = ?1 AND state IN ('done', 'dead')",
                params![id, now],
            )
            .map_err(db("cannot replay"))?;
        Ok(n == 1)
    }

    fn purge_once(&mut self, before: i64) -> Result<u64> {
        let n = self
            .conn
            .execute(
                "DELETE FROM cinnox_inbox WHERE state = 'done' AND updated_at <= ?1",
                params![before],
            )
            .map_err(db("cannot purge"))?;
        Ok(n as u64)
    }

    fn list_once(&mut self, after: i64, limit: u32, now: i64) -> Result<Vec<StoredEvent>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, dedup_key, state, lease_until, attempts, last_error, received_at, body, next_attempt_at
                 FROM cinnox_inbox WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(db("cannot list"))?;
        let rows = stmt
            .query_map(params![after, limit], |r| {
                Ok(StoredEvent {
                    id: r.get(0)?,
                    dedup_key: r.get(1)?,
                    state: super::state_of(&r.get::<_, String>(2)?, r.get(3)?, now),
                    attempts: r.get(4)?,
                    last_error: r.get(5)?,
                    received_at_ms: r.get(6)?,
                    body: r.get(7)?,
                    next_attempt_at_ms: (r.get::<_, String>(2)? == "pending")
                        .then(|| r.get(8))
                        .transpose()?,
                })
            })
            .map_err(db("cannot list"))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(db("cannot list"))
    }
}

impl Sqlite {
    /// Run `write`; when the disk is full, checkpoint the WAL into the database and cut it
    /// to nothing (which may be what frees the space), then try once more.
    fn on_full<T>(&mut self, mut write: impl FnMut(&mut Sqlite) -> Result<T>) -> Result<T> {
        match write(self) {
            Err(e) if disk_full(&e) => {
                self.truncate_wal();
                write(self)
            }
            other => other,
        }
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: everything into the database, the WAL file to zero
    /// bytes (when no reader holds it). Best effort: a failure changes nothing.
    fn truncate_wal(&mut self) {
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
}

impl Backend for Sqlite {
    fn insert(&mut self, events: &[(String, Vec<u8>)], now: i64) -> Result<Vec<Stored>> {
        self.on_full(|s| s.insert_once(events, now))
    }
    fn claim(&mut self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Claimed>> {
        self.on_full(|s| s.claim_once(owner, now, lease_until))
    }
    fn ack(&mut self, id: i64, now: i64) -> Result<()> {
        self.on_full(|s| s.ack_once(id, now))
    }
    fn fail(
        &mut self,
        id: i64,
        owner: &str,
        next: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        self.on_full(|s| s.fail_once(id, owner, next, reason, now))
    }
    fn release(&mut self, id: i64, owner: &str, now: i64) -> Result<()> {
        self.on_full(|s| s.release_once(id, owner, now))
    }
    fn counts(&mut self, now: i64) -> Result<InboxCounts> {
        self.counts_once(now)
    }
    fn replay_dead(&mut self, range: Option<(i64, i64)>, now: i64) -> Result<u64> {
        self.on_full(|s| s.replay_dead_once(range, now))
    }
    fn replay(&mut self, id: i64, now: i64) -> Result<bool> {
        self.on_full(|s| s.replay_once(id, now))
    }
    fn purge(&mut self, before: i64) -> Result<u64> {
        self.on_full(|s| s.purge_once(before))
    }
    fn list(&mut self, after: i64, limit: u32, now: i64) -> Result<Vec<StoredEvent>> {
        self.list_once(after, limit, now)
    }
    fn idle(&mut self) {
        // The writer has nothing queued: fold the WAL into the database now, so that the
        // next write restarts the WAL (and journal_size_limit cuts it back).
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}
