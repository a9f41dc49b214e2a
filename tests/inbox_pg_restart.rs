//! PostgreSQL stopped and started again, then restarted (`pg_ctl restart`), under load,
//! with a receiving process and a worker process on it: while it is down the receiver
//! answers 503 (and stays up), the worker waits; once it is back both go on by themselves,
//! and every event answered 200 is handled.
//!
//! In a test binary of its own: stopping the server would break any other PostgreSQL test
//! running beside it (the tests of one binary run in parallel; binaries run one by one).
#![cfg(feature = "cli")]

use std::collections::HashSet;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

#[path = "common/postgres.rs"]
mod pg;
#[path = "common/procs.rs"]
mod procs;

use procs::*;

/// What the senders have seen so far.
#[derive(Default)]
struct Seen {
    ok: usize,
    unavailable: usize,
    acked: HashSet<String>,
    /// Answered 503: CINNOX sends these again later.
    refused: Vec<String>,
    /// Anything but 200 or 503 (or no answer): must stay empty.
    other: Vec<(String, Option<u16>)>,
    stop: bool,
}

struct Shared {
    seen: Mutex<Seen>,
    changed: Condvar,
}

impl Shared {
    /// Block until `ready` holds of what was seen.
    fn wait_for(&self, what: &str, ready: impl Fn(&Seen) -> bool) {
        let seen = self.seen.lock().unwrap();
        let (seen, timeout) = self
            .changed
            .wait_timeout_while(seen, Duration::from_secs(120), |s| !ready(s))
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{what}: {} answered 200, {} answered 503, others {:?}",
            seen.ok,
            seen.unavailable,
            seen.other
        );
    }
}

/// Run `pg_ctl ACTION` on the test server (as its owner when we are root).
fn pg_ctl(action: &str) {
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: scripts/postgres.sh sets it"))
    };
    let (ctl, data, user) = (
        var("CINNOX_TEST_PG_CTL"),
        var("CINNOX_TEST_PGDATA"),
        var("CINNOX_TEST_PG_USER"),
    );
    let log = format!("{data}/server.log");
    let mut args = vec![ctl.as_str(), "-D", &data, "-w", action];
    if action != "start" {
        args.extend(["-m", "fast"]);
    }
    // The server's output to its log, never to our pipes (which `output` reads to the end).
    if action != "stop" {
        args.extend(["-l", &log]);
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let out = if root {
        Command::new("runuser")
            .args(["-u", &user, "--"])
            .args(&args)
            .output()
    } else {
        Command::new(args[0]).args(&args[1..]).output()
    }
    .expect("run pg_ctl");
    assert!(
        out.status.success(),
        "pg_ctl {action}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn send_until_stopped(shared: &Shared, addr: SocketAddr, t: usize) {
    let mut conn: Option<TcpStream> = None;
    for n in 0.. {
        if shared.seen.lock().unwrap().stop {
            return;
        }
        let id = format!("restart-{t}-{n}");
        let status = post_status(&mut conn, addr, &event(&id), Duration::from_secs(5));
        let mut seen = shared.seen.lock().unwrap();
        match status {
            Some(200) => {
                seen.ok += 1;
                seen.acked.insert(id);
            }
            Some(503) => {
                seen.unavailable += 1;
                seen.refused.push(id);
            }
            other => seen.other.push((id, other)),
        }
        drop(seen);
        shared.changed.notify_all();
    }
}

#[test]
fn a_postgres_restart_under_load_loses_no_acknowledged_event() {
    let url = pg::fresh("restart");
    let d = dir("pg-restart");
    let log = d.join("handled.log");
    let (mut receiver, first) = start(&listen_args(&url));
    let addr = listening(&first);
    let (mut worker, _) = start(&work_args(&url, &log));

    let shared = Shared {
        seen: Mutex::new(Seen::default()),
        changed: Condvar::new(),
    };
    std::thread::scope(|s| {
        for t in 0..2 {
            let shared = &shared;
            s.spawn(move || send_until_stopped(shared, addr, t));
        }
        // Also when a step below fails: the senders stop and the test ends.
        let _stop_senders = OnDrop(|| {
            shared.seen.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        });
        shared.wait_for("events stored before the stop", |s| s.ok >= 200);

        pg_ctl("stop");
        // While it is down: 503s, and both processes stay up.
        shared.wait_for("503s while PostgreSQL is down", |s| s.unavailable >= 20);
        assert!(receiver.try_wait().unwrap().is_none(), "the receiver died");
        assert!(worker.try_wait().unwrap().is_none(), "the worker died");

        pg_ctl("start");
        let ok_at_start = shared.seen.lock().unwrap().ok;
        shared.wait_for("events stored after the start", |s| {
            s.ok >= ok_at_start + 200
        });

        // And `pg_ctl restart` in one step, under the same load.
        pg_ctl("restart");
        let ok_at_restart = shared.seen.lock().unwrap().ok;
        shared.wait_for("events stored after the restart", |s| {
            s.ok >= ok_at_restart + 200
        });
    });
    let seen = shared.seen.into_inner().unwrap();
    assert!(
        seen.other.is_empty(),
        "answers other than 200/503: {:?}",
        seen.other
    );

    // CINNOX sends what was refused again; now it is stored.
    let mut acked = seen.acked;
    let mut conn = None;
    for id in &seen.refused {
        let status = post_status(&mut conn, addr, &event(id), Duration::from_secs(5));
        assert_eq!(status, Some(200), "{id} sent again after the restart");
        acked.insert(id.clone());
    }

    // The worker, never restarted, handles everything.
    drained_by(&url, &mut [&mut worker]);
    let handled = handled(&log);
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !handled.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "answered 200 but never handled: {lost:?}");
    assert!(receiver.try_wait().unwrap().is_none(), "the receiver died");
    assert!(worker.try_wait().unwrap().is_none(), "the worker died");
    eprintln!(
        "{} events answered 200 ({} of them after a 503), {} answered 503 while PostgreSQL \
         was down; all handled, {} handled twice",
        acked.len(),
        seen.refused.len(),
        seen.unavailable,
        handled.values().filter(|&&n| n > 1).count()
    );
    kill9(&mut worker);
    kill9(&mut receiver);
}
