//! The receiver against the faults of a bare tiny_http server: bursts of keep-alive
//! connections, stalled requests, idle connections, too many connections, huge bodies.

#[path = "common/receiver.rs"]
mod receiver;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use cinnox::WebhookConfig;
use receiver::*;

#[test]
fn sixty_four_keep_alive_connections_at_once_are_all_served() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let handle = rx.shutdown_handle();
    let barrier = std::sync::Barrier::new(64);
    thread::scope(|s| {
        s.spawn(|| rx.serve(4, |_| Ok::<(), String>(())).unwrap());
        let clients: Vec<_> = (0..64)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut c = Client::new(addr);
                    barrier.wait();
                    // Two deliveries each on the same connection: the first of all 64
                    // is answered while the others stay open.
                    let first = c.post(PATH, call_event(&format!("burst-{i}-a")).as_bytes());
                    let second = c.post(PATH, call_event(&format!("burst-{i}-b")).as_bytes());
                    (first.status, second.status)
                })
            })
            .collect();
        for c in clients {
            // Each client read gives up after 5 s: an unserved connection fails here.
            assert_eq!(c.join().unwrap(), (200, 200));
        }
        handle.shutdown();
    });
    assert_eq!(rx.stats().webhook.acks, 128);
}

/// Start an attack connection: send `bytes` and leave it hanging. The instant is taken
/// before connecting, so it is no later than the server's accept (where its clock starts).
fn hang(addr: std::net::SocketAddr, bytes: &[u8]) -> (Client, Instant) {
    let started = Instant::now();
    let mut c = Client::new(addr);
    c.send(bytes);
    (c, started)
}

/// The three ways a request can stall: slow headers, a body that never arrives in full, a
/// chunked body that stops mid-chunk.
fn stall_all(addr: std::net::SocketAddr) -> Vec<(Client, Instant)> {
    vec![
        hang(addr, format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nX-Slow: ").as_bytes()),
        hang(
            addr,
            format!(
                "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{{\"type\":"
            )
            .as_bytes(),
        ),
        hang(
            addr,
            format!(
                "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n{{\"type\""
            )
            .as_bytes(),
        ),
    ]
}

#[test]
fn stalled_requests_do_not_delay_deliveries_on_other_connections() {
    // The stalled requests' deadline is far beyond this test: a delivery that had to wait
    // for them would hit the client's 5 s read timeout instead of its answer.
    let rx = start_default(ServerSettings {
        read_timeout: Some(Duration::from_secs(60)),
        ..quick_config()
    });
    let addr = rx.local_addr();
    let handle = rx.shutdown_handle();
    thread::scope(|s| {
        s.spawn(|| rx.serve(1, |_| Ok::<(), String>(())).unwrap());
        let attackers = stall_all(addr);
        for i in 0..5 {
            let r = Client::new(addr).post(PATH, call_event(&format!("normal-{i}")).as_bytes());
            assert_eq!(r.status, 200);
        }
        for (c, _) in &attackers {
            assert!(c.is_open_and_silent(), "an attacker was answered or cut");
        }
        handle.shutdown();
    });
    let s = rx.stats();
    assert_eq!((s.webhook.acks, s.read_timeouts), (5, 0));
}

#[test]
fn stalled_requests_are_cut_at_the_read_deadline() {
    let deadline = SHORT;
    let rx = start_default(ServerSettings {
        read_timeout: Some(deadline),
        ..quick_config()
    });
    let cuts: Vec<_> = thread::scope(|s| {
        let readers: Vec<_> = stall_all(rx.local_addr())
            .into_iter()
            .map(|(mut c, started)| {
                // Each answer is timed by a thread of its own, waiting on it: when it
                // arrives, not when a busy test gets round to reading it.
                s.spawn(move || {
                    let r = c.response();
                    let cut_after = started.elapsed();
                    (
                        r.status,
                        r.header("Connection").map(str::to_owned),
                        c.at_eof(),
                        cut_after,
                    )
                })
            })
            .collect();
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (status, connection, eof, cut_after) in cuts {
        assert_eq!(status, 408);
        assert_eq!(connection.as_deref(), Some("close"));
        assert!(eof);
        assert!(cut_after >= deadline, "cut after {cut_after:?}");
        assert!(
            cut_after < deadline + Duration::from_secs(3),
            "cut after {cut_after:?}"
        );
    }
    assert_eq!(rx.stats().read_timeouts, 3);
}

#[test]
fn a_connection_that_never_sends_is_closed_at_the_read_deadline() {
    let rx = start_default(ServerSettings {
        read_timeout: Some(SHORT),
        ..quick_config()
    });
    let (mut c, started) = hang(rx.local_addr(), b"");
    let r = c.response();
    assert_eq!(r.status, 408);
    assert!(c.at_eof());
    assert!(started.elapsed() >= SHORT);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let idle = SHORT;
    let rx = start_default(ServerSettings {
        idle_timeout: Some(idle),
        ..quick_config()
    });
    let mut c = Client::new(rx.local_addr());
    // Taken before the request: the server's idle clock starts after its reply.
    let sent = Instant::now();
    assert_eq!(c.post(PATH, br#"{"challenge":"idle"}"#).status, 200);
    // Closed quietly: no 408 for a connection that was between requests.
    assert!(c.at_eof());
    assert!(sent.elapsed() >= idle);
    assert_eq!(rx.stats().read_timeouts, 0);
}

/// A connection whose event is in the application's hands: it waits for the answer, so it
/// cannot be evicted.
fn busy(rx: &cinnox::Receiver, id: &str) -> (Client, cinnox::Delivery) {
    let mut c = Client::new(rx.local_addr());
    c.send(&post_bytes(PATH, call_event(id).as_bytes()));
    let d = rx.recv().unwrap();
    (c, d)
}

#[test]
fn at_the_cap_with_every_connection_busy_new_connections_are_refused_at_once() {
    let rx = start_default(ServerSettings {
        max_connections: Some(4),
        ..quick_config()
    });
    let addr = rx.local_addr();
    // Four connections that hold their places: each waits for its answer.
    let mut held: Vec<(Client, cinnox::Delivery)> =
        (0..4).map(|i| busy(&rx, &format!("held-{i}"))).collect();
    let started = Instant::now();
    let mut refused = Client::new(addr);
    let mut raw = Vec::new();
    refused.reader.read_to_end(&mut raw).unwrap();
    assert_eq!(
        raw,
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    // Queued behind the held connections, it would wait for their 5 s deadline.
    assert!(started.elapsed() < Duration::from_secs(4));
    let stats = rx.stats();
    assert_eq!(
        (stats.refused_connections, stats.evicted_connections),
        (1, 0)
    );
    assert_eq!(stats.open_connections, 4);
    // The held connections still work.
    for (mut c, d) in held.drain(..) {
        d.ack();
        assert_eq!(c.response().status, 200);
        assert_eq!(c.post(PATH, br#"{"challenge":"d"}"#).status, 200);
    }
}

#[test]
fn at_the_cap_the_connection_idle_or_incomplete_longest_is_evicted() {
    let rx = start_default(ServerSettings {
        max_connections: Some(4),
        ..quick_config()
    });
    let addr = rx.local_addr();
    // The oldest connection sends half a head; a second is served, then idle; a third
    // waits for its answer; a fourth is silent.
    let mut half = Client::new(addr);
    half.send(format!("POST {PATH} HTTP/1.1\r\nHost: t\r\n").as_bytes());
    let mut served = Client::new(addr);
    assert_eq!(served.post(PATH, br#"{"challenge":"a"}"#).status, 200);
    let (mut waiting, d) = busy(&rx, "waiting");
    let mut silent = Client::new(addr);
    assert_eq!(served.post(PATH, br#"{"challenge":"b"}"#).status, 200);
    // The fifth evicts the half head (incomplete since its accept, the longest).
    let mut fifth = Client::new(addr);
    assert_eq!(fifth.post(PATH, br#"{"challenge":"c"}"#).status, 200);
    assert!(half.at_eof());
    // The sixth evicts the silent one (the served one was active after it).
    let mut sixth = Client::new(addr);
    assert_eq!(sixth.post(PATH, br#"{"challenge":"e"}"#).status, 200);
    assert!(silent.at_eof());
    d.ack();
    assert_eq!(waiting.response().status, 200);
    let stats = rx.stats();
    assert_eq!(
        (stats.evicted_connections, stats.refused_connections),
        (2, 0)
    );
}

#[test]
fn an_oversized_body_gets_413_without_being_read_and_the_connection_closes() {
    let rx = start(
        WebhookConfig::builder(PATH).max_body(1024).build().unwrap(),
        quick_config(),
    );
    let addr = rx.local_addr();
    // Declared length far over the cap; only the start of the body is ever sent.
    let mut c = Client::new(addr);
    c.send(
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{}",
            " ".repeat(1000)
        )
        .as_bytes(),
    );
    let r = c.response();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.at_eof());

    // A chunked body is cut at the cap.
    let mut c = Client::new(addr);
    c.send(
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n{}\r\n200\r\n{}\r\n200\r\n",
            " ".repeat(0x200),
            " ".repeat(0x200)
        )
        .as_bytes(),
    );
    let r = c.response();
    assert_eq!(r.status, 413);
    assert!(c.at_eof());
    assert_eq!(rx.stats().malformed_requests, 1);
}

#[test]
fn malformed_heads_get_400_or_431_and_are_closed() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let mut c = Client::new(addr);
    c.send(b"NOT HTTP AT ALL\r\n\r\n");
    assert_eq!(c.response().status, 400);
    assert!(c.at_eof());

    let mut c = Client::new(addr);
    c.send(
        format!(
            "POST {PATH} HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "a".repeat(20_000)
        )
        .as_bytes(),
    );
    assert_eq!(c.response().status, 431);
    assert!(c.at_eof());

    let mut c = Client::new(addr);
    c.send(
        format!("POST {PATH} HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(c.response().status, 400);
    assert_eq!(rx.stats().malformed_requests, 3);
}

#[test]
fn a_declared_length_is_not_allocated_before_the_bytes_arrive() {
    // Without a practical body cap, a peer's Content-Length must not size an allocation:
    // the body is buffered as it arrives, so a huge declaration that is never sent costs
    // nothing and ends at the read deadline like any stalled body.
    let rx = start(
        WebhookConfig::builder(PATH)
            .max_body(usize::MAX)
            .build()
            .unwrap(),
        ServerSettings {
            read_timeout: Some(SHORT),
            ..quick_config()
        },
    );
    let mut c = Client::new(rx.local_addr());
    c.send(
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"id\":",
            usize::MAX
        )
        .as_bytes(),
    );
    let r = c.response();
    assert_eq!(r.status, 408);
    assert!(c.at_eof());
    assert_eq!(rx.stats().read_timeouts, 1);
    // The receiver lives on.
    let r = Client::new(rx.local_addr()).post(PATH, br#"{"challenge":"after"}"#);
    assert_eq!(r.status, 200);
}

#[test]
fn a_chunk_size_that_is_not_plain_hex_digits_is_refused() {
    // `+14` or ` 14` is no chunk-size (RFC 9112: 1*HEXDIG); a front proxy that reads it
    // another way would frame the stream differently from us.
    let rx = start_default(quick_config());
    let event = call_event("chunk-size");
    for size in [
        format!("+{:x}", event.len()),
        format!(" {:x}", event.len()),
        format!("0x{:x}", event.len()),
    ] {
        let mut c = Client::new(rx.local_addr());
        c.send(
            format!(
                "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\n{event}\r\n0\r\n\r\n"
            )
            .as_bytes(),
        );
        assert_eq!(c.response().status, 400, "chunk size {size:?}");
        assert!(c.at_eof());
    }
    assert_eq!(rx.stats().webhook.events, 0);
    assert_eq!(rx.stats().malformed_requests, 3);
}

#[test]
fn a_refused_client_that_sends_its_whole_request_first_reads_the_whole_503() {
    let rx = start_default(ServerSettings {
        max_connections: Some(1),
        ..quick_config()
    });
    let addr = rx.local_addr();
    // The one place is held by a connection waiting for its answer: nothing to evict.
    let (mut held, d) = busy(&rx, "held");
    // A client that writes its whole request before reading, as HTTP clients do. With a
    // small send buffer, a request of 240 KiB cannot all be buffered by the kernels
    // (about 160 KiB on Linux): its write only completes if the server reads. A refusal
    // that closed with the request unread would reset the connection and fail the write.
    let mut refused = Client::new(addr);
    small_send_buffer(refused.stream());
    let body = vec![b' '; 240 * 1024];
    refused.send(&post_bytes(PATH, &body));
    let mut raw = Vec::new();
    refused.reader.read_to_end(&mut raw).unwrap();
    assert_eq!(
        raw,
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(rx.stats().refused_connections, 1);
    // The drain does not take the held connection's place.
    d.ack();
    assert_eq!(held.response().status, 200);
    assert_eq!(held.post(PATH, br#"{"challenge":"d"}"#).status, 200);
}

/// Give a client socket a small send buffer, so that what it writes beyond the kernels'
/// buffers waits for the server to read.
fn small_send_buffer(stream: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let size: libc::c_int = 4096;
    // SAFETY: a live socket and a pointer to an int of the size given.
    let r = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0);
}

#[test]
fn a_refused_client_that_never_stops_sending_is_cut_off_by_the_byte_bound() {
    let rx = start_default(ServerSettings {
        max_connections: Some(1),
        ..quick_config()
    });
    let addr = rx.local_addr();
    let (mut held, d) = busy(&rx, "held");
    let refused = Client::new(addr);
    small_send_buffer(refused.stream());
    let mut stream = refused.stream();
    let chunk = [b'x'; 8 * 1024];
    let mut sent = 0usize;
    // The drain stops after 256 KiB and closes with bytes unread: the connection is reset
    // and the writes fail, long before the 2 s time bound (the write timeout below).
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let err = loop {
        match stream.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) => break e,
        }
        assert!(sent < 4 * 1024 * 1024, "the drain never stopped reading");
    };
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{err:?} after {sent} bytes"
    );
    // 256 KiB drained, plus what the kernels buffered (about 160 KiB here).
    assert!(sent >= 256 * 1024, "{sent}");
    assert!(sent < 1024 * 1024, "{sent}");
    d.ack();
    assert_eq!(held.response().status, 200);
    assert_eq!(held.post(PATH, br#"{"challenge":"d"}"#).status, 200);
}

#[test]
fn a_head_slower_than_the_header_timeout_gets_408_long_before_the_read_deadline() {
    let rx = start_default(ServerSettings {
        header_timeout: Some(SHORT),
        read_timeout: Some(Duration::from_secs(60)),
        ..quick_config()
    });
    // The client gives up after 5 s: only the header timeout can answer in time.
    let (mut c, started) = hang(
        rx.local_addr(),
        format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nX-Slow: ").as_bytes(),
    );
    let r = c.response();
    assert_eq!(r.status, 408);
    assert!(c.at_eof());
    assert!(started.elapsed() >= SHORT);
    assert_eq!(rx.stats().read_timeouts, 1);
}

#[test]
fn a_body_slower_than_the_minimum_rate_gets_408_before_the_read_deadline() {
    let rx = start_default(ServerSettings {
        min_body_rate: Some(1_000_000),
        read_timeout: Some(Duration::from_secs(60)),
        ..quick_config()
    });
    let mut c = Client::new(rx.local_addr());
    // Rated over 5 s windows: give the client more than that.
    c.stream()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    c.send(
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{{\"type\":"
        )
        .as_bytes(),
    );
    let r = c.response();
    assert_eq!(r.status, 408);
    assert!(c.at_eof());
    assert_eq!(rx.stats().read_timeouts, 1);
}

#[test]
fn beyond_the_per_source_limit_new_connections_from_that_source_are_refused() {
    let rx = start_default(ServerSettings {
        per_source_limit: Some(2),
        ..quick_config()
    });
    let addr = rx.local_addr();
    let mut held: Vec<Client> = (0..2).map(|_| Client::new(addr)).collect();
    for c in held.iter_mut() {
        assert_eq!(c.post(PATH, br#"{"challenge":"s"}"#).status, 200);
    }
    let mut third = Client::new(addr);
    let mut raw = Vec::new();
    third.reader.read_to_end(&mut raw).unwrap();
    assert!(raw.starts_with(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"));
    assert_eq!(rx.stats().refused_connections, 1);
    // A place freed is a place taken.
    drop(held.pop());
    let started = Instant::now();
    loop {
        let mut c = Client::new(addr);
        match c.try_response_to(PATH, br#"{"challenge":"t"}"#) {
            Some(200) => break,
            // The server may not have seen the close yet: refused again.
            _ => assert!(started.elapsed() < Duration::from_secs(5), "never admitted"),
        }
    }
}

#[test]
fn several_io_threads_serve_sixty_four_connections() {
    let rx = start_default(ServerSettings {
        io_threads: Some(4),
        ..quick_config()
    });
    let addr = rx.local_addr();
    thread::scope(|s| {
        let handle = rx.shutdown_handle();
        let serving = s.spawn(|| rx.serve(4, |_| Ok::<(), String>(())));
        let clients: Vec<_> = (0..64)
            .map(|i| {
                s.spawn(move || {
                    let mut c = Client::new(addr);
                    let a = c
                        .post(PATH, call_event(&format!("io-{i}")).as_bytes())
                        .status;
                    let b = c.post(PATH, br#"{"challenge":"x"}"#).status;
                    (a, b)
                })
            })
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap(), (200, 200));
        }
        handle.shutdown();
        serving.join().unwrap().unwrap();
    });
    assert_eq!(rx.stats().webhook.acks, 64);
}

#[test]
fn shutdown_with_connections_in_every_state() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    let mut idle = Client::new(addr);
    assert_eq!(idle.post(PATH, br#"{"challenge":"i"}"#).status, 200);
    let silent = Client::new(addr);
    let (half_head, _) = hang(
        addr,
        format!("POST {PATH} HTTP/1.1\r\nHost: t\r\n").as_bytes(),
    );
    let (half_body, _) = hang(
        addr,
        format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{").as_bytes(),
    );
    // Waiting for its answer, with a second request pipelined behind it.
    let mut waiting = Client::new(addr);
    let mut burst = post_bytes(PATH, call_event("in-hand").as_bytes());
    burst.extend(post_bytes(PATH, br#"{"challenge":"behind"}"#));
    waiting.send(&burst);
    let in_hand = rx.recv().unwrap();
    // Queued, never taken.
    let mut queued = Client::new(addr);
    queued.send(&post_bytes(PATH, call_event("queued").as_bytes()));
    // (The queue is checked through the stats: two events seen.)
    let started = Instant::now();
    while rx.stats().webhook.events < 2 {
        assert!(started.elapsed() < Duration::from_secs(5));
        thread::yield_now();
    }
    rx.shutdown_handle().shutdown();
    // Idle and half-read connections are closed at once, unanswered.
    for mut c in [idle, silent, half_head, half_body] {
        assert!(c.at_eof());
    }
    // The queued event is failed; the one in hand is answered as the application says,
    // and the pipelined request behind it is not served: the connection closes.
    assert_eq!(queued.response().status, 500);
    in_hand.ack();
    let r = waiting.response();
    assert_eq!((r.status, r.header("Connection")), (200, Some("close")));
    assert!(waiting.at_eof());
    rx.shutdown();
    let stats = rx.stats();
    assert_eq!((stats.webhook.acks, stats.webhook.fails), (1, 1));
    assert_eq!(stats.open_connections, 0);
}
