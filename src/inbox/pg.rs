//! The PostgreSQL backend: one database shared by any number of receivers and workers.
//!
//! Same rows and states as SQLite. A redelivery that lands on another host meets the
//! unique dedup key (`INSERT … ON CONFLICT DO NOTHING`); claims take the next due row with
//! `FOR UPDATE SKIP LOCKED` and a lease, so workers never wait on each other and a worker
//! that dies gives its events back when the lease expires; the writer's `NOTIFY` wakes idle
//! consumers at once (`LISTEN`). Every connection reconnects after a failure (a restarted
//! server): while the server is down, storing fails (the receiver answers 503) and
//! consumers wait.

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use std::collections::HashMap;

use postgres::{Client, NoTls, Statement};

use super::{store_error, Backend, Claimed, InboxCounts, Stored, StoredEvent};
use crate::Result;

/// The channel of `NOTIFY`.
pub(crate) const CHANNEL: &str = "cinnox_inbox";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cinnox_inbox (
    id              BIGSERIAL PRIMARY KEY,
    dedup_key       TEXT NOT NULL UNIQUE,
    body            BYTEA NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    received_at     BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS cinnox_inbox_due ON cinnox_inbox (state, next_attempt_at);
";

/// A connection that comes back after a failure.
pub(crate) struct Pg {
    url: String,
    conn: Option<Conn>,
}

/// A connection and the statements prepared on it (prepared once, so that each call is one
/// round trip; a new connection prepares them again).
struct Conn {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
}

impl Conn {
    fn new(client: Client) -> Conn {
        Conn {
            client,
            prepared: HashMap::new(),
        }
    }

    /// `sql`, prepared on this connection.
    fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self
            .client
            .prepare(sql)
            .map_err(db("cannot prepare a statement"))?;
        self.prepared.insert(sql, st.clone());
        Ok(st)
    }
}

impl std::ops::Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

fn db(what: &'static str) -> impl Fn(postgres::Error) -> crate::Error {
    move |e| store_error(what, e)
}

/// Connect with a bounded wait (a server that is down must not hold a caller for long).
fn connect(url: &str) -> Result<Client> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| crate::Error::invalid_argument(format!("inbox: bad PostgreSQL URL: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    config
        .connect(NoTls)
        .map_err(db("cannot connect to PostgreSQL"))
}

impl Pg {
    /// Connect and create the schema (once per database, whoever comes first).
    pub(crate) fn open(url: &str) -> Result<Pg> {
        let mut client = connect(url)?;
        let mut tx = client.transaction().map_err(db("cannot begin"))?;
        // Several processes may start at once: one creates the schema, the others wait.
        tx.execute("SELECT pg_advisory_xact_lock(7358201946)", &[])
            .map_err(db("cannot lock the schema"))?;
        tx.batch_execute(SCHEMA)
            .map_err(db("cannot create the schema"))?;
        tx.commit().map_err(db("cannot commit"))?;
        Ok(Pg {
            url: url.to_owned(),
            conn: Some(Conn::new(client)),
        })
    }

    /// The connection, reconnecting when it was lost.
    fn conn(&mut self) -> Result<&mut Conn> {
        if self.conn.as_ref().is_none_or(|c| c.is_closed()) {
            self.conn = None;
            self.conn = Some(Conn::new(connect(&self.url)?));
        }
        self.conn
            .as_mut()
            .ok_or_else(|| store_error("no connection", "reconnect failed"))
    }

    /// Run `f` on the connection; a failure that closed it makes the next call reconnect.
    fn with<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let result = f(self.conn()?);
        if result.is_err() && self.conn.as_ref().is_some_and(|c| c.is_closed()) {
            self.conn = None;
        }
        result
    }
}

impl Backend for Pg {
    fn insert(&mut self, events: &[(String, Vec<u8>)], now: i64) -> Result<Vec<Stored>> {
        let keys: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
        let bodies: Vec<&[u8]> = events.iter().map(|(_, b)| b.as_slice()).collect();
        let new_keys = self.with(|c| {
            let st = c.statement(
                "WITH stored AS (
                         INSERT INTO cinnox_inbox
                         (dedup_key, body, state, attempts, next_attempt_at, received_at,
                          updated_at)
                         SELECT k, b, 'pending', 0, $3, $3, $3
                         FROM unnest($1::text[], $2::bytea[]) AS e(k, b)
                         ON CONFLICT (dedup_key) DO NOTHING
                         RETURNING dedup_key)
                     SELECT dedup_key, pg_notify($4, '') FROM stored",
            )?;
            // The whole batch in one statement and one round trip, committed on its own
            // (autocommit): what was already stored, here or by another host, is skipped
            // by the unique key; the notification goes out with the commit (one per
            // transaction: PostgreSQL folds identical ones).
            let rows = c
                .query(&st, &[&keys, &bodies, &now, &CHANNEL])
                .map_err(db("cannot store the events"))?;
            Ok(rows
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<std::collections::HashSet<String>>())
        })?;
        // In order: the first of a key that was stored now is new, anything else a
        // duplicate (of an earlier row, or of one earlier in this batch).
        let mut new_keys = new_keys;
        Ok(keys
            .iter()
            .map(|k| {
                if new_keys.remove(*k) {
                    Stored::New
                } else {
                    Stored::Duplicate
                }
            })
            .collect())
    }

    fn claim(&mut self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Claimed>> {
        self.with(|c| {
            let st = c.statement(
                "UPDATE cinnox_inbox SET lease_owner = $1, lease_until = $2,
                         attempts = attempts + 1, updated_at = $3
                     WHERE id = (
                         SELECT id FROM cinnox_inbox
                         WHERE state = 'pending' AND next_attempt_at <= $3
                           AND (lease_until IS NULL OR lease_until <= $3)
                         ORDER BY next_attempt_at, id LIMIT 1
                         FOR UPDATE SKIP LOCKED)
                     RETURNING id, attempts, body",
            )?;
            let row = c
                .query_opt(&st, &[&owner, &lease_until, &now])
                .map_err(db("cannot claim an event"))?;
            Ok(row.map(|r| Claimed {
                id: r.get(0),
                attempts: u32::try_from(r.get::<_, i32>(1)).unwrap_or(0),
                body: r.get(2),
            }))
        })
    }

    fn ack(&mut self, id: i64, now: i64) -> Result<()> {
        self.with(|c| {
            let st = c.statement(
                "UPDATE cinnox_inbox SET state = 'done', lease_owner = NULL, lease_until = NULL,
                     last_error = NULL, updated_at = $2
                 WHERE id = $1 AND state = 'pending'",
            )?;
            c.execute(&st, &[&id, &now])
                .map_err(db("cannot mark the event done"))?;
            Ok(())
        })
    }

    fn fail(
        &mut self,
        id: i64,
        owner: &str,
        next: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        let (state, next) = super::after_failure(next, now);
        self.with(|c| {
            let st = c.statement(
                "UPDATE cinnox_inbox SET state = $3, next_attempt_at = $4, lease_owner = NULL,
                     lease_until = NULL, last_error = $5, updated_at = $6
                 WHERE id = $1 AND state = 'pending' AND lease_owner = $2",
            )?;
            c.execute(&st, &[&id, &owner, &state, &next, &reason, &now])
                .map_err(db("cannot record the failure"))?;
            Ok(())
        })
    }

    fn release(&mut self, id: i64, owner: &str, now: i64) -> Result<()> {
        self.with(|c| {
            let st = c.statement(
                "UPDATE cinnox_inbox SET lease_owner = NULL, lease_until = NULL,
                     attempts = greatest(attempts - 1, 0), next_attempt_at = $3, updated_at = $3
                 WHERE id = $1 AND state = 'pending' AND lease_owner = $2",
            )?;
            c.execute(&st, &[&id, &owner, &now])
                .map_err(db("cannot give the event back"))?;
            Ok(())
        })
    }

    fn counts(&mut self, now: i64) -> Result<InboxCounts> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT state, (lease_until IS NOT NULL AND lease_until > $1), count(*),
                            min(received_at)
                     FROM cinnox_inbox GROUP BY 1, 2",
                    &[&now],
                )
                .map_err(db("cannot count"))?;
            let groups = rows.iter().map(|r| {
                (
                    r.get::<_, String>(0),
                    r.get::<_, bool>(1),
                    u64::try_from(r.get::<_, i64>(2)).unwrap_or(0),
                    r.get::<_, Option<i64>>(3),
                )
            });
            Ok(InboxCounts::from_groups(groups, now))
        })
    }

    fn replay_dead(&mut self, range: Option<(i64, i64)>, now: i64) -> Result<u64> {
        let (from, to) = range.unwrap_or((i64::MIN, i64::MAX));
        self.with(|c| {
            let n = c
                .execute(
                    "UPDATE cinnox_inbox SET state = 'pending', attempts = 0, next_attempt_at = $3,
                         lease_owner = NULL, lease_until = NULL, updated_at = $3
                     WHERE state = 'dead' AND received_at BETWEEN $1 AND $2",
                    &[&from, &to, &now],
                )
                .map_err(db("cannot replay"))?;
            c.batch_execute(&format!("NOTIFY {CHANNEL}"))
                .map_err(db("cannot notify"))?;
            Ok(n)
        })
    }

    fn replay(&mut self, id: i64, now: i64) -> Result<bool> {
        self.with(|c| {
            let n = c
                .execute(
                    "UPDATE cinnox_inbox SET state = 'pending', attempts = 0, next_attempt_at = $2,
                         lease_owner = NULL, lease_until = NULL, updated_at = $2
                     WHERE id = $1 AND state IN ('done', 'dead')",
                    &[&id, &now],
                )
                .map_err(db("cannot replay"))?;
            Ok(n == 1)
        })
    }

    fn purge(&mut self, before: i64) -> Result<u64> {
        self.with(|c| {
            c.execute(
                "DELETE FROM cinnox_inbox WHERE state = 'done' AND updated_at <= $1",
                &[&before],
            )
            .map_err(db("cannot purge"))
        })
    }

    fn list(&mut self, after: i64, limit: u32, now: i64) -> Result<Vec<StoredEvent>> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT id, dedup_key, state, lease_until, attempts, last_error, received_at,
                            body, next_attempt_at
                     FROM cinnox_inbox WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&after, &i64::from(limit)],
                )
                .map_err(db("cannot list"))?;
            Ok(rows
                .iter()
                .map(|r| StoredEvent {
                    id: r.get(0),
                    dedup_key: r.get(1),
                    state: super::state_of(r.get::<_, &str>(2), r.get(3), now),
                    attempts: u32::try_from(r.get::<_, i32>(4)).unwrap_or(0),
                    last_error: r.get(5),
                    received_at_ms: r.get(6),
                    body: r.get(7),
                    next_attempt_at_ms: (r.get::<_, &str>(2) == "pending").then(|| r.get(8)),
                })
                .collect())
        })
    }
}

/// Wake `wake` whenever the writer of any process stores new events, until `alive` says
/// the inbox is gone. Runs on its own thread with its own connection; reconnects.
pub(crate) fn listen(url: &str, wake: &dyn Fn() -> bool) {
    loop {
        let mut client = match connect(url) {
            Ok(c) => c,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(500));
                if !wake() {
                    return;
                }
                continue;
            }
        };
        if client.batch_execute(&format!("LISTEN {CHANNEL}")).is_err() {
            continue;
        }
        // Wake after a reconnect too: events may have come meanwhile.
        if !wake() {
            return;
        }
        loop {
            let next = client
                .notifications()
                .timeout_iter(Duration::from_millis(500))
                .next();
            match next {
                Ok(_) => {
                    if !wake() {
                        return;
                    }
                }
                Err(_) => break,
            }
            if client.is_closed() {
                break;
            }
        }
    }
}
