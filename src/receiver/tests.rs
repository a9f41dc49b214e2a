//! Tests that need the receiver's insides: answers after the grace, the store plug, and a
//! peer that stops reading (through the production write path: real sockets, no wrapper).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::{Receiver, ReceiverConfig, Store, Stored};
use crate::event::Event;
use crate::sync::lock;
use crate::{Error, ErrorKind, WebhookConfig};

const PATH: &str = "/hook/s3cret";

/// Long enough that waiting it out is a failure, not a slow pass.
const BOUND: Duration = Duration::from_secs(5);

fn event_body(id: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"message","message":{{"id":"{id}","status":"CallStart","serviceId":"svc-1","caller":{{"eid":"e-1","number":"+85298765432"}},"callees":{{"eid":"e-2","number":"+85212345678"}}}}}}"#
    )
    .into_bytes()
}

fn event(id: &str) -> Vec<u8> {
    let body = event_body(id);
    let mut out = format!(
        "POST {PATH} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

#[test]
fn an_answer_after_the_grace_is_neither_counted_nor_remembered() {
    let config = ReceiverConfig::builder(WebhookConfig::new(PATH).unwrap())
        .shutdown_grace(Duration::from_millis(100))
        .build()
        .unwrap();
    let rx = Receiver::bind("127.0.0.1:0", config).unwrap();
    let addr = rx.local_addr();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(BOUND)).unwrap();
        s.write_all(&event("late")).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line
    });
    let late = rx.recv().unwrap();
    rx.shutdown_handle().shutdown();
    // The grace ends with the delivery still in the application's hands.
    assert_eq!(
        client.join().unwrap(),
        "HTTP/1.1 503 Service Unavailable\r\n"
    );
    late.ack();
    rx.shutdown();
    let stats = rx.stats();
    assert_eq!(
        (
            stats.webhook.events,
            stats.webhook.acks,
            stats.webhook.fails,
            stats.expired_deliveries
        ),
        (1, 0, 0, 1)
    );
    assert_eq!(rx.shared.webhook.dedup_len(), 0);
}

/// The status line and the whole head of the next response on `s`.
fn read_head(reader: &mut BufReader<TcpStream>) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            return head;
        }
        head.push_str(&line);
        if line == "\r\n" {
            return head;
        }
    }
}

fn connect(rx: &Receiver) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(rx.local_addr()).unwrap();
    s.set_read_timeout(Some(BOUND * 2)).unwrap();
    let reader = BufReader::new(s.try_clone().unwrap());
    (s, reader)
}

#[test]
fn shutdown_fails_a_delivery_nobody_took_with_500_written_by_the_io_thread() {
    let rx = Receiver::bind("127.0.0.1:0", WebhookConfig::new(PATH).unwrap()).unwrap();
    let (mut s, mut reader) = connect(&rx);
    s.write_all(&event("unclaimed")).unwrap();
    // The event is queued; nobody takes it.
    let started = std::time::Instant::now();
    while rx.shared.queue.len() == 0 {
        assert!(
            started.elapsed() < BOUND,
            "the event never reached the queue"
        );
        thread::yield_now();
    }
    rx.shutdown_handle().shutdown();
    let head = read_head(&mut reader);
    assert!(
        head.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
        "{head}"
    );
    assert!(head.contains("Connection: close\r\n"), "{head}");
    rx.shutdown();
    assert_eq!(rx.stats().webhook.fails, 1);
}

#[test]
fn a_peer_that_stops_reading_is_cut_and_stalls_neither_the_answer_nor_shutdown() {
    let config = ReceiverConfig::builder(WebhookConfig::new(PATH).unwrap())
        .read_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let rx = Receiver::bind("127.0.0.1:0", config).unwrap();
    let (mut s, _reader) = connect(&rx);
    s.set_write_timeout(Some(BOUND * 2)).unwrap();
    // Small buffers, so that unread replies fill them quickly.
    socket2::SockRef::from(&s)
        .set_recv_buffer_size(4096)
        .unwrap();
    s.write_all(&event("first")).unwrap();
    let delivery = rx.recv().unwrap();
    // Pipelined challenges with large echoes, never read.
    let challenge = format!(r#"{{"challenge":"{}"}}"#, "x".repeat(30_000));
    let one = format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{challenge}",
        challenge.len()
    );
    let writer = thread::spawn(move || {
        for _ in 0..400 {
            if s.write_all(one.as_bytes()).is_err() {
                // Cut by the receiver: the write fails with a reset or a broken pipe.
                return true;
            }
        }
        false
    });
    // The answer never waits on the socket.
    let (done_tx, done) = channel();
    thread::spawn(move || {
        delivery.ack();
        let _ = done_tx.send(());
    });
    done.recv_timeout(BOUND).expect("ack returned");
    assert!(
        writer.join().unwrap(),
        "the receiver kept reading from a peer that does not read"
    );
    let stats = rx.stats();
    // Cut for its unread replies, or (on a loaded machine, when the writer thread is slow
    // to send a request whole) by the read deadline first: cut either way, once.
    assert_eq!(stats.slow_readers + stats.read_timeouts, 1, "{stats:?}");
    assert_eq!(stats.webhook.acks, 1);
    let (tx, returned) = channel();
    let handle = rx.shutdown_handle();
    thread::spawn(move || {
        handle.shutdown();
        let _ = tx.send(());
    });
    returned.recv_timeout(BOUND).expect("shutdown returned");
}

/// What a test store does with each event.
#[derive(Clone, Copy)]
enum Mode {
    /// Keep it in memory; a second copy is a duplicate.
    Memory,
    /// Fail every time.
    Fail,
    /// Hand the completion to the test, which completes it later from another thread.
    Late,
}

type Done = Box<dyn FnOnce(crate::Result<Stored>) + Send>;

struct TestStore {
    mode: Mode,
    kept: Mutex<Vec<String>>,
    late: Mutex<Option<Sender<(Event, Done)>>>,
}

impl Store for TestStore {
    fn submit(&self, event: Event, done: Done) {
        match self.mode {
            Mode::Memory => {
                let key = format!("{:?}", event.dedup_key());
                let mut kept = lock(&self.kept);
                if kept.contains(&key) {
                    done(Ok(Stored::Duplicate));
                } else {
                    kept.push(key);
                    done(Ok(Stored::New));
                }
            }
            Mode::Fail => done(Err(Error::new(ErrorKind::Io, "disk full"))),
            Mode::Late => {
                if let Some(tx) = lock(&self.late).as_ref() {
                    let _ = tx.send((event, done));
                }
            }
        }
    }
}

fn with_store(
    mode: Mode,
) -> (
    Receiver,
    Arc<TestStore>,
    std::sync::mpsc::Receiver<(Event, Done)>,
) {
    let (tx, late) = channel();
    let store = Arc::new(TestStore {
        mode,
        kept: Mutex::new(Vec::new()),
        late: Mutex::new(Some(tx)),
    });
    let webhook = WebhookConfig::builder(PATH)
        .dedup_window(None)
        .build()
        .unwrap();
    let config = ReceiverConfig::builder(webhook)
        .shutdown_grace(Duration::from_millis(300))
        .build()
        .unwrap();
    let rx = Receiver::bind_with_store(
        "127.0.0.1:0",
        config,
        Some(Arc::clone(&store) as Arc<dyn Store>),
    )
    .unwrap();
    (rx, store, late)
}

fn body_of(reader: &mut BufReader<TcpStream>, head: &str) -> String {
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

#[test]
fn a_stored_event_is_answered_200_and_a_stored_duplicate_too_without_the_application() {
    let (rx, store, _late) = with_store(Mode::Memory);
    let (mut s, mut reader) = connect(&rx);
    for _ in 0..2 {
        s.write_all(&event("kept")).unwrap();
        let head = read_head(&mut reader);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert_eq!(body_of(&mut reader, &head), r#"{"code":0}"#);
    }
    assert_eq!(lock(&store.kept).len(), 1);
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1))
            .unwrap_err()
            .kind(),
        ErrorKind::Timeout
    );
}

#[test]
fn a_store_failure_is_answered_503_with_retry_after() {
    let (rx, _store, _late) = with_store(Mode::Fail);
    let (mut s, mut reader) = connect(&rx);
    s.write_all(&event("lost")).unwrap();
    let head = read_head(&mut reader);
    assert!(
        head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{head}"
    );
    assert!(head.contains("Retry-After: 1\r\n"), "{head}");
    assert_eq!(
        body_of(&mut reader, &head),
        r#"{"code":503,"message":"service unavailable"}"#
    );
    // The connection stays usable.
    s.write_all(&event("lost-again")).unwrap();
    assert!(read_head(&mut reader).starts_with("HTTP/1.1 503 "));
}

#[test]
fn a_store_that_completes_late_from_another_thread_gets_its_200_written() {
    let (rx, _store, late) = with_store(Mode::Late);
    let (mut s, mut reader) = connect(&rx);
    s.write_all(&event("slow-disk")).unwrap();
    // A second request pipelined behind it is answered after it, in order.
    s.write_all(format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{{\"challenge\":\"z\"}}").as_bytes()).unwrap();
    let (event, done) = late.recv_timeout(BOUND).expect("the store got the event");
    assert_eq!(event.raw(), &event_body("slow-disk")[..]);
    thread::spawn(move || done(Ok(Stored::New))).join().unwrap();
    let head = read_head(&mut reader);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body_of(&mut reader, &head), r#"{"code":0}"#);
    let head = read_head(&mut reader);
    assert_eq!(
        body_of(&mut reader, &head),
        r#"{"code":0,"result":{"challenge":"z"}}"#
    );
}

#[test]
fn a_store_still_busy_when_the_grace_ends_is_answered_503_and_its_late_word_ignored() {
    let (rx, _store, late) = with_store(Mode::Late);
    let (mut s, mut reader) = connect(&rx);
    s.write_all(&event("stuck-disk")).unwrap();
    let (_event, done) = late.recv_timeout(BOUND).expect("the store got the event");
    rx.shutdown();
    let head = read_head(&mut reader);
    assert!(
        head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{head}"
    );
    // Too late: nothing is written, nothing breaks.
    done(Ok(Stored::New));
    assert_eq!(rx.stats().expired_deliveries, 1);
}

/// A peer that pipelines more than a turn's share at once, then only reads, gets every
/// answer: a connection stopped at its share is driven again next turn, not left waiting
/// for a readiness event that never comes (edge-triggered). `TURN` is 2 in these tests, so
/// a megabyte of requests takes many turns.
#[test]
fn a_pipelined_burst_larger_than_a_turn_is_answered_whole() {
    let rx = Receiver::bind("127.0.0.1:0", WebhookConfig::new(PATH).unwrap()).unwrap();
    let body = br#"{"challenge":"pipelined"}"#;
    let mut one = format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    one.extend_from_slice(body);
    let count = 1024 * 1024 / one.len();
    let burst: Vec<u8> = one
        .iter()
        .copied()
        .cycle()
        .take(one.len() * count)
        .collect();
    let mut s = TcpStream::connect(rx.local_addr()).unwrap();
    s.set_read_timeout(Some(BOUND)).unwrap();
    let mut reader = s.try_clone().unwrap();
    let writer = thread::spawn(move || s.write_all(&burst).map(|()| s));
    // Every answer is the same 200 with the echoed challenge: count them whole.
    let answer = b"HTTP/1.1 200 OK\r\n";
    let (mut answered, mut pending, mut chunk) = (0, Vec::new(), vec![0u8; 64 * 1024]);
    while answered < count {
        let n = reader
            .read(&mut chunk)
            .unwrap_or_else(|e| panic!("after {answered} of {count} answers: {e}"));
        assert!(n > 0, "closed after {answered} of {count} answers");
        pending.extend_from_slice(&chunk[..n]);
        let mut from = 0;
        while let Some(at) = pending[from..]
            .windows(answer.len())
            .position(|w| w == answer)
        {
            answered += 1;
            from += at + answer.len();
        }
        // Keep a tail that may be the start of the next status line.
        let keep = pending.len().saturating_sub(answer.len() - 1).max(from);
        pending.drain(..keep);
    }
    assert_eq!(answered, count);
    let _open = writer.join().unwrap().unwrap();
    assert_eq!(rx.stats().webhook.challenges, count as u64);
}
