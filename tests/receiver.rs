//! The receiver's API through real sockets: statuses, pull and push, shutdown, duplicates.

#[path = "common/receiver.rs"]
mod receiver;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use cinnox::event::Payload;
use cinnox::receiver::{ReceiverConfig, ShutdownHandle};
use cinnox::{ErrorKind, Receiver, WebhookConfig};
use receiver::*;

#[test]
fn receiver_and_handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Receiver>();
    check::<ShutdownHandle>();
    fn send<T: Send>() {}
    send::<cinnox::Delivery>();
}

#[test]
fn ack_answers_200_and_the_delivery_carries_event_raw_and_peer() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let body = call_event("call-ack");
    let sent = body.clone();
    let client = thread::spawn(move || Client::new(addr).post(PATH, sent.as_bytes()));
    let d = rx.recv().unwrap();
    assert_eq!(d.raw(), body.as_bytes());
    assert_eq!(d.event().raw(), body.as_bytes());
    match d.event().payload() {
        Payload::CallStart(call) => assert_eq!(call.id.as_deref(), Some("call-ack")),
        other => panic!("not a call start: {other:?}"),
    }
    assert_eq!(d.peer().unwrap().ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_eq!(d.dedup_key(), d.event().dedup_key());
    d.ack();
    let r = client.join().unwrap();
    assert_eq!(r.status, 200);
    let s = rx.stats();
    assert_eq!((s.webhook.events, s.webhook.acks), (1, 1));
}

#[test]
fn fail_answers_500_and_drop_answers_500() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let client = thread::spawn(move || {
        let mut c = Client::new(addr);
        let first = c.post(PATH, call_event("call-fail").as_bytes());
        let second = c.post(PATH, call_event("call-drop").as_bytes());
        (first.status, second.status)
    });
    rx.recv().unwrap().fail();
    drop(rx.recv().unwrap());
    assert_eq!(client.join().unwrap(), (500, 500));
    assert_eq!(rx.stats().webhook.fails, 2);
}

#[test]
fn a_challenge_is_answered_inline_with_the_exact_body() {
    let rx = start_default(quick_config());
    let mut c = Client::new(rx.local_addr());
    let r = c.post(PATH, br#"{"challenge":"3eZb\"rw1\\aBm"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body_text(),
        r#"{"code":0,"result":{"challenge":"3eZb\"rw1\\aBm"}}"#
    );
    // The reply was written after the verifier decided: nothing was queued for the app.
    let e = rx.recv_timeout(Duration::ZERO).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(rx.stats().webhook.challenges, 1);
    assert_eq!(rx.stats().webhook.events, 0);
}

#[test]
fn every_refusal_of_the_verifier_reaches_the_wire() {
    let webhook = WebhookConfig::builder(PATH).max_body(1024).build().unwrap();
    let rx = start(webhook, quick_config());
    let addr = rx.local_addr();
    let event = call_event("call-refused");

    // Wrong path: 404.
    assert_eq!(
        Client::new(addr)
            .post("/hook/wrong", event.as_bytes())
            .status,
        404
    );
    // Not POST: 405 with Allow.
    let mut c = Client::new(addr);
    c.send(format!("GET {PATH} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
    let r = c.response();
    assert_eq!(r.status, 405);
    assert!(r.header("Allow").unwrap().contains("POST"), "{r:?}");
    // Not JSON: 415.
    let mut c = Client::new(addr);
    c.send(
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{event}",
            event.len()
        )
        .as_bytes(),
    );
    assert_eq!(c.response().status, 415);
    // Unreadable body: 400, and the connection stays usable.
    let mut c = Client::new(addr);
    assert_eq!(c.post(PATH, b"{not json").status, 400);
    assert_eq!(c.post(PATH, b"[1,2]").status, 400);
    // Too large: 413, then closed.
    let mut c = Client::new(addr);
    let big = vec![b' '; 2000];
    let r = c.post(PATH, &big);
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.at_eof());

    let s = rx.stats().webhook;
    assert_eq!(s.refused_not_found, 1);
    assert_eq!(s.refused_method, 1);
    assert_eq!(s.refused_media_type, 1);
    assert_eq!(s.refused_bad_request, 2);
    assert_eq!(s.refused_too_large, 1);
    assert_eq!(s.events, 0);
}

#[test]
fn a_source_outside_the_allowed_network_gets_403() {
    let webhook = WebhookConfig::builder(PATH)
        .allow_source("10.0.0.0/8")
        .build()
        .unwrap();
    let rx = start(webhook, quick_config());
    let r = Client::new(rx.local_addr()).post(PATH, call_event("c").as_bytes());
    assert_eq!(r.status, 403);
    assert_eq!(rx.stats().webhook.refused_forbidden, 1);
}

#[test]
fn a_duplicate_is_answered_200_without_reaching_the_application() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let event = call_event("call-dup");
    let sent = event.clone();
    let client = thread::spawn(move || {
        let mut c = Client::new(addr);
        let first = c.post(PATH, sent.as_bytes()).status;
        let again = c.post(PATH, sent.as_bytes()).status;
        (first, again)
    });
    rx.recv().unwrap().ack();
    assert_eq!(client.join().unwrap(), (200, 200));
    assert_eq!(
        rx.recv_timeout(Duration::ZERO).unwrap_err().kind(),
        ErrorKind::Timeout
    );
    let s = rx.stats().webhook;
    assert_eq!((s.events, s.duplicates), (1, 1));
}

#[test]
fn serve_acks_ok_fails_err_and_survives_a_panic() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let handle = rx.shutdown_handle();
    let client = thread::spawn(move || {
        let mut c = Client::new(addr);
        let statuses: Vec<u16> = ["ok-1", "err-1", "panic-1", "ok-2"]
            .iter()
            .map(|id| c.post(PATH, call_event(id).as_bytes()).status)
            .collect();
        handle.shutdown();
        statuses
    });
    rx.serve(2, |event| match event.payload() {
        Payload::CallStart(c) if c.id.as_deref().unwrap_or("").starts_with("ok") => Ok(()),
        Payload::CallStart(c) if c.id.as_deref() == Some("panic-1") => panic!("handler bug"),
        _ => Err("refused"),
    })
    .unwrap();
    assert_eq!(client.join().unwrap(), vec![200, 500, 500, 200]);
    let s = rx.stats();
    assert_eq!(s.handler_panics, 1);
    assert_eq!((s.webhook.acks, s.webhook.fails), (2, 2));
}

#[test]
fn serve_with_no_worker_is_an_invalid_argument() {
    let rx = start_default(quick_config());
    let e = rx.serve(0, |_| Ok::<(), String>(())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn serve_starts_no_more_workers_than_connections_can_keep_busy() {
    // A C caller's (size_t)-1 must not make serve try to start 2^64 threads.
    let rx = start_default(ServerSettings {
        max_connections: Some(4),
        ..quick_config()
    });
    rx.shutdown();
    let rx = std::sync::Arc::new(rx);
    let (tx, done) = mpsc::channel();
    let serving = std::sync::Arc::clone(&rx);
    // Not scoped: a serve that never returns must fail this test, not hang it.
    thread::spawn(move || {
        let _ = tx.send(serving.serve(usize::MAX, |_| Ok::<(), String>(())).is_ok());
    });
    let served = done
        .recv_timeout(Duration::from_secs(20))
        .expect("serve(usize::MAX) returned");
    assert!(served);
}

#[test]
fn a_bad_configuration_cannot_be_built() {
    let webhook = WebhookConfig::new(PATH).unwrap();
    let builder = || ReceiverConfig::builder(webhook.clone());
    for (what, b, says) in [
        (
            "no connections",
            builder().max_connections(0),
            "max_connections",
        ),
        ("no I/O thread", builder().io_threads(0), "io_threads"),
        ("65 I/O threads", builder().io_threads(65), "io_threads"),
        (
            "zero read timeout",
            builder().read_timeout(Duration::ZERO),
            "read_timeout",
        ),
        (
            "zero idle timeout",
            builder().idle_timeout(Duration::ZERO),
            "idle_timeout",
        ),
        (
            "zero header timeout",
            builder().header_timeout(Duration::ZERO),
            "header_timeout",
        ),
    ] {
        let e = b.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}");
        assert!(e.to_string().contains(says), "{what}: {e}");
    }
}

#[test]
fn a_timeout_too_large_for_the_clock_cannot_be_built() {
    // `Duration::MAX` reads as "never", but no deadline can be computed from it: every
    // connection thread (and the shutdown in Drop) would panic on the addition.
    let builder = || ReceiverConfig::builder(WebhookConfig::new(PATH).unwrap());
    for (what, b) in [
        ("read_timeout", builder().read_timeout(Duration::MAX)),
        ("idle_timeout", builder().idle_timeout(Duration::MAX)),
        ("shutdown_grace", builder().shutdown_grace(Duration::MAX)),
        ("header_timeout", builder().header_timeout(Duration::MAX)),
    ] {
        let e = b.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}");
        assert!(
            e.to_string().contains(&format!("{what} must be at most")),
            "{e}"
        );
    }
    // A year is still a timeout.
    let year = Duration::from_secs(365 * 24 * 3600);
    let rx = bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(PATH).unwrap(),
        ServerSettings {
            read_timeout: Some(year),
            idle_timeout: Some(year),
            shutdown_grace: Some(Duration::ZERO),
            ..ServerSettings::default()
        },
    )
    .unwrap();
    let r = Client::new(rx.local_addr()).post(PATH, br#"{"challenge":"long"}"#);
    assert_eq!(r.status, 200);
}

#[test]
fn recv_from_several_threads_gets_each_delivery_once() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let (tx, ids) = mpsc::channel();
    thread::scope(|s| {
        for _ in 0..3 {
            let tx = tx.clone();
            let rx = &rx;
            s.spawn(move || {
                while let Ok(d) = rx.recv() {
                    if let Payload::CallStart(c) = d.event().payload() {
                        tx.send(c.id.clone().unwrap()).unwrap();
                    }
                    d.ack();
                }
            });
        }
        let clients: Vec<_> = (0..6)
            .map(|i| {
                thread::spawn(move || {
                    Client::new(addr)
                        .post(PATH, call_event(&format!("multi-{i}")).as_bytes())
                        .status
                })
            })
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap(), 200);
        }
        rx.shutdown_handle().shutdown();
    });
    drop(tx);
    let mut got: Vec<String> = ids.iter().collect();
    got.sort();
    let want: Vec<String> = (0..6).map(|i| format!("multi-{i}")).collect();
    assert_eq!(got, want);
}

#[test]
fn keep_alive_chunked_and_expect_continue_bodies_are_delivered() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let event = call_event("call-chunked");
    let (a, b) = event.split_at(20);
    let wire = format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\nX-Trailer: 1\r\n\r\n",
        a.len(),
        b.len()
    );
    let expect = call_event("call-continue");
    let client = thread::spawn(move || {
        let mut c = Client::new(addr);
        c.send(wire.as_bytes());
        let first = c.response().status;
        c.send(
            format!(
                "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
                expect.len()
            )
            .as_bytes(),
        );
        let cont = c.try_response().unwrap().status;
        c.send(expect.as_bytes());
        (first, cont, c.response().status)
    });
    let d = rx.recv().unwrap();
    assert_eq!(d.raw(), event.as_bytes());
    d.ack();
    let d = rx.recv().unwrap();
    assert_eq!(d.raw(), call_event("call-continue").as_bytes());
    d.ack();
    assert_eq!(client.join().unwrap(), (200, 100, 200));
}

#[test]
fn shutdown_lets_the_delivery_in_flight_finish_and_wakes_waiters() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let client = thread::spawn(move || {
        let mut c = Client::new(addr);
        let r = c.post(PATH, call_event("in-flight").as_bytes());
        (
            r.status,
            r.header("Connection").map(str::to_owned),
            c.at_eof(),
        )
    });
    let d = rx.recv().unwrap();
    // An idle keep-alive connection is closed by the shutdown.
    let mut idle = Client::new(addr);
    assert_eq!(idle.post(PATH, br#"{"challenge":"x"}"#).status, 200);

    thread::scope(|s| {
        let waiter = s.spawn(|| rx.recv().unwrap_err().kind());
        rx.shutdown_handle().shutdown();
        assert_eq!(waiter.join().unwrap(), ErrorKind::Closed);
        assert!(idle.at_eof());
        // No longer accepting: a new connection is refused or closed unanswered.
        if let Ok(s) = std::net::TcpStream::connect(addr) {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut c = Client {
                reader: std::io::BufReader::new(s),
            };
            assert!(c.at_eof());
        }
        d.ack();
    });
    assert_eq!(
        client.join().unwrap(),
        (200, Some("close".to_owned()), true)
    );
    rx.shutdown();
    assert_eq!(rx.recv().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(1)).unwrap_err().kind(),
        ErrorKind::Closed
    );
    // serve on a shut-down receiver returns at once.
    rx.serve(1, |_| Ok::<(), String>(())).unwrap();
}

#[test]
fn shutdown_answers_503_when_the_grace_runs_out() {
    let rx = start_default(ServerSettings {
        shutdown_grace: Some(Duration::from_millis(200)),
        ..quick_config()
    });
    let addr = rx.local_addr();
    let client = thread::spawn(move || {
        Client::new(addr)
            .post(PATH, call_event("too-slow").as_bytes())
            .status
    });
    let held = rx.recv().unwrap();
    rx.shutdown();
    assert_eq!(client.join().unwrap(), 503);
    // Too late: the wire said 503, so this is neither an ack nor a fail.
    held.ack();
    let stats = rx.stats();
    assert_eq!(
        (
            stats.webhook.acks,
            stats.webhook.fails,
            stats.expired_deliveries
        ),
        (0, 0, 1)
    );
}

#[test]
fn a_delivery_answered_after_the_idle_timeout_keeps_its_connection() {
    // The idle timeout counts from the reply, not from the hand-off: an application slower
    // than it does not get its keep-alive connection closed under it.
    let idle = Duration::from_millis(300);
    let rx = start_default(ServerSettings {
        idle_timeout: Some(idle),
        ..quick_config()
    });
    let addr = rx.local_addr();
    let client = thread::spawn(move || {
        let mut c = Client::new(addr);
        let first = c.post(PATH, call_event("slow-1").as_bytes());
        let second = c.post(PATH, call_event("slow-2").as_bytes());
        (
            first.status,
            first.header("connection").map(str::to_owned),
            second.status,
        )
    });
    let held = rx.recv().unwrap();
    // Holding the answer past the idle timeout is what is tested here.
    thread::sleep(idle * 2);
    held.ack();
    let next = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    match next.event().payload() {
        Payload::CallStart(call) => assert_eq!(call.id.as_deref(), Some("slow-2")),
        other => panic!("not a call start: {other:?}"),
    }
    next.ack();
    assert_eq!(client.join().unwrap(), (200, None, 200));
}

#[test]
fn bad_bind_addresses_empty_paths_and_zero_workers_are_invalid_arguments() {
    for addr in ["localhost:99999", "8080", "127.0.0.1:-1", "127.0.0.1"] {
        let e = Receiver::bind(addr, WebhookConfig::new(PATH).unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{addr}: {e}");
    }
    for path in ["", "/", "?q=1", "/?q=1"] {
        // Such a policy cannot be built, so no receiver can answer on it.
        let e = WebhookConfig::new(path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{path:?}: {e}");
        assert!(e.to_string().contains("webhook path"), "{e}");
    }
    // Without a leading slash, the path gets one.
    assert_eq!(
        WebhookConfig::new("cinnox/s3cret").unwrap().path(),
        "/cinnox/s3cret"
    );
    let rx = start_default(quick_config());
    let e = rx.serve(0, |_| Ok::<(), String>(())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}
