//! Tests that need the receiver's insides: a connection whose reply write is held, as a
//! peer that stopped reading (with its socket buffers full) would hold it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver as Rx, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::http::Transport;
use super::{lock, Receiver, ReceiverConfig};
use crate::WebhookConfig;

/// Wraps each accepted connection's stream.
pub(crate) type Wrap = Arc<dyn Fn(Box<dyn Transport>) -> Box<dyn Transport> + Send + Sync>;

const PATH: &str = "/hook/s3cret";

/// Long enough that waiting it out is a failure, not a slow pass.
const BOUND: Duration = Duration::from_secs(5);

/// Holds the first write made after it is armed until released: a peer whose buffers are
/// full holds a write the same way (until the write timeout).
struct Gate {
    armed: AtomicBool,
    entered: Mutex<Sender<()>>,
    release: Mutex<Rx<()>>,
}

struct Gated {
    inner: Box<dyn Transport>,
    gate: Arc<Gate>,
}

impl Read for Gated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for Gated {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.gate.armed.swap(false, Ordering::AcqRel) {
            let _ = lock(&self.gate.entered).send(());
            let _ = lock(&self.gate.release).recv();
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Transport for Gated {
    fn tcp(&self) -> &TcpStream {
        self.inner.tcp()
    }
}

fn event(id: &str) -> Vec<u8> {
    let body = format!(
        r#"{{"type":"message","message":{{"id":"{id}","status":"CallStart","serviceId":"svc-1","caller":{{"eid":"e-1","number":"+85298765432"}},"callees":{{"eid":"e-2","number":"+85212345678"}}}}}}"#
    );
    let mut out = format!(
        "POST {PATH} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

#[test]
fn shutdown_returns_while_an_answer_is_stuck_writing_to_its_peer() {
    let rx = Receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(PATH),
        ReceiverConfig {
            read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            max_connections: 8,
            shutdown_grace: Duration::from_secs(2),
            inbox: None,
        },
    )
    .unwrap();
    let (entered_tx, entered) = channel();
    let (release, release_rx) = channel();
    let gate = Arc::new(Gate {
        armed: AtomicBool::new(false),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    });
    let for_wrap = Arc::clone(&gate);
    *lock(&rx.shared.wrap_transport) = Some(Arc::new(move |inner| {
        Box::new(Gated {
            inner,
            gate: Arc::clone(&for_wrap),
        })
    }));

    let addr = rx.local_addr();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(BOUND * 2)).unwrap();
        s.write_all(&event("stuck")).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line
    });
    let delivery = rx.recv().unwrap();
    gate.armed.store(true, Ordering::Release);
    let acker = thread::spawn(move || delivery.ack());
    entered
        .recv_timeout(BOUND)
        .expect("the ack starts writing its reply");

    // The ack's write is held; shutdown must not wait for it.
    let handle = rx.shutdown_handle();
    let (returned_tx, returned) = channel();
    let shutter = thread::spawn(move || {
        handle.shutdown();
        let _ = returned_tx.send(());
    });
    let prompt = returned.recv_timeout(BOUND).is_ok();
    let still_writing = !acker.is_finished();
    release.send(()).unwrap();
    assert!(prompt, "ShutdownHandle::shutdown waited for a socket write");
    assert!(
        still_writing,
        "the reply was written before shutdown returned"
    );
    acker.join().unwrap();
    shutter.join().unwrap();
    // The held reply still reaches the peer, whole.
    assert_eq!(client.join().unwrap(), "HTTP/1.1 200 OK\r\n");
    assert_eq!(rx.stats().webhook.acks, 1);
}

#[test]
fn an_answer_after_the_grace_is_neither_counted_nor_remembered() {
    let rx = Receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(PATH),
        ReceiverConfig {
            shutdown_grace: Duration::from_millis(100),
            ..ReceiverConfig::default()
        },
    )
    .unwrap();
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

#[test]
fn shutdown_does_not_write_the_failure_of_a_delivery_nobody_took() {
    let rx = Receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(PATH),
        ReceiverConfig {
            read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            max_connections: 8,
            shutdown_grace: Duration::from_secs(2),
            inbox: None,
        },
    )
    .unwrap();
    let (entered_tx, entered) = channel();
    let (release, release_rx) = channel();
    // Armed from the start: the connection's first write is the reply to its event.
    let gate = Arc::new(Gate {
        armed: AtomicBool::new(true),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    });
    let for_wrap = Arc::clone(&gate);
    *lock(&rx.shared.wrap_transport) = Some(Arc::new(move |inner| {
        Box::new(Gated {
            inner,
            gate: Arc::clone(&for_wrap),
        })
    }));
    let addr = rx.local_addr();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(BOUND * 2)).unwrap();
        s.write_all(&event("unclaimed")).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line
    });
    // The event is queued; nobody takes it.
    let started = std::time::Instant::now();
    while lock(&rx.shared.queue).items.is_empty() {
        assert!(
            started.elapsed() < BOUND,
            "the event never reached the queue"
        );
        thread::yield_now();
    }
    let handle = rx.shutdown_handle();
    let (returned_tx, returned) = channel();
    let shutter = thread::spawn(move || {
        handle.shutdown();
        let _ = returned_tx.send(());
    });
    let prompt = returned.recv_timeout(BOUND).is_ok();
    // The failure is being written (by the connection thread), and held.
    let writing = entered.recv_timeout(BOUND).is_ok();
    release.send(()).unwrap();
    assert!(prompt, "ShutdownHandle::shutdown waited for a socket write");
    assert!(writing, "the failure was never written");
    shutter.join().unwrap();
    assert_eq!(
        client.join().unwrap(),
        "HTTP/1.1 500 Internal Server Error\r\n"
    );
    rx.shutdown();
    assert_eq!(rx.stats().webhook.fails, 1);
}
