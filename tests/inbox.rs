//! The durable inbox: store-if-new, claim with a lease, ack, retry, dead letters, replay,
//! stats, purge; and a receiver that answers 200 only once an event is stored.

#[path = "common/postgres.rs"]
mod pg;
#[path = "common/receiver.rs"]
mod receiver;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use cinnox::inbox::{Inbox, InboxConfig, InboxCounts, RetrySchedule, Stored};
use cinnox::{ErrorKind, Event, Incoming};
use receiver::*;

fn db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cinnox-inbox-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("inbox.db")
}

/// A fresh SQLite file.
fn sqlite(name: &str) -> String {
    db(name).display().to_string()
}

/// A fresh PostgreSQL database (see tests/common/postgres.rs).
fn postgres(name: &str) -> String {
    pg::fresh(name)
}

/// Each test body runs on SQLite and on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::sqlite(stringify!($name)));
            }
            #[test]
            fn postgres() {
                super::$name(&super::postgres(stringify!($name)));
            }
        }
    )*};
}

on_both_backends!(
    store_is_idempotent_by_dedup_key_and_an_ack_marks_it_done,
    failures_follow_the_schedule_then_dead_keeps_the_reason_and_replay_brings_it_back,
    a_consumer_that_dies_holding_a_lease_gives_the_event_back_after_it,
    events_stored_by_another_process_wake_a_waiting_consumer,
    purge_forgets_done_events_past_the_retention,
    the_receiver_answers_200_once_stored_and_the_application_takes_from_the_inbox,
    serve_retries_a_failing_or_panicking_handler_from_the_inbox,
    copies_submitted_together_are_stored_once_and_each_told_which_it_was,
);

fn open(location: &str) -> Inbox {
    Inbox::open(location).unwrap()
}

fn open_retrying(location: &str, retry: RetrySchedule) -> Inbox {
    let config = InboxConfig::builder().retry(retry).build().unwrap();
    Inbox::open_with(location, &config).unwrap()
}

fn event(id: &str) -> Event {
    match cinnox::parse(call_event(id).as_bytes()).unwrap() {
        Incoming::Event(e) => e,
        other => panic!("{other:?}"),
    }
}

fn counts(inbox: &Inbox) -> (u64, u64, u64, u64) {
    let InboxCounts {
        pending,
        in_flight,
        done,
        dead,
        ..
    } = inbox.stats().unwrap();
    (pending, in_flight, done, dead)
}

const NOW: Duration = Duration::from_millis(0);
const WAIT: Duration = Duration::from_secs(20);

/// Copies of one event and distinct events submitted at once (so that the writer commits
/// them in the same batches): one `New` per key, every other copy a `Duplicate`, one row each.
fn copies_submitted_together_are_stored_once_and_each_told_which_it_was(location: &str) {
    let inbox = open(location);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut sent = 0;
    for copy in 0..20 {
        for key in ["b1", "b2", "b3"] {
            let tx = tx.clone();
            inbox.submit(
                &event(key),
                Box::new(move |r| {
                    let _ = tx.send((key, copy, r));
                }),
            );
            sent += 1;
        }
    }
    let mut new = std::collections::HashMap::new();
    for _ in 0..sent {
        let (key, copy, r) = rx.recv_timeout(WAIT).unwrap();
        match r.unwrap() {
            Stored::New => assert!(new.insert(key, copy).is_none(), "{key} stored twice"),
            Stored::Duplicate => {}
            other => panic!("{key}: {other:?}"),
        }
    }
    assert_eq!(new.len(), 3, "each key stored once: {new:?}");
    let rows = inbox.list(0, 100).unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r.dedup_key.as_str()).collect();
    assert_eq!(rows.len(), 3, "{keys:?}");
    assert_eq!(counts(&inbox), (3, 0, 0, 0));
}

fn store_is_idempotent_by_dedup_key_and_an_ack_marks_it_done(location: &str) {
    let inbox = open(location);
    assert_eq!(inbox.store(&event("c1")).unwrap(), Stored::New);
    assert_eq!(inbox.store(&event("c1")).unwrap(), Stored::Duplicate);
    assert_eq!(inbox.store(&event("c2")).unwrap(), Stored::New);
    assert_eq!(counts(&inbox), (2, 0, 0, 0));

    let d = inbox.recv_timeout(WAIT).unwrap();
    assert_eq!(d.event().id(), Some("c1"));
    assert_eq!(d.peer(), None);
    assert_eq!(counts(&inbox), (1, 1, 0, 0));
    d.ack();
    assert_eq!(counts(&inbox), (1, 0, 1, 0));
    inbox.recv_timeout(WAIT).unwrap().ack();
    assert_eq!(counts(&inbox), (0, 0, 2, 0));
    // Nothing due: a timeout, not a spin.
    let e = inbox.recv_timeout(Duration::from_millis(50)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    // Still a duplicate once done: answered 200 without a second handling.
    assert_eq!(inbox.store(&event("c1")).unwrap(), Stored::Duplicate);
    let listed = inbox.list(0, 10).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].state, "done");
    assert_eq!(listed[0].attempts, 1);
    assert_eq!(listed[0].body, call_event("c1").as_bytes());
    assert!(
        !format!("{:?}", listed[0]).contains("message"),
        "no body in Debug"
    );
}

fn failures_follow_the_schedule_then_dead_keeps_the_reason_and_replay_brings_it_back(
    location: &str,
) {
    let inbox = open_retrying(
        location,
        RetrySchedule::builder()
            .max_attempts(3)
            .first_delay(Duration::from_millis(20))
            .max_delay(Duration::from_millis(40))
            .build()
            .unwrap(),
    );
    inbox.store(&event("bad")).unwrap();
    inbox
        .recv_timeout(WAIT)
        .unwrap()
        .fail_with("first: timeout");
    // Not due before its delay.
    assert!(inbox.recv_timeout(NOW).is_err());
    drop(inbox.recv_timeout(WAIT).unwrap()); // dropped unanswered: a failure too
    inbox
        .recv_timeout(WAIT)
        .unwrap()
        .fail_with("third: the CRM refused it");
    assert_eq!(counts(&inbox), (0, 0, 0, 1));
    let dead = &inbox.list(0, 10).unwrap()[0];
    assert_eq!(dead.state, "dead");
    assert_eq!(dead.attempts, 3);
    assert_eq!(
        dead.last_error.as_deref(),
        Some("third: the CRM refused it")
    );
    assert!(inbox.recv_timeout(Duration::from_millis(100)).is_err());

    assert_eq!(inbox.replay_dead().unwrap(), 1);
    let again = inbox.recv_timeout(WAIT).unwrap();
    assert_eq!(again.event().id(), Some("bad"));
    again.ack();
    assert_eq!(counts(&inbox), (0, 0, 1, 0));
    // An acked event can be replayed by id; an unknown id cannot.
    let id = inbox.list(0, 1).unwrap()[0].id;
    assert!(inbox.replay(id).unwrap());
    assert!(!inbox.replay(id + 100).unwrap());
    inbox.recv_timeout(WAIT).unwrap().ack();
    // By time range: dead events stored in the range only.
    // Another handle on the same store (as another process would be), which gives up at once.
    let inbox = open_retrying(
        location,
        RetrySchedule::builder().max_attempts(1).build().unwrap(),
    );
    inbox.store(&event("dead-2")).unwrap();
    inbox.recv_timeout(WAIT).unwrap().fail();
    let past = SystemTime::now() - Duration::from_secs(3600);
    assert_eq!(inbox.replay_dead_between(past, past).unwrap(), 0);
    assert_eq!(
        inbox
            .replay_dead_between(past, SystemTime::now() + Duration::from_secs(1))
            .unwrap(),
        1
    );
    assert_eq!(
        inbox.recv_timeout(WAIT).unwrap().event().id(),
        Some("dead-2")
    );
}

fn a_consumer_that_dies_holding_a_lease_gives_the_event_back_after_it(location: &str) {
    let config = InboxConfig::builder()
        .lease(Duration::from_millis(300))
        .build()
        .unwrap();
    let a = Inbox::open_with(location, &config).unwrap();
    let b = open(location); // another process, as far as the store is concerned
    a.store(&event("leased")).unwrap();
    let held = a.recv_timeout(WAIT).unwrap();
    // Held: the other consumer skips it.
    assert!(b.recv_timeout(Duration::from_millis(50)).is_err());
    assert_eq!(counts(&b).1, 1);
    // "Crash": the holder never answers.
    std::mem::forget(held);
    let again = b.recv_timeout(WAIT).unwrap();
    assert_eq!(again.event().id(), Some("leased"));
    again.ack();
    assert_eq!(counts(&a), (0, 0, 1, 0));
}

fn events_stored_by_another_process_wake_a_waiting_consumer(location: &str) {
    let consumer = open(location);
    let producer = open(location);
    std::thread::scope(|s| {
        let got = s.spawn(|| {
            consumer
                .recv_timeout(WAIT)
                .map(|d| d.event().id().map(String::from))
        });
        producer.store(&event("from-elsewhere")).unwrap();
        assert_eq!(
            got.join().unwrap().unwrap().as_deref(),
            Some("from-elsewhere")
        );
    });
}

fn purge_forgets_done_events_past_the_retention(location: &str) {
    let inbox = open(location);
    inbox.store(&event("old")).unwrap();
    inbox.recv_timeout(WAIT).unwrap().ack();
    assert_eq!(inbox.purge(Duration::from_secs(3600)).unwrap(), 0);
    assert_eq!(inbox.purge(Duration::ZERO).unwrap(), 1);
    // Past the retention a redelivery is new again.
    assert_eq!(inbox.store(&event("old")).unwrap(), Stored::New);
}

#[test]
fn bad_settings_and_locations_are_clear_errors() {
    // Settings that cannot work cannot be built, so no inbox opens with them.
    for bad in [
        RetrySchedule::builder().max_attempts(0).build(),
        RetrySchedule::builder()
            .max_attempts(3)
            .first_delay(Duration::from_secs(10))
            .max_delay(Duration::from_secs(1))
            .build(),
    ] {
        assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
    assert_eq!(
        InboxConfig::builder()
            .lease(Duration::ZERO)
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        Inbox::open("").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let e = Inbox::open("/nonexistent-dir/x/inbox.db").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    // Nobody listening on that port: a clear I/O error, within the connect timeout.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = Inbox::open(&format!("postgres://x@127.0.0.1:{port}/db")).unwrap_err();
    if cfg!(feature = "postgres") {
        assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        assert!(
            e.to_string().contains("cannot connect to PostgreSQL"),
            "{e}"
        );
    } else {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
}

// ---- with the receiver ----

fn receiver_with(inbox: &Inbox) -> cinnox::Receiver {
    start_default(quick_config().inbox(inbox.clone()))
}

fn the_receiver_answers_200_once_stored_and_the_application_takes_from_the_inbox(location: &str) {
    let inbox = open(location);
    let rx = receiver_with(&inbox);
    let mut client = Client::new(rx.local_addr());
    // Answered before any application code ran: the event is on disk.
    let r = client.post(PATH, call_event("rx-1").as_bytes());
    assert_eq!(r.status, 200, "{}", r.body_text());
    assert_eq!(r.body_text(), r#"{"code":0}"#);
    assert_eq!(counts(&inbox), (1, 0, 0, 0));
    // A redelivery: 200, no second row.
    assert_eq!(client.post(PATH, call_event("rx-1").as_bytes()).status, 200);
    assert_eq!(inbox.list(0, 10).unwrap().len(), 1);
    // Challenges are still answered inline.
    assert_eq!(client.post(PATH, br#"{"challenge":"abc"}"#).status, 200);

    let d = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(d.event().id(), Some("rx-1"));
    d.ack();
    assert_eq!(counts(&inbox), (0, 0, 1, 0));
    rx.shutdown();
    assert_eq!(rx.recv().unwrap_err().kind(), ErrorKind::Closed);
}

fn serve_retries_a_failing_or_panicking_handler_from_the_inbox(location: &str) {
    let inbox = open_retrying(
        location,
        RetrySchedule::builder()
            .max_attempts(5)
            .first_delay(Duration::from_millis(10))
            .max_delay(Duration::from_millis(10))
            .build()
            .unwrap(),
    );
    let rx = receiver_with(&inbox);
    let calls = AtomicUsize::new(0);
    let handle = rx.shutdown_handle();
    let mut client = Client::new(rx.local_addr());
    assert_eq!(
        client.post(PATH, call_event("flaky").as_bytes()).status,
        200
    );
    std::thread::scope(|s| {
        s.spawn(|| {
            rx.serve(2, |_| match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err("the CRM is down"),
                1 => panic!("a bug in the handler"),
                _ => {
                    handle.shutdown();
                    Ok(())
                }
            })
            .unwrap()
        });
    });
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(counts(&inbox), (0, 0, 1, 0));
    assert_eq!(inbox.list(0, 1).unwrap()[0].attempts, 3);
    assert_eq!(rx.stats().handler_panics, 1);
}

#[test]
fn a_store_that_fails_answers_503_with_retry_after_never_200() {
    let path = db("fail");
    let inbox = open(path.to_str().unwrap());
    let rx = receiver_with(&inbox);
    // The store refuses writes from now on, as a full or read-only disk would.
    let sabotage = rusqlite::Connection::open(&path).unwrap();
    sabotage
        .execute_batch(
            "CREATE TRIGGER full BEFORE INSERT ON cinnox_inbox
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
        )
        .unwrap();
    let mut client = Client::new(rx.local_addr());
    let r = client.post(PATH, call_event("lost?").as_bytes());
    assert_eq!(r.status, 503, "{}", r.body_text());
    assert_eq!(r.header("Retry-After"), Some("1"));
    assert_eq!(rx.stats().store_failures, 1);
    assert_eq!(rx.stats().webhook.acks, 0);
    // Healed: the redelivery is stored and answered 200.
    sabotage.execute_batch("DROP TRIGGER full;").unwrap();
    assert_eq!(
        client.post(PATH, call_event("lost?").as_bytes()).status,
        200
    );
    assert_eq!(rx.recv_timeout(WAIT).unwrap().event().id(), Some("lost?"));
}

/// PostgreSQL: the consumers of one process share a small pool of connections (one writer,
/// at most four for claims and answers, one listening), however many threads consume.
#[cfg(feature = "postgres")]
#[test]
fn many_consumer_threads_share_a_small_pool_of_postgres_connections() {
    let location = postgres("pool");
    let inbox = open(&location);
    let total = 200;
    for n in 0..total {
        assert_eq!(inbox.store(&event(&format!("p{n}"))).unwrap(), Stored::New);
    }
    let handled = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..12 {
            s.spawn(|| {
                while handled.load(Ordering::SeqCst) < total {
                    match inbox.recv_timeout(Duration::from_millis(100)) {
                        Ok(d) => {
                            d.ack();
                            handled.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => assert_eq!(e.kind(), ErrorKind::Timeout),
                    }
                }
            });
        }
    });
    assert_eq!(counts(&inbox), (0, 0, total as u64, 0));
    let db = location.rsplit_once('/').unwrap().1;
    let admin = std::env::var("CINNOX_TEST_POSTGRES_URL").unwrap();
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let open: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
            &[&db],
        )
        .unwrap()
        .get(0);
    assert!((3..=6).contains(&open), "{open} connections to {db}");
}
