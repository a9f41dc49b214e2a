//! HTTP/1.1 framing on the wire (RFC 9112): what the receiver answers to each shape of
//! request, through real sockets. The rules themselves are tested on bytes in the
//! receiver's `h1` module; here, that their answers reach the peer and the connection is
//! kept or closed as they say.

#[path = "common/receiver.rs"]
mod receiver;

use std::thread;

use receiver::*;

/// The status of the answer to `raw`, and whether the connection was then closed.
fn answer(raw: &[u8]) -> (u16, Option<String>, bool) {
    let rx = start_default(quick_config());
    let mut c = Client::new(rx.local_addr());
    c.send(raw);
    let r = c.response();
    let connection = r.header("Connection").map(str::to_owned);
    (r.status, connection, c.at_eof())
}

#[test]
fn refused_framings_are_answered_and_closed() {
    let long_uri = format!(
        "POST /{} HTTP/1.1\r\nHost: t\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let rows: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "Transfer-Encoding in HTTP/1.0",
            format!("POST {PATH} HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").into(),
            400,
        ),
        (
            "two Transfer-Encodings",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").into(),
            400,
        ),
        (
            "a Transfer-Encoding list",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").into(),
            501,
        ),
        (
            "chunked followed by U+00A0",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\u{a0}\r\n\r\n0\r\n\r\n").into(),
            501,
        ),
        (
            "a bare LF in chunk framing",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\n{{}}\r\n0\r\n\r\n").into(),
            400,
        ),
        (
            "no Host",
            format!("POST {PATH} HTTP/1.1\r\nContent-Length: 0\r\n\r\n").into(),
            400,
        ),
        (
            "two Hosts",
            format!("POST {PATH} HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n").into(),
            400,
        ),
        (
            "a signed Content-Length",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Length: +2\r\n\r\n{{}}").into(),
            400,
        ),
        ("HTTP/2.0", format!("POST {PATH} HTTP/2.0\r\nHost: t\r\n\r\n").into(), 505),
        ("HTTP/3.0", format!("POST {PATH} HTTP/3.0\r\nHost: t\r\n\r\n").into(), 505),
        ("a URI over the head cap", long_uri.into(), 414),
        (
            "Host: a b",
            format!("POST {PATH} HTTP/1.1\r\nHost: a b\r\nContent-Length: 0\r\n\r\n").into(),
            400,
        ),
        (
            "Host: <x>@/",
            format!("POST {PATH} HTTP/1.1\r\nHost: <x>@/\r\nContent-Length: 0\r\n\r\n").into(),
            400,
        ),
        (
            "a chunk size followed by a blank and no extension",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\n{{}}\r\n0\r\n\r\n").into(),
            400,
        ),
        (
            "a trailer line that is not a field line",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\ngarbage\r\n\r\n").into(),
            400,
        ),
        (
            "a bare CR in a chunk extension",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\rc\r\n{{}}\r\n0\r\n\r\n").into(),
            400,
        ),
    ];
    for (name, raw, status) in rows {
        assert_eq!(
            answer(&raw),
            (status, Some("close".to_owned()), true),
            "{name}"
        );
    }
}

#[test]
fn accepted_shapes_are_served_on_a_kept_connection() {
    let rx = start_default(quick_config());
    let mut c = Client::new(rx.local_addr());
    let challenge = br#"{"challenge":"f"}"#;
    for (name, head) in [
        (
            "absolute form",
            format!("POST http://example.com{PATH} HTTP/1.1\r\nHost: example.com\r\n"),
        ),
        (
            "HTTP/1.2 read as 1.1",
            format!("POST {PATH} HTTP/1.2\r\nHost: t\r\n"),
        ),
        (
            "Content-Length with blanks",
            format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nX-Pad: 1\r\n"),
        ),
    ] {
        c.send(
            format!(
                "{head}Content-Type: application/json\r\nContent-Length:  {} \r\n\r\n",
                challenge.len()
            )
            .as_bytes(),
        );
        c.send(challenge);
        let r = c.response();
        assert_eq!((r.status, r.header("Connection")), (200, None), "{name}");
    }
}

#[test]
fn http_1_0_keep_alive_is_answered_keep_alive_and_plain_1_0_is_closed() {
    let rx = start_default(quick_config());
    let mut c = Client::new(rx.local_addr());
    let challenge = br#"{"challenge":"k"}"#;
    let head = |connection: &str| {
        format!(
            "POST {PATH} HTTP/1.0\r\n{connection}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
            challenge.len(),
            std::str::from_utf8(challenge).unwrap()
        )
    };
    for _ in 0..2 {
        c.send(head("Connection: keep-alive\r\n").as_bytes());
        let r = c.response();
        assert_eq!(
            (r.status, r.header("Connection")),
            (200, Some("keep-alive"))
        );
    }
    c.send(head("").as_bytes());
    let r = c.response();
    assert_eq!((r.status, r.header("Connection")), (200, Some("close")));
    assert!(c.at_eof());
}

#[test]
fn expect_100_continue_is_ignored_for_http_1_0_and_empty_bodies() {
    let rx = start_default(quick_config());
    let mut c = Client::new(rx.local_addr());
    // An empty body (a verifier refusal follows): no 100 before the final answer.
    c.send(format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n").as_bytes());
    let r = c.try_response().unwrap();
    assert_ne!(r.status, 100);
    let mut c = Client::new(rx.local_addr());
    let challenge = r#"{"challenge":"e"}"#;
    c.send(format!("POST {PATH} HTTP/1.0\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{challenge}", challenge.len()).as_bytes());
    assert_eq!(c.try_response().unwrap().status, 200);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let rx = start_default(quick_config());
    let addr = rx.local_addr();
    // Event, challenge, event, challenge in one write: the challenges wait for the events'
    // answers, which come in the order the application gives them.
    let mut burst = Vec::new();
    for i in 0..2 {
        burst.extend(post_bytes(
            PATH,
            call_event(&format!("pipe-{i}")).as_bytes(),
        ));
        burst.extend(post_bytes(
            PATH,
            format!(r#"{{"challenge":"c{i}"}}"#).as_bytes(),
        ));
    }
    let client = thread::spawn(move || {
        let mut c = Client::new(addr);
        c.send(&burst);
        (0..4)
            .map(|_| {
                let r = c.response();
                (r.status, r.body_text().to_owned())
            })
            .collect::<Vec<_>>()
    });
    let first = rx.recv().unwrap();
    assert_eq!(first.event().raw(), call_event("pipe-0").as_bytes());
    first.ack();
    let second = rx.recv().unwrap();
    assert_eq!(second.event().raw(), call_event("pipe-1").as_bytes());
    second.fail();
    let answers = client.join().unwrap();
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [200, 200, 500, 200]);
    assert!(answers[1].1.contains(r#""challenge":"c0""#), "{answers:?}");
    assert!(answers[3].1.contains(r#""challenge":"c1""#), "{answers:?}");
}

/// The answer to `raw` sent in pieces of `step` bytes, each its own write.
fn answer_in_pieces(raw: &[u8], step: usize) -> (u16, bool) {
    let rx = start_default(quick_config());
    let mut c = Client::new(rx.local_addr());
    for piece in raw.chunks(step) {
        // A refusal may close the connection before the last pieces: that is the answer.
        if !c.try_send(piece) {
            break;
        }
    }
    let r = c.response();
    (r.status, c.at_eof())
}

#[test]
fn an_over_long_chunk_line_gets_the_same_answer_however_tcp_splits_it() {
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let long_ext = format!("{head}2;{}\r\n{{}}\r\n0\r\n\r\n", "e".repeat(5_000));
    let long_trailer = format!(
        "{head}2\r\n{{}}\r\n0\r\nX-T: {}\r\n\r\n",
        "t".repeat(30_000)
    );
    for (name, raw) in [("extension", long_ext), ("trailer", long_trailer)] {
        for step in [raw.len(), 1024] {
            assert_eq!(
                answer_in_pieces(raw.as_bytes(), step),
                (400, true),
                "a long {name} in {step}-byte writes"
            );
        }
    }
}
