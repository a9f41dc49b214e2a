//! `Conn` driven over scripted bytes ([`MockStream`]): the exact reply bytes and the fate of
//! the connection for each shape of peer, with the clock a test picks (`Cx::now`). The
//! `Shared` is a real receiver's (bound to a port nobody connects to): events go to its
//! queue, and their answers come back through this test's own mailbox, as they would to
//! the connection's I/O thread.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::Token;

use super::mock::{MockStream, Rig};
use super::{Conn, Cx, Fate, OUT_CAP, OUT_PAUSE, REQUESTS_PER_TURN};
use crate::receiver::pending::Completion;
use crate::receiver::{ReceiverConfig, ReceiverConfigBuilder};
use crate::{Delivery, ErrorKind, WebhookConfig};

const PATH: &str = "/hook/s3cret";

/// What `{"code":0}` (an ack, or a duplicate) is on the wire, on a kept connection.
const OK_200: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 10\r\n\r\n{\"code\":0}";

/// A 4xx or 5xx of the HTTP layer itself: its JSON error body, and `Connection: close`.
fn local(status: u16, reason: &str) -> String {
    let body = format!(
        r#"{{"code":{status},"message":"{}"}}"#,
        reason.to_ascii_lowercase()
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The answer to a challenge whose string is `echo` (written as is in the JSON).
fn challenge_answer(echo: &str) -> String {
    let body = format!(r#"{{"code":0,"result":{{"challenge":"{echo}"}}}}"#);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn post(body: &str) -> String {
    format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn challenge(echo: &str) -> String {
    post(&format!(r#"{{"challenge":"{echo}"}}"#))
}

fn event_body(id: &str) -> String {
    format!(
        r#"{{"type":"message","message":{{"id":"{id}","status":"CallStart","serviceId":"svc-1","caller":{{"eid":"e-1","number":"+85298765432"}},"callees":{{"eid":"e-2","number":"+85212345678"}}}}}}"#
    )
}

fn event(id: &str) -> String {
    post(&event_body(id))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A connection's surroundings ([`Rig`]) and a clock that starts at `t0`.
struct Harness {
    rig: Rig,
    t0: Instant,
}

fn config() -> ReceiverConfigBuilder {
    ReceiverConfig::builder(WebhookConfig::new(PATH).unwrap())
}

fn harness(config: ReceiverConfigBuilder) -> Harness {
    Harness {
        rig: Rig::new(config.build().unwrap()),
        t0: Instant::now(),
    }
}

impl std::ops::Deref for Harness {
    type Target = Rig;
    fn deref(&self) -> &Rig {
        &self.rig
    }
}

impl Harness {
    /// The context of a drive `at` after the start.
    fn cx(&self, at: Duration) -> Cx<'_> {
        self.rig.cx(self.t0 + at)
    }

    fn cx_at(&self, now: Instant) -> Cx<'_> {
        self.rig.cx(now)
    }

    /// A connection accepted at the start.
    fn conn(&self, sock: MockStream) -> Conn<MockStream> {
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        Conn::new(Token(1), sock, peer, &self.rx.shared, self.t0).unwrap()
    }

    /// What the I/O thread does when the socket is ready.
    fn drive(&self, conn: &mut Conn<MockStream>) -> Fate {
        conn.ready(true, true);
        conn.drive(&self.cx(Duration::ZERO))
    }

    /// The delivery the connection queued, if any.
    fn delivery(&self) -> Option<Delivery> {
        match self.rx.recv_timeout(Duration::ZERO) {
            Ok(d) => Some(d),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Timeout);
                None
            }
        }
    }

    /// What the I/O thread does with the answers in its mailbox: hand them to their
    /// connection, then drive it. How many there were.
    fn answers(&self, conn: &mut Conn<MockStream>) -> usize {
        let mut done: Vec<Completion> = Vec::new();
        self.mailbox.take(&mut done);
        let cx = self.cx(Duration::ZERO);
        for c in &done {
            assert_eq!(c.token, Token(1));
            conn.complete(c.generation, &c.reply, &cx);
        }
        assert_eq!(conn.drive(&cx), Fate::Alive);
        done.len()
    }
}

#[test]
fn an_event_is_queued_and_its_ack_written_as_200() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(event("call-1").as_bytes());
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert!(conn.sock.written.is_empty(), "answered before the ack");
    let delivery = h.delivery().expect("the event was queued");
    assert_eq!(delivery.raw(), event_body("call-1").as_bytes());
    assert_eq!(
        delivery.peer(),
        Some("127.0.0.1:40000".parse::<SocketAddr>().unwrap())
    );
    // Waiting for the answer, a deadline only for unsent bytes (none).
    assert_eq!(conn.deadline(&h.cx(Duration::ZERO)), None);
    delivery.ack();
    assert_eq!(h.answers(&mut conn), 1);
    assert_eq!(text(&conn.sock.take_written()), OK_200);
    assert!(!conn.sock.shut, "kept alive");
    // The same event again is a duplicate: answered at once, never queued.
    conn.sock.feed(event("call-1").as_bytes());
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert_eq!(text(&conn.sock.take_written()), OK_200);
    assert!(h.delivery().is_none());
}

#[test]
fn a_failed_or_dropped_delivery_is_written_as_500() {
    let h = harness(config());
    let mut conn = h.conn(MockStream::new());
    let answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 42\r\n\r\n{\"code\":500,\"message\":\"event not handled\"}";
    for (i, fail) in [true, false].into_iter().enumerate() {
        conn.sock.feed(event(&format!("call-{i}")).as_bytes());
        h.drive(&mut conn);
        let delivery = h.delivery().unwrap();
        if fail {
            delivery.fail();
        } else {
            drop(delivery);
        }
        assert_eq!(h.answers(&mut conn), 1);
        assert_eq!(text(&conn.sock.take_written()), answer);
    }
}

#[test]
fn a_challenge_is_answered_with_the_exact_json_body() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(post(r#"{"challenge":"3eZb\"rw1\\aBm"}"#).as_bytes());
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert_eq!(
        text(&conn.sock.written),
        challenge_answer(r#"3eZb\"rw1\\aBm"#)
    );
    assert!(
        h.delivery().is_none(),
        "a challenge never reaches the queue"
    );
    assert_eq!(h.rx.stats().webhook.challenges, 1);
}

/// A challenge, a chunked challenge with an extension and a trailer, and one that waits
/// for `100 Continue`, on one connection.
fn three_requests() -> String {
    let chunked = format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\n{{\"cha\r\n10\r\nllenge\":\"chunk\"}}\r\n0\r\nX-Trailer: 1\r\n\r\n"
    );
    let body = r#"{"challenge":"cont"}"#;
    let expect = format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    format!("{}{chunked}{expect}", challenge("plain"))
}

fn three_answers() -> String {
    format!(
        "{}{}HTTP/1.1 100 Continue\r\n\r\n{}",
        challenge_answer("plain"),
        challenge_answer("chunk"),
        challenge_answer("cont")
    )
}

#[test]
fn requests_whole_get_their_answers_in_order() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(three_requests().as_bytes());
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert_eq!(text(&conn.sock.written), three_answers());
}

#[test]
fn a_request_split_byte_by_byte_gets_the_same_answer_as_whole() {
    let h = harness(config());
    let mut conn = h.conn(MockStream::new());
    for &b in three_requests().as_bytes() {
        // One byte per readiness event, as a peer that sends them one by one.
        conn.sock.feed(&[b]).block();
        assert_eq!(h.drive(&mut conn), Fate::Alive);
        assert_eq!(conn.sock.unread(), 0);
    }
    assert_eq!(text(&conn.sock.written), three_answers());
}

#[test]
fn pipelined_requests_are_answered_in_order_each_after_the_one_before() {
    let h = harness(config());
    let mut sock = MockStream::new();
    let pipelined = format!(
        "{}{}{}{}",
        event("e0"),
        challenge("c0"),
        event("e1"),
        challenge("c1")
    );
    sock.feed(pipelined.as_bytes());
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    // The challenge behind the event waits for the event's answer.
    assert!(conn.sock.written.is_empty());
    let first = h.delivery().unwrap();
    assert_eq!(first.raw(), event_body("e0").as_bytes());
    assert!(h.delivery().is_none(), "the next event is not parsed yet");
    first.ack();
    h.answers(&mut conn);
    assert_eq!(
        text(&conn.sock.take_written()),
        format!("{OK_200}{}", challenge_answer("c0"))
    );
    let second = h.delivery().unwrap();
    assert_eq!(second.raw(), event_body("e1").as_bytes());
    second.fail();
    h.answers(&mut conn);
    let written = text(&conn.sock.take_written());
    assert!(
        written.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
        "{written}"
    );
    assert!(written.ends_with(&challenge_answer("c1")), "{written}");
}

#[test]
fn at_most_requests_per_turn_are_started_per_drive() {
    let h = harness(config());
    let mut sock = MockStream::new();
    let count = 2 * REQUESTS_PER_TURN + 2;
    for i in 0..count {
        sock.feed(challenge(&format!("c{i}")).as_bytes());
    }
    let mut conn = h.conn(sock);
    let mut answered = 0;
    for left in [true, true, false] {
        assert_eq!(h.drive(&mut conn), Fate::Alive);
        let expected: String = (answered..(answered + REQUESTS_PER_TURN).min(count))
            .map(|i| challenge_answer(&format!("c{i}")))
            .collect();
        assert_eq!(text(&conn.sock.take_written()), expected);
        answered = (answered + REQUESTS_PER_TURN).min(count);
        assert_eq!(conn.started, expected.matches("HTTP/1.1").count());
        // Stopped at its share with requests left: the loop must drive it again, as no
        // readiness event comes for bytes already read.
        assert_eq!(conn.more, left);
    }
    assert_eq!(answered, count);
}

#[test]
fn a_bad_request_is_answered_400_and_closed_once_the_reply_is_out() {
    let h = harness(config());
    let mut sock = MockStream::new();
    // No Host; then a valid request that must not be answered.
    sock.feed(format!("POST {PATH} HTTP/1.1\r\nContent-Length: 0\r\n\r\n").as_bytes())
        .feed(challenge("after").as_bytes());
    // The peer takes nothing at first.
    sock.room = Some(0);
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert!(conn.sock.written.is_empty());
    assert!(!conn.sock.shut, "no FIN before the reply is out");
    // It reads: the 400 goes out, then FIN, and what it sends is discarded.
    conn.sock.room = None;
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert_eq!(text(&conn.sock.written), local(400, "Bad Request"));
    assert!(conn.sock.shut);
    assert_eq!(h.rx.stats().malformed_requests, 1);
    assert_eq!(h.rx.stats().webhook.challenges, 0);
    // Lingering until the peer closes too.
    conn.sock.feed(b"more bytes nobody reads").eof();
    assert_eq!(h.drive(&mut conn), Fate::Gone);
    assert_eq!(text(&conn.sock.written), local(400, "Bad Request"));
}

#[test]
fn a_lingering_connection_ends_at_its_deadline() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(b"GARBAGE\r\n\r\n");
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert_eq!(text(&conn.sock.written), local(400, "Bad Request"));
    let until = conn.deadline(&h.cx(Duration::ZERO)).unwrap();
    assert_eq!(until, h.t0 + Duration::from_secs(2));
    assert_eq!(
        conn.on_timer(&h.cx_at(until - Duration::from_millis(1))),
        Fate::Alive
    );
    assert_eq!(conn.on_timer(&h.cx_at(until)), Fate::Gone);
}

#[test]
fn a_read_error_ends_the_connection() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(b"POST ").fail(io::ErrorKind::ConnectionReset);
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Gone);
    assert!(conn.sock.written.is_empty());
}

#[test]
fn an_interrupted_read_is_retried() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(b"POST ")
        .fail(io::ErrorKind::Interrupted)
        .feed(&challenge("x").as_bytes()[5..]);
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    assert_eq!(text(&conn.sock.written), challenge_answer("x"));
}

/// A challenge whose answer is `size` bytes or so.
fn big_challenge(size: usize) -> (String, String) {
    let echo = "x".repeat(size);
    (challenge(&echo), challenge_answer(&echo))
}

#[test]
fn a_peer_that_stops_reading_pauses_parsing_beyond_out_pause() {
    let h = harness(config());
    let (one, answer) = big_challenge(20_000);
    let mut sock = MockStream::new();
    for _ in 0..8 {
        sock.feed(one.as_bytes());
    }
    sock.room = Some(0);
    let mut conn = h.conn(sock);
    // Parsing goes on while the unsent replies are within OUT_PAUSE, and stops beyond.
    let paused_at = OUT_PAUSE / answer.len() + 1;
    for _ in 0..10 {
        assert_eq!(h.drive(&mut conn), Fate::Alive);
    }
    assert_eq!(h.rx.stats().webhook.challenges, paused_at as u64);
    assert_eq!(conn.out.len() - conn.out_pos, paused_at * answer.len());
    assert!(conn.out.len() - conn.out_pos > OUT_PAUSE);
    // The peer reads again: everything is answered, in order.
    conn.sock.room = None;
    for _ in 0..10 {
        assert_eq!(h.drive(&mut conn), Fate::Alive);
    }
    assert_eq!(text(&conn.sock.written), answer.repeat(8));
    assert_eq!(h.rx.stats().slow_readers, 0);
}

#[test]
fn a_peer_that_stops_reading_is_cut_beyond_out_cap() {
    let webhook = WebhookConfig::builder(PATH)
        .max_body(2 * OUT_CAP)
        .build()
        .unwrap();
    let h = harness(ReceiverConfig::builder(webhook));
    // One answer larger than OUT_CAP, of which the peer takes a little.
    let (one, answer) = big_challenge(OUT_CAP + 2000);
    assert!(answer.len() > OUT_CAP + 1000);
    let mut sock = MockStream::new();
    sock.feed(one.as_bytes());
    sock.room = Some(1000);
    let mut conn = h.conn(sock);
    let mut fate = Fate::Alive;
    for _ in 0..100 {
        fate = h.drive(&mut conn);
        if fate == Fate::Gone {
            break;
        }
    }
    assert_eq!(fate, Fate::Gone);
    assert_eq!(conn.sock.written, answer.as_bytes()[..1000]);
    assert_eq!(h.rx.stats().slow_readers, 1);
}

#[test]
fn a_peer_that_leaves_a_reply_unread_for_the_read_timeout_is_cut() {
    let h = harness(config().read_timeout(Duration::from_secs(3)));
    let mut sock = MockStream::new();
    sock.feed(challenge("unread").as_bytes());
    sock.room = Some(10);
    let mut conn = h.conn(sock);
    let before = Instant::now();
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    let after = Instant::now();
    // Stalled since the flush (on the real clock): due a read timeout later.
    let due = conn.deadline(&h.cx(Duration::ZERO)).unwrap();
    assert!(
        before + Duration::from_secs(3) <= due && due <= after + Duration::from_secs(3),
        "{due:?}"
    );
    assert_eq!(
        conn.on_timer(&h.cx_at(before + Duration::from_secs(2))),
        Fate::Alive
    );
    assert_eq!(conn.on_timer(&h.cx_at(due)), Fate::Gone);
    assert_eq!(h.rx.stats().slow_readers, 1);
    assert_eq!(
        conn.sock.written,
        challenge_answer("unread").as_bytes()[..10]
    );
}

#[test]
fn an_incomplete_head_is_answered_408_at_the_header_timeout() {
    let h = harness(
        config()
            .header_timeout(Duration::from_secs(1))
            .read_timeout(Duration::from_secs(10)),
    );
    let mut sock = MockStream::new();
    sock.feed(format!("POST {PATH} HTTP/1.1\r\nHo").as_bytes());
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    let due = h.t0 + Duration::from_secs(1);
    assert_eq!(conn.deadline(&h.cx(Duration::ZERO)), Some(due));
    assert_eq!(
        conn.on_timer(&h.cx_at(due - Duration::from_millis(1))),
        Fate::Alive
    );
    assert!(conn.sock.written.is_empty());
    assert_eq!(conn.on_timer(&h.cx_at(due)), Fate::Alive);
    assert_eq!(text(&conn.sock.written), local(408, "Request Timeout"));
    assert!(conn.sock.shut);
    assert_eq!(h.rx.stats().read_timeouts, 1);
}

#[test]
fn a_body_incomplete_at_the_read_timeout_is_answered_408() {
    let h = harness(
        config()
            .header_timeout(Duration::from_secs(1))
            .read_timeout(Duration::from_secs(4)),
    );
    let whole = challenge("slow");
    let mut sock = MockStream::new();
    sock.feed(&whole.as_bytes()[..whole.len() - 3]);
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    // The head came in time; the request is due by the read timeout of the accept.
    let due = h.t0 + Duration::from_secs(4);
    assert_eq!(conn.deadline(&h.cx(Duration::ZERO)), Some(due));
    assert_eq!(
        conn.on_timer(&h.cx_at(due - Duration::from_millis(1))),
        Fate::Alive
    );
    assert!(conn.sock.written.is_empty());
    assert_eq!(conn.on_timer(&h.cx_at(due)), Fate::Alive);
    assert_eq!(text(&conn.sock.written), local(408, "Request Timeout"));
    assert_eq!(h.rx.stats().read_timeouts, 1);
}

#[test]
fn a_body_slower_than_the_minimum_rate_is_answered_408_at_the_end_of_its_window() {
    let h = harness(
        config()
            .read_timeout(Duration::from_secs(60))
            .min_body_rate(100),
    );
    let body = format!(r#"{{"challenge":"{}"}}"#, "y".repeat(2000));
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut sock = MockStream::new();
    // 600 body bytes in the first 5 s window: above 100 B/s.
    sock.feed(head.as_bytes()).feed(&body.as_bytes()[..600]);
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    let window = Duration::from_secs(5);
    assert_eq!(conn.deadline(&h.cx(Duration::ZERO)), Some(h.t0 + window));
    assert_eq!(conn.on_timer(&h.cx(window)), Fate::Alive);
    assert!(conn.sock.written.is_empty());
    // A new window, with 100 bytes only: below the rate.
    assert_eq!(conn.deadline(&h.cx(window)), Some(h.t0 + window + window));
    conn.sock.feed(&body.as_bytes()[600..700]);
    conn.ready(true, false);
    assert_eq!(conn.drive(&h.cx(window)), Fate::Alive);
    assert_eq!(conn.on_timer(&h.cx(window + window)), Fate::Alive);
    assert_eq!(text(&conn.sock.written), local(408, "Request Timeout"));
}

#[test]
fn an_idle_keep_alive_connection_is_closed_without_a_reply_at_the_idle_timeout() {
    let h = harness(config().idle_timeout(Duration::from_secs(7)));
    let mut sock = MockStream::new();
    sock.feed(challenge("then-idle").as_bytes());
    let mut conn = h.conn(sock);
    let before = Instant::now();
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    let after = Instant::now();
    let written = conn.sock.take_written();
    assert_eq!(text(&written), challenge_answer("then-idle"));
    // Idle since the reply (on the real clock).
    let due = conn.deadline(&h.cx(Duration::ZERO)).unwrap();
    let idle = Duration::from_secs(7);
    assert!(before + idle <= due && due <= after + idle, "{due:?}");
    assert_eq!(
        conn.on_timer(&h.cx_at(before + Duration::from_secs(6))),
        Fate::Alive
    );
    assert_eq!(conn.on_timer(&h.cx_at(due)), Fate::Gone);
    assert!(conn.sock.written.is_empty());
    assert_eq!(h.rx.stats().read_timeouts, 0);
}

#[test]
fn eof_mid_head_or_mid_body_closes_without_a_reply() {
    let h = harness(config());
    let whole = challenge("cut");
    let head_len = whole.find("\r\n\r\n").unwrap() + 4;
    for cut in [1, 10, head_len - 1, head_len, whole.len() - 1] {
        let mut sock = MockStream::new();
        sock.feed(&whole.as_bytes()[..cut]).eof();
        let mut conn = h.conn(sock);
        assert_eq!(h.drive(&mut conn), Fate::Gone, "cut at {cut}");
        assert!(conn.sock.written.is_empty(), "cut at {cut}");
    }
    assert_eq!(h.rx.stats().webhook.challenges, 0);
}

#[test]
fn a_peer_that_sends_fin_after_its_request_still_gets_the_answer() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(challenge("half-closed").as_bytes()).eof();
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Gone);
    assert_eq!(text(&conn.sock.written), challenge_answer("half-closed"));
}

#[test]
fn a_refused_connection_reads_503_then_lingers_until_the_peer_closes() {
    let peer: SocketAddr = "127.0.0.1:40001".parse().unwrap();
    let now = Instant::now();
    let mut conn = Conn::refused(
        Token(2),
        MockStream::new(),
        peer,
        Duration::from_secs(10),
        now,
    );
    assert_eq!(
        text(&conn.sock.written),
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert!(conn.sock.shut);
    assert!(conn.refused && !conn.evictable());
    let h = harness(config());
    conn.sock
        .feed(format!("POST {PATH} HTTP/1.1\r\n").as_bytes());
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    conn.sock.eof();
    assert_eq!(h.drive(&mut conn), Fate::Gone);
}

#[test]
fn at_shutdown_an_idle_connection_ends_and_one_waiting_gets_its_answer_with_close() {
    let h = harness(config());
    let mut idle = h.conn(MockStream::new());
    assert_eq!(h.drive(&mut idle), Fate::Alive);
    assert_eq!(idle.stop(), Fate::Gone);
    let mut sock = MockStream::new();
    sock.feed(event("at-stop").as_bytes())
        .feed(challenge("never").as_bytes());
    let mut conn = h.conn(sock);
    assert_eq!(h.drive(&mut conn), Fate::Alive);
    let delivery = h.delivery().unwrap();
    assert_eq!(conn.stop(), Fate::Alive);
    delivery.ack();
    let mut done: Vec<Completion> = Vec::new();
    h.mailbox.take(&mut done);
    let cx = Cx {
        stopping: true,
        ..h.cx(Duration::ZERO)
    };
    conn.complete(done[0].generation, &done[0].reply, &cx);
    assert_eq!(conn.drive(&cx), Fate::Alive);
    assert_eq!(
        text(&conn.sock.written),
        OK_200.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
    );
    assert!(
        conn.sock.shut,
        "closed after the answer, the next request unread"
    );
}

#[test]
fn an_answer_for_an_earlier_request_is_ignored() {
    let h = harness(config());
    let mut sock = MockStream::new();
    sock.feed(event("gen").as_bytes());
    let mut conn = h.conn(sock);
    h.drive(&mut conn);
    let _delivery = h.delivery().unwrap();
    let cx = h.cx(Duration::ZERO);
    conn.complete(0, &crate::webhook::Reply::ok(), &cx);
    assert_eq!(conn.drive(&cx), Fate::Alive);
    assert!(conn.sock.written.is_empty());
}
