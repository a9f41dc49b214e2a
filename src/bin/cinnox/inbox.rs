//! `cinnox inbox`: look into a durable inbox, replay, purge, and consume it as a worker.

use std::time::Duration;

use cinnox::inbox::InboxConfig;
use cinnox::Inbox;

use crate::listen::{handle_delivery, Handling, Schedule};
use crate::Outcome;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Location {
    /// The inbox: a file, or a postgres:// URL (only `work` creates a missing file).
    #[arg(long)]
    inbox: String,
}

#[derive(clap::Subcommand)]
enum Command {
    /// How many events are pending, in flight, done and dead.
    #[command(after_help = "Example:\n  cinnox inbox stats --inbox cinnox-inbox.db")]
    Stats(Location),
    /// One line per stored event: id, state, attempts, dedup key, last error.
    #[command(
        after_help = "Examples:\n  cinnox inbox list --inbox cinnox-inbox.db\n  cinnox inbox list --after 100 --limit 20 --inbox cinnox-inbox.db"
    )]
    List {
        #[command(flatten)]
        at: Location,
        /// Only events with an id above this.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One event, with its raw body, its times and its last error.
    #[command(after_help = "Example:\n  cinnox inbox show 42 --inbox cinnox-inbox.db")]
    Show {
        /// The event's id (see `list`).
        id: i64,
        #[command(flatten)]
        at: Location,
    },
    /// Make an event (by id) or every dead event (--dead) pending again.
    #[command(
        after_help = "Examples:\n  cinnox inbox replay 42 --inbox cinnox-inbox.db\n  cinnox inbox replay --dead --inbox cinnox-inbox.db"
    )]
    Replay {
        /// The event's id.
        #[arg(required_unless_present = "dead", conflicts_with = "dead")]
        id: Option<i64>,
        /// Every dead event.
        #[arg(long)]
        dead: bool,
        #[command(flatten)]
        at: Location,
    },
    /// Delete done events older than the retention (duplicates are recognised that long).
    #[command(
        after_help = "Example:\n  cinnox inbox purge --older-than-hours 72 --inbox cinnox-inbox.db"
    )]
    Purge {
        #[command(flatten)]
        at: Location,
        /// The retention, in hours.
        #[arg(long, default_value_t = 72)]
        older_than_hours: u64,
    },
    /// Take events from the inbox and handle them (a worker process beside a receiver).
    #[command(
        after_help = "Examples:\n  cinnox inbox work --inbox cinnox-inbox.db --exec ./handle-event.sh\n  cinnox inbox work --inbox postgres://cinnox@db-host/cinnox --forward-to http://127.0.0.1:3000/hook"
    )]
    Work {
        #[command(flatten)]
        at: Location,
        #[command(flatten)]
        handling: Handling,
        /// How long a handler may hold an event before it is handed out again (a worker
        /// that dies gives its events back after this long).
        #[arg(long, default_value_t = 60_000)]
        lease_ms: u64,
        #[command(flatten)]
        schedule: Schedule,
    },
}

/// The inbox at `location`, which must exist: only `listen` and `work` create one.
fn existing(location: &str) -> cinnox::Result<Inbox> {
    let postgres = location.starts_with("postgres://") || location.starts_with("postgresql://");
    if !postgres && !std::path::Path::new(location).exists() {
        return Err(cinnox::Error::invalid_argument(format!(
            "no inbox at {location}: the file does not exist (the inbox commands read an \
             existing inbox; `cinnox listen --inbox {location}` or `cinnox inbox work --inbox \
             {location}` creates one)"
        )));
    }
    Inbox::open_with(location, &InboxConfig::builder().create(false).build()?)
}

/// `2026-12-07T10:15:00.000Z`, from milliseconds since the Unix epoch.
fn when(ms: i64) -> String {
    crate::time::rfc3339_millis(u64::try_from(ms).unwrap_or(0))
}

pub fn run(a: Args) -> Outcome {
    match a.command {
        Command::Stats(at) => {
            let c = existing(&at.inbox)?.stats()?;
            println!("pending {}", c.pending);
            println!("in_flight {}", c.in_flight);
            println!("done {}", c.done);
            println!("dead {}", c.dead);
            println!("oldest_pending_age_ms {}", c.oldest_pending_age.as_millis());
            Ok(true)
        }
        Command::List { at, after, limit } => {
            for e in existing(&at.inbox)?.list(after, limit)? {
                println!(
                    "{} {} attempts={} key={} {}",
                    e.id,
                    e.state,
                    e.attempts,
                    e.dedup_key,
                    e.last_error.as_deref().unwrap_or("")
                );
            }
            Ok(true)
        }
        Command::Show { id, at } => match existing(&at.inbox)?.get(id)? {
            Some(e) => {
                println!("id {}", e.id);
                println!("state {}", e.state);
                println!("attempts {}", e.attempts);
                println!("dedup_key {}", e.dedup_key);
                println!(
                    "received_at {} ({} ms)",
                    when(e.received_at_ms),
                    e.received_at_ms
                );
                match e.next_attempt_at_ms {
                    Some(ms) => println!("next_attempt_at {}", when(ms)),
                    None => println!("next_attempt_at -"),
                }
                println!("last_error {}", e.last_error.as_deref().unwrap_or("-"));
                println!("body {}", String::from_utf8_lossy(&e.body));
                Ok(true)
            }
            None => Err(format!("no event with id {id}").into()),
        },
        Command::Replay { id, dead, at } => {
            let inbox = existing(&at.inbox)?;
            if dead {
                println!("replayed {}", inbox.replay_dead()?);
                return Ok(true);
            }
            let id = id.unwrap_or_default();
            if inbox.replay(id)? {
                println!("replayed {id}");
                Ok(true)
            } else {
                Err(format!("no done or dead event with id {id}").into())
            }
        }
        Command::Purge {
            at,
            older_than_hours,
        } => {
            let n = existing(&at.inbox)?.purge(Duration::from_secs(older_than_hours * 3600))?;
            println!("purged {n}");
            Ok(true)
        }
        Command::Work {
            at,
            handling,
            lease_ms,
            schedule,
        } => {
            let config = schedule.config(Duration::from_millis(lease_ms.max(1)))?;
            work(&at.inbox, &handling, &config)
        }
    }
}

/// Handle events until Ctrl-C: `Ok` acks, `Err` fails (retried from the inbox).
fn work(location: &str, handling: &Handling, config: &InboxConfig) -> Outcome {
    let inbox = Inbox::open_with(location, config)?;
    let action = handling.action();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    crate::on_interrupt(move || flag.store(true, std::sync::atomic::Ordering::Release))?;
    eprintln!("working on {location}");
    let (mut acked, mut failed) = (0u64, 0u64);
    while !stop.load(std::sync::atomic::Ordering::Acquire) {
        let delivery = match inbox.recv_timeout(Duration::from_millis(200)) {
            Ok(d) => d,
            Err(e) if e.kind() == cinnox::ErrorKind::Timeout => continue,
            Err(e) => return Err(e.into()),
        };
        if handle_delivery(delivery, &action, handling.json, location) {
            acked += 1;
        } else {
            failed += 1;
        }
    }
    eprintln!("stopped: acked {acked}, failed {failed}");
    Ok(true)
}
