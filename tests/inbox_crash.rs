//! Crash tests with real processes: a sender that never retries posts thousands of events
//! over several connections while the receiving process (and, separately, a worker
//! process) is killed with SIGKILL at arbitrary points and restarted. Every event answered
//! 200 must be handled at least once; an event may be handled twice only when a kill
//! interrupted it after its handler ran and before its ack was committed.
#![cfg(feature = "cli")]

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, TcpStream};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cinnox::Inbox;

#[path = "common/postgres.rs"]
mod pg;
#[path = "common/procs.rs"]
mod procs;

use procs::*;

const SENDERS: usize = 4;
const PER_SENDER: usize = 500;
const WORKERS: usize = 2;

/// Send every event from `SENDERS` connections; returns the ids answered 200. `progress`
/// counts events sent, so that the killer can pick its moments, and can stop the sending
/// early (the test is failing).
fn send_all(addr: SocketAddr, progress: &Progress) -> HashSet<String> {
    let acked = Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        for t in 0..SENDERS {
            let acked = &acked;
            s.spawn(move || {
                let mut conn = None;
                for n in 0..PER_SENDER {
                    if progress.stopped() {
                        break;
                    }
                    let id = format!("crash-{t}-{n}");
                    if post(&mut conn, addr, &event(&id)) {
                        acked.lock().unwrap().insert(id);
                    }
                    progress.add();
                }
            });
        }
    });
    progress.finish();
    acked.into_inner().unwrap()
}

fn check(acked: &HashSet<String>, handled: &HashMap<String, usize>, kills: usize) {
    assert!(
        acked.len() > SENDERS * PER_SENDER * 9 / 10,
        "most events must get through: {} of {}",
        acked.len(),
        SENDERS * PER_SENDER
    );
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !handled.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "answered 200 but never handled: {lost:?}");
    let twice = handled.values().filter(|&&n| n > 1).count();
    eprintln!(
        "{} of {} events answered 200, all handled; {twice} handled twice after {kills} kills",
        acked.len(),
        SENDERS * PER_SENDER
    );
    // Each kill interrupts at most one handling per worker thread.
    assert!(
        twice <= kills * WORKERS,
        "{twice} events handled twice after {kills} kills"
    );
}

#[test]
fn killing_the_receiving_process_loses_no_acknowledged_event() {
    let d = dir("receiver");
    let db = d.join("inbox.db");
    let log = d.join("handled.log");
    // Restarts bind the same port: one no other socket can take meanwhile.
    let addr = SocketAddr::from(([127, 0, 0, 1], fixed_port()));
    let mut args: Vec<String> = [
        "listen",
        "--bind",
        &addr.to_string(),
        "--path",
        PATH,
        "--inbox",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(db.display().to_string());
    args.extend(["--lease-ms", LEASE_MS, "--workers"].map(String::from));
    args.push(WORKERS.to_string());
    args.push("--exec".into());
    args.push(handler(&log));
    let start_receiver = || {
        let (child, first) = start(&args);
        assert_eq!(
            first,
            format!("listening on {addr}"),
            "{}",
            stderr_of(&child)
        );
        child
    };
    let mut child = start_receiver();

    let progress = Progress::default();
    let kills = 4;
    let acked = std::thread::scope(|s| {
        let sender = s.spawn(|| send_all(addr, &progress));
        // A failure below stops the senders, so that the test ends at once.
        let _stop_senders = OnDrop(|| progress.stop());
        // Kill at points spread over the run (after 15 %, 35 %, 55 %, 75 % of the events
        // were sent), each time mid-stream, and restart at once.
        let total = SENDERS * PER_SENDER;
        for k in 0..kills {
            let at = total * (15 + 20 * k) / 100;
            progress.wait_for(at, || assert_running(&mut child, "the receiving process"));
            kill9(&mut child);
            child = start_receiver();
        }
        progress.wait_finished(|| assert_running(&mut child, "the receiving process"));
        sender.join().unwrap()
    });
    drained_by(db.to_str().unwrap(), &mut [&mut child]);
    kill9(&mut child);
    check(&acked, &handled(&log), kills);
}

#[test]
fn killing_a_worker_process_loses_no_event() {
    let d = dir("worker");
    let db = d.join("inbox.db");
    let log = d.join("handled.log");
    let db_arg = db.display().to_string();
    let (mut receiver, first) = start(&[
        "listen".into(),
        "--bind".into(),
        "127.0.0.1:0".into(),
        "--path".into(),
        PATH.into(),
        "--inbox".into(),
        db_arg.clone(),
        "--store-only".into(),
    ]);
    let addr: SocketAddr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .parse()
        .unwrap();
    let worker_args: Vec<String> = vec![
        "inbox".into(),
        "work".into(),
        "--inbox".into(),
        db_arg,
        "--lease-ms".into(),
        LEASE_MS.into(),
        "--exec".into(),
        handler(&log),
    ];
    let workers: Arc<Mutex<Vec<Child>>> = Arc::new(Mutex::new(
        (0..WORKERS).map(|_| start(&worker_args).0).collect(),
    ));
    let progress = Progress::default();
    let kills = 4;
    let acked = std::thread::scope(|s| {
        let sender = s.spawn(|| send_all(addr, &progress));
        let _stop_senders = OnDrop(|| progress.stop());
        let total = SENDERS * PER_SENDER;
        for k in 0..kills {
            let at = total * (15 + 20 * k) / 100;
            progress.wait_for(at, || assert_running(&mut receiver, "the receiver"));
            let mut w = workers.lock().unwrap();
            let victim = k % WORKERS;
            kill9(&mut w[victim]);
            w[victim] = start(&worker_args).0;
        }
        sender.join().unwrap()
    });
    // Every event sent to a receiver that was never killed is answered 200.
    assert_eq!(acked.len(), SENDERS * PER_SENDER);
    let mut workers = workers.lock().unwrap();
    let mut handlers: Vec<&mut Child> = workers.iter_mut().collect();
    drained_by(db.to_str().unwrap(), &mut handlers);
    for w in workers.iter_mut() {
        kill9(w);
    }
    kill9(&mut receiver);
    check(&acked, &handled(&log), kills);
}

// ---- PostgreSQL: several hosts on one inbox ----

/// A fresh database (see tests/common/postgres.rs).
fn postgres(name: &str) -> String {
    pg::fresh(name)
}

#[test]
fn three_receivers_and_three_workers_share_one_postgres_inbox() {
    let url = postgres("hosts");
    let d = dir("pg-hosts");
    let log = d.join("handled.log");
    let mut receivers: Vec<(Child, SocketAddr)> = (0..3)
        .map(|_| {
            let (c, first) = start(&listen_args(&url));
            (c, listening(&first))
        })
        .collect();
    let addrs: Vec<SocketAddr> = receivers.iter().map(|r| r.1).collect();
    let mut workers: Vec<Child> = (0..3).map(|_| start(&work_args(&url, &log)).0).collect();

    let total = 3000;
    let progress = Progress::default();
    let acked = Mutex::new(HashSet::new());
    let twice_sent = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..3 {
            let (addrs, acked, twice_sent, progress) = (&addrs, &acked, &twice_sent, &progress);
            s.spawn(move || {
                // A sender that fails must not leave the killer below waiting.
                let _finish_on_panic = OnDrop(|| {
                    if std::thread::panicking() {
                        progress.finish()
                    }
                });
                let mut conns: Vec<Option<TcpStream>> = vec![None, None, None];
                for n in (t..total).step_by(3) {
                    let id = format!("pg-{n}");
                    let body = event(&id);
                    let first = n % 3;
                    let no_wait = Duration::ZERO;
                    if post_status(&mut conns[first], addrs[first], &body, no_wait) == Some(200) {
                        acked.lock().unwrap().insert(id.clone());
                    }
                    // A tenth of them again, to another receiver (a redelivery elsewhere).
                    if n % 10 == 0 {
                        let other = (first + 1) % 3;
                        let again = post_status(&mut conns[other], addrs[other], &body, no_wait);
                        if again == Some(200) {
                            acked.lock().unwrap().insert(id.clone());
                            twice_sent.lock().unwrap().push(id);
                        }
                    }
                    progress.add();
                }
            });
        }
        // One receiver and one worker die mid-run (and stay dead).
        progress.wait_for(total / 3, || {});
        kill9(&mut receivers[0].0);
        progress.wait_for(total / 2, || {});
        kill9(&mut workers[0]);
    });
    let (_, alive) = workers.split_at_mut(1);
    let mut alive: Vec<&mut Child> = alive.iter_mut().collect();
    drained_by(&url, &mut alive);
    let handled = handled(&log);
    let acked = acked.into_inner().unwrap();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !handled.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "answered 200 but never handled: {lost:?}");
    // Only the killed worker's one event in hand can have been handled twice.
    let twice: Vec<(&String, &usize)> = handled.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 1, "handled twice: {twice:?}");
    // Sent to two receivers, stored once: one row per event.
    let inbox = Inbox::open(&url).unwrap();
    let rows = inbox.list(0, 10_000).unwrap();
    let keys: HashSet<&String> = rows.iter().map(|r| &r.dedup_key).collect();
    assert_eq!(keys.len(), rows.len());
    let twice_sent = twice_sent.into_inner().unwrap();
    assert!(!twice_sent.is_empty());
    for id in &twice_sent {
        assert!(handled.contains_key(id), "{id}");
    }
    eprintln!(
        "{} events answered 200 by 3 receivers ({} of them twice, to two receivers), \
         {} rows, all handled; {} handled twice",
        acked.len(),
        twice_sent.len(),
        rows.len(),
        twice.len()
    );
    for w in workers.iter_mut() {
        kill9(w);
    }
    for r in receivers.iter_mut() {
        kill9(&mut r.0);
    }
}
