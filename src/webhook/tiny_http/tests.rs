use std::io::{self, Read};
use std::net::SocketAddr;

use ::tiny_http::{HTTPVersion, Header, Method, TestRequest};

use super::*;
use crate::WebhookConfig;

const PATH: &str = "/cinnox/tiny";
const SMS: &str = r#"{"id":"sms-1","eventDescription":"Inbound SMS","senderNumber":"85298765432","recipientNumber":"85212345678","receiveTime":"2022-11-07T00:00:00.000Z","contentType":"Text","content":"Hello"}"#;

fn webhook() -> Webhook {
    Webhook::new(WebhookConfig::new(PATH).unwrap())
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
}

fn post(path: &str, body: &'static str) -> TestRequest {
    TestRequest::new()
        .with_method(Method::Post)
        .with_path(path)
        .with_header(header("Content-Type", "application/json"))
        .with_body(body)
}

fn reply(o: Outcome) -> Reply {
    match o {
        Outcome::Respond(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// A response as tiny_http writes it, without its `Date` header (the time).
fn printed(r: ::tiny_http::Response<Cursor<Vec<u8>>>) -> String {
    let mut out = Vec::new();
    r.raw_print(&mut out, HTTPVersion(1, 1), &[], false, None)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    text.split("\r\n")
        .filter(|l| !l.starts_with("Date: "))
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn a_reply_becomes_a_response_with_its_status_every_header_and_its_body() {
    let w = webhook();
    let req = Request {
        method: "GET",
        path: PATH,
        headers: &[],
        peer: None,
        body: &[],
    };
    let refusal = w.check_head(&req).unwrap_err();
    assert_eq!(
        printed(response(refusal)),
        "HTTP/1.1 405 Method Not Allowed\r\nServer: tiny-http (Rust)\r\n\
         Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nAllow: POST\r\n\
         Content-Length: 43\r\n\r\n{\"code\":405,\"message\":\"method not allowed\"}"
    );
    let from: ::tiny_http::Response<_> = Reply::ok().into();
    assert_eq!(
        printed(from),
        "HTTP/1.1 200 OK\r\nServer: tiny-http (Rust)\r\nContent-Type: application/json\r\n\
         X-Content-Type-Options: nosniff\r\nContent-Length: 10\r\n\r\n{\"code\":0}"
    );
}

#[test]
fn a_header_tiny_http_cannot_carry_is_left_out_not_sent_broken() {
    let mut r = Reply::ok();
    r.headers
        .push(("X-Injected", "a\r\nSet-Cookie: x=1".to_owned()));
    r.headers.push(("X-Text", "caf\u{e9}".to_owned()));
    let text = printed(response(r));
    assert!(
        !text.contains("X-Injected") && !text.contains("Set-Cookie"),
        "{text}"
    );
    assert!(!text.contains("X-Text"), "{text}");
    assert!(text.ends_with("\r\n\r\n{\"code\":0}"), "{text}");
}

#[test]
fn method_target_headers_and_body_reach_the_verifier() {
    let w = webhook();
    // The query is part of the target and ignored by the verifier; the body is parsed.
    let mut req = post("/cinnox/tiny?from=test", SMS).into();
    let Outcome::Deliver(event) = outcome(&w, &mut req) else {
        panic!("not delivered")
    };
    assert_eq!(event.raw(), SMS.as_bytes());
    assert_eq!(event.id(), Some("sms-1"));

    let challenge = r#"{"challenge":"abc-123"}"#;
    let r = reply(outcome(&w, &mut post(PATH, challenge).into()));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &br#"{"code":0,"result":{"challenge":"abc-123"}}"#[..])
    );

    let r = reply(outcome(&w, &mut post("/cinnox/other", SMS).into()));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (404, &br#"{"code":404,"message":"not found"}"#[..])
    );

    let get = TestRequest::new().with_path(PATH).with_method(Method::Get);
    let r = reply(outcome(&w, &mut get.into()));
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));

    // Every header reaches the verifier, in order: the first Content-Type counts.
    let text = TestRequest::new()
        .with_method(Method::Post)
        .with_path(PATH)
        .with_header(header("content-type", "text/plain"))
        .with_header(header("Content-Type", "application/json"))
        .with_body(SMS);
    let mut req: ::tiny_http::Request = text.into();
    let names: Vec<&str> = fields(&req).iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["content-type", "Content-Type", "Content-Length"]);
    let r = reply(outcome(&w, &mut req));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (
            415,
            &br#"{"code":415,"message":"unsupported media type"}"#[..]
        )
    );
}

#[test]
fn the_peer_address_is_the_source_the_verifier_checks() {
    let config = WebhookConfig::builder(PATH)
        .allow_source("192.0.2.7")
        .trust_proxy("10.0.0.1")
        .build()
        .unwrap();
    let w = Webhook::new(config);
    let from = |addr: &str| post(PATH, SMS).with_remote_addr(addr.parse::<SocketAddr>().unwrap());

    assert!(matches!(
        outcome(&w, &mut from("192.0.2.7:5000").into()),
        Outcome::Deliver(_)
    ));
    let r = reply(outcome(&w, &mut from("198.51.100.1:5000").into()));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (403, &br#"{"code":403,"message":"forbidden"}"#[..])
    );
    // X-Forwarded-For is believed from the trusted proxy only.
    let proxied = from("10.0.0.1:5000").with_header(header("X-Forwarded-For", "192.0.2.7"));
    assert!(matches!(
        outcome(&w, &mut proxied.into()),
        Outcome::Deliver(_)
    ));
    let spoofed = from("198.51.100.1:5000").with_header(header("X-Forwarded-For", "192.0.2.7"));
    assert_eq!(reply(outcome(&w, &mut spoofed.into())).status, 403);
}

#[test]
fn a_declared_length_over_the_cap_is_refused_by_the_verifier_before_the_body() {
    let w = Webhook::new(WebhookConfig::builder(PATH).max_body(8).build().unwrap());
    let r = reply(outcome(&w, &mut post(PATH, SMS).into()));
    let declared = Request {
        method: "POST",
        path: PATH,
        headers: &[("Content-Length", "100000000")],
        peer: None,
        body: &[],
    };
    assert_eq!(r, reply(w.handle(&declared)));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (413, &br#"{"code":413,"message":"body too large"}"#[..])
    );
    assert_eq!(w.stats().refused_too_large, 2);
}

/// Serves `0..` forever, counting what it handed out.
struct Endless {
    served: u64,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(b' ');
        self.served += buf.len() as u64;
        Ok(buf.len())
    }
}

#[test]
fn the_body_is_read_up_to_the_cap_plus_one_byte_and_no_further() {
    let mut endless = Endless { served: 0 };
    let body = read_body(&mut endless, 1000, None).unwrap();
    assert_eq!((body.len(), endless.served), (1001, 1001));

    let mut exact: &[u8] = &[b'x'; 1000];
    assert_eq!(read_body(&mut exact, 1000, Some(1000)).unwrap().len(), 1000);
    let mut empty: &[u8] = &[];
    assert_eq!(read_body(&mut empty, 1000, None).unwrap(), b"");
}

#[test]
fn a_body_over_the_cap_gets_the_verifiers_413() {
    let w = Webhook::new(WebhookConfig::builder(PATH).max_body(8).build().unwrap());
    let mut endless = Endless { served: 0 };
    let body = read_body(&mut endless, w.max_body_len(), None).unwrap();
    let req = Request {
        method: "POST",
        path: PATH,
        headers: &[],
        peer: None,
        body: &body,
    };
    let r = reply(w.handle_checked(&req));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (413, &br#"{"code":413,"message":"body too large"}"#[..])
    );
}

#[test]
fn a_body_cut_short_is_a_400_counted_as_a_bad_request() {
    let mut short: &[u8] = b"{\"id\":";
    let e = read_body(&mut short, 1000, Some(2000)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(e.to_string(), "the body ended after 6 of its 2000 bytes");

    // Over 1 KiB declared, tiny_http streams the body; the 6 bytes end early.
    let w = webhook();
    let cut = post(PATH, "{\"id\":").with_header(header("Content-Length", "2000"));
    let r = reply(outcome(&w, &mut cut.into()));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (
            400,
            &br#"{"code":400,"message":"the body could not be read"}"#[..]
        )
    );
    let s = w.stats();
    assert_eq!((s.requests, s.refused_bad_request), (1, 1));
}

#[test]
fn a_pending_event_answers_once_finish_says_so_and_500_when_dropped() {
    let w = webhook();
    let pending = accept(&w, post(PATH, SMS).into()).unwrap().unwrap();
    assert_eq!(pending.event().id(), Some("sms-1"));
    assert_eq!(
        pending.remote_addr(),
        Some("127.0.0.1:23456".parse().unwrap())
    );
    assert!(format!("{pending:?}").contains("answered: false"));
    assert_eq!(w.stats().acks, 0, "nothing is acknowledged before finish");
    pending.finish(Verdict::Handled).unwrap();
    let s = w.stats();
    assert_eq!((s.events, s.acks, w.dedup_len()), (1, 1, 1));

    // The redelivery is answered 200 by accept itself.
    assert!(accept(&w, post(PATH, SMS).into()).unwrap().is_none());
    assert_eq!(w.stats().duplicates, 1);

    let other = r#"{"id":"sms-2","eventDescription":"Inbound SMS","content":"x"}"#;
    drop(accept(&w, post(PATH, other).into()).unwrap().unwrap());
    let s = w.stats();
    assert_eq!((s.events, s.acks, s.fails), (2, 1, 1));
    let failed = accept(&w, post(PATH, other).into()).unwrap().unwrap();
    failed.finish(Verdict::Failed).unwrap();
    let s = w.stats();
    assert_eq!((s.events, s.acks, s.fails, w.dedup_len()), (3, 1, 2, 1));
}

#[test]
fn refusals_and_challenges_are_answered_by_accept() {
    let w = webhook();
    assert!(accept(&w, post("/nope", SMS).into()).unwrap().is_none());
    assert!(accept(&w, post(PATH, r#"{"challenge":"c"}"#).into())
        .unwrap()
        .is_none());
    assert!(accept(&w, post(PATH, "{not json").into())
        .unwrap()
        .is_none());
    let s = w.stats();
    assert_eq!(
        (
            s.requests,
            s.refused_not_found,
            s.challenges,
            s.refused_bad_request
        ),
        (3, 1, 1, 1)
    );
}

fn assert_send<T: Send>() {}

#[test]
fn a_pending_event_may_be_answered_on_another_thread() {
    assert_send::<Pending<'static>>();
}
