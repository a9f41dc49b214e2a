//! The verifier: every refusal with its exact status, headers and body; challenges; delivery
//! and the application's verdict; the duplicate window on an injected clock; counters.

#[path = "common/event.rs"]
mod event;

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cinnox::event::Payload;
use cinnox::webhook::{Clock, WebhookStats};
use cinnox::{ErrorKind, Outcome, Reply, Request, Verdict, Webhook, WebhookConfig};

const PATH: &str = "/cinnox/s3cr3t-Xq9vL2pR7wZk";
const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn post<'a>(path: &'a str, headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> Request<'a> {
    Request {
        method: "POST",
        path,
        headers,
        peer: ip("127.0.0.1"),
        body,
    }
}

fn respond(o: Outcome) -> Reply {
    match o {
        Outcome::Respond(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn deliver(o: Outcome) -> cinnox::Event {
    match o {
        Outcome::Deliver(e) => e,
        Outcome::Respond(r) => panic!(
            "expected an event, got {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ),
        other => panic!("expected an event, got {other:?}"),
    }
}

fn assert_reply(r: &Reply, status: u16, body: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(String::from_utf8_lossy(&r.body), body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct ManualClock {
    base: Instant,
    ms: Arc<AtomicU64>,
}

impl ManualClock {
    fn new() -> ManualClock {
        ManualClock {
            base: Instant::now(),
            ms: Arc::new(AtomicU64::new(0)),
        }
    }
    fn advance(&self, d: Duration) {
        self.ms.fetch_add(d.as_millis() as u64, Ordering::SeqCst);
    }
    fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.base + Duration::from_millis(me.ms.load(Ordering::SeqCst)))
    }
}

#[test]
fn refusals_have_exact_status_headers_and_body() {
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .max_body(256)
            .allow_source("10.0.0.0/8")
            .allow_source("2001:db8::/32")
            .allow_source("127.0.0.1")
            .build()
            .unwrap(),
    );
    let big = vec![b' '; 257];
    struct Case<'a> {
        name: &'a str,
        method: &'a str,
        path: &'a str,
        headers: &'a [(&'a str, &'a str)],
        peer: Option<IpAddr>,
        body: &'a [u8],
        status: u16,
        body_text: &'a str,
    }
    let not_found = r#"{"code":404,"message":"not found"}"#;
    let p = PATH;
    let cases = [
        Case {
            name: "wrong path",
            method: "POST",
            path: "/cinnox/guess",
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 404,
            body_text: not_found,
        },
        Case {
            name: "root",
            method: "GET",
            path: "/",
            headers: &[],
            peer: ip("10.1.2.3"),
            body: b"",
            status: 404,
            body_text: not_found,
        },
        Case {
            name: "prefix of the secret",
            method: "POST",
            path: "/cinnox/s3cr3t",
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 404,
            body_text: not_found,
        },
        Case {
            name: "secret plus more",
            method: "POST",
            path: "/cinnox/s3cr3t-Xq9vL2pR7wZkX",
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 404,
            body_text: not_found,
        },
        Case {
            name: "trailing slash",
            method: "POST",
            path: "/cinnox/s3cr3t-Xq9vL2pR7wZk/",
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 404,
            body_text: not_found,
        },
        Case {
            name: "percent-encoded",
            method: "POST",
            path: "/cinnox/s3cr3t%2DXq9vL2pR7wZk",
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 404,
            body_text: not_found,
        },
        Case {
            name: "source outside the allowlist",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("192.168.1.1"),
            body: event::CALL_END,
            status: 403,
            body_text: r#"{"code":403,"message":"forbidden"}"#,
        },
        Case {
            name: "v6 source outside",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("2001:db9::1"),
            body: event::CALL_END,
            status: 403,
            body_text: r#"{"code":403,"message":"forbidden"}"#,
        },
        Case {
            name: "unknown peer",
            method: "POST",
            path: p,
            headers: JSON,
            peer: None,
            body: event::CALL_END,
            status: 403,
            body_text: r#"{"code":403,"message":"forbidden"}"#,
        },
        Case {
            name: "GET",
            method: "GET",
            path: p,
            headers: &[],
            peer: ip("10.1.2.3"),
            body: b"",
            status: 405,
            body_text: r#"{"code":405,"message":"method not allowed"}"#,
        },
        Case {
            name: "lower-case post",
            method: "post",
            path: p,
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 405,
            body_text: r#"{"code":405,"message":"method not allowed"}"#,
        },
        Case {
            name: "PUT",
            method: "PUT",
            path: p,
            headers: JSON,
            peer: ip("2001:db8::7"),
            body: event::CALL_END,
            status: 405,
            body_text: r#"{"code":405,"message":"method not allowed"}"#,
        },
        Case {
            name: "form",
            method: "POST",
            path: p,
            headers: &[("content-type", "application/x-www-form-urlencoded")],
            peer: ip("10.1.2.3"),
            body: b"a=b",
            status: 415,
            body_text: r#"{"code":415,"message":"unsupported media type"}"#,
        },
        Case {
            name: "text",
            method: "POST",
            path: p,
            headers: &[("Content-Type", "text/plain; charset=utf-8")],
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 415,
            body_text: r#"{"code":415,"message":"unsupported media type"}"#,
        },
        Case {
            name: "json-ish",
            method: "POST",
            path: p,
            headers: &[("Content-Type", "application/jsonx")],
            peer: ip("10.1.2.3"),
            body: event::CALL_END,
            status: 415,
            body_text: r#"{"code":415,"message":"unsupported media type"}"#,
        },
        Case {
            name: "Content-Length over the cap",
            method: "POST",
            path: p,
            headers: &[("Content-Length", "257")],
            peer: ip("10.1.2.3"),
            body: b"",
            status: 413,
            body_text: r#"{"code":413,"message":"body too large"}"#,
        },
        Case {
            name: "huge Content-Length",
            method: "POST",
            path: p,
            headers: &[("content-length", "99999999999999999999999")],
            peer: ip("10.1.2.3"),
            body: b"",
            status: 413,
            body_text: r#"{"code":413,"message":"body too large"}"#,
        },
        Case {
            name: "body over the cap, no Content-Length",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: &big,
            status: 413,
            body_text: r#"{"code":413,"message":"body too large"}"#,
        },
        Case {
            name: "negative Content-Length",
            method: "POST",
            path: p,
            headers: &[("Content-Length", "-1")],
            peer: ip("10.1.2.3"),
            body: b"{}",
            status: 400,
            body_text: r#"{"code":400,"message":"invalid Content-Length"}"#,
        },
        Case {
            name: "conflicting Content-Length",
            method: "POST",
            path: p,
            headers: &[("Content-Length", "2"), ("Content-Length", "3")],
            peer: ip("10.1.2.3"),
            body: b"{}",
            status: 400,
            body_text: r#"{"code":400,"message":"invalid Content-Length"}"#,
        },
        Case {
            name: "not JSON",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: b"hello",
            status: 400,
            body_text: r#"{"code":400,"message":"expected a JSON object at line 1 column 1, found not JSON"}"#,
        },
        Case {
            name: "array",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: b"[]",
            status: 400,
            body_text: r#"{"code":400,"message":"expected a JSON object at line 1 column 1, found an array"}"#,
        },
        Case {
            name: "empty",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: b"",
            status: 400,
            body_text: r#"{"code":400,"message":"empty body: expected a JSON object"}"#,
        },
        Case {
            name: "invalid UTF-8",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: b"{\"id\":\"\xfe\"}",
            status: 400,
            body_text: r#"{"code":400,"message":"invalid UTF-8 at line 1 column 8 (byte 7)"}"#,
        },
        Case {
            name: "truncated",
            method: "POST",
            path: p,
            headers: JSON,
            peer: ip("10.1.2.3"),
            body: b"{\"a\":\"",
            status: 400,
            body_text: r#"{"code":400,"message":"invalid JSON: EOF while parsing a string at line 1 column 6"}"#,
        },
    ];
    let mut expected = WebhookStats::default();
    for c in &cases {
        let req = Request {
            method: c.method,
            path: c.path,
            headers: c.headers,
            peer: c.peer,
            body: c.body,
        };
        let r = respond(wh.handle(&req));
        assert_reply(&r, c.status, c.body_text);
        if c.status == 405 {
            assert_eq!(r.header("Allow"), Some("POST"), "{}", c.name);
        } else {
            assert_eq!(r.header("Allow"), None, "{}", c.name);
        }
        assert_eq!(
            r.headers.len(),
            2 + usize::from(c.status == 405),
            "{}",
            c.name
        );
        // The body never names the path or the secret.
        assert!(
            !String::from_utf8_lossy(&r.body).contains("s3cr3t"),
            "{}",
            c.name
        );
        // check_head gives the same refusal for everything it can decide without the body:
        // all but an unreadable body and a body over the cap without a Content-Length.
        let head = Request { body: b"", ..req };
        let body_only = matches!(
            c.name,
            "body over the cap, no Content-Length"
                | "not JSON"
                | "array"
                | "empty"
                | "invalid UTF-8"
                | "truncated"
        );
        let mut counted = 1;
        if body_only {
            assert!(wh.check_head(&head).is_ok(), "{}", c.name);
        } else {
            assert_eq!(wh.check_head(&head).unwrap_err(), r, "{}", c.name);
            counted += 1;
        }
        expected.requests += counted;
        let reason = match c.status {
            400 => &mut expected.refused_bad_request,
            403 => &mut expected.refused_forbidden,
            404 => &mut expected.refused_not_found,
            405 => &mut expected.refused_method,
            413 => &mut expected.refused_too_large,
            415 => &mut expected.refused_media_type,
            _ => unreachable!(),
        };
        *reason += counted;
    }
    assert_eq!(wh.stats(), expected);
    assert_eq!(expected.events, 0);
}

#[test]
fn every_404_is_the_same_reply() {
    let wh = Webhook::new(WebhookConfig::new(PATH).unwrap());
    let replies: Vec<Reply> = [
        "/",
        "/x",
        "/cinnox/",
        "/cinnox/s3cr3t-Xq9vL2pR7wZ",
        "/CINNOX/s3cr3t-Xq9vL2pR7wZk",
        "",
        "*",
    ]
    .iter()
    .map(|p| respond(wh.handle(&post(p, JSON, event::CALL_END))))
    .collect();
    for r in &replies {
        assert_eq!(r, &replies[0]);
    }
    assert_eq!(replies[0].status, 404);
}

#[test]
fn accepted_content_types_and_query_strings() {
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .dedup_window(None)
            .build()
            .unwrap(),
    );
    let query = format!("{PATH}?attempt=2&x=%20");
    let bare_query = format!("{PATH}?");
    for (path, headers) in [
        (PATH, &[][..]),
        (PATH, &[("Content-Type", "application/json")][..]),
        (
            PATH,
            &[("content-type", "application/json; charset=utf-8")][..],
        ),
        (
            PATH,
            &[("CONTENT-TYPE", "Application/JSON ;charset=UTF-8")][..],
        ),
        (PATH, &[("Content-Type", "")][..]),
        (PATH, &[("Content-Length", "128")][..]),
        (query.as_str(), JSON),
        (bare_query.as_str(), JSON),
    ] {
        let e = deliver(wh.handle(&post(path, headers, event::CALL_END)));
        assert!(matches!(e.payload(), Payload::CallEnd(_)));
        assert!(wh.check_head(&post(path, headers, b"")).is_ok());
    }
    // A path given without the leading slash gets one; a query in it is dropped.
    let wh = Webhook::new(WebhookConfig::new("hook/abc").unwrap());
    deliver(wh.handle(&post("/hook/abc", JSON, event::CALL_END)));
    let wh = Webhook::new(
        WebhookConfig::builder("/hook/abc?token=1")
            .dedup_window(None)
            .build()
            .unwrap(),
    );
    assert_eq!(wh.config().path(), "/hook/abc");
    deliver(wh.handle(&post("/hook/abc", JSON, event::CALL_END)));
    deliver(wh.handle(&post("/hook/abc?token=2", JSON, event::CALL_END)));
    for wrong in [
        "/hook/ab?c",
        "/hook/abc/?",
        "/hook/abcd",
        "/hook/ab",
        "?/hook/abc",
    ] {
        assert_eq!(
            respond(wh.handle(&post(wrong, JSON, event::CALL_END))).status,
            404,
            "{wrong}"
        );
    }
}

#[test]
fn challenge_is_answered_at_any_time() {
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .dedup_window(None)
            .build()
            .unwrap(),
    );
    for c in [
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "q\"\\\u{1}</script>😀",
    ] {
        let body = serde_json::to_vec(&serde_json::json!({ "challenge": c })).unwrap();
        let r = respond(wh.handle(&post(PATH, JSON, &body)));
        let mut want = br#"{"code":0,"result":{"challenge":"#.to_vec();
        want.extend(serde_json::to_vec(c).unwrap());
        want.extend(b"}}");
        assert_reply(&r, 200, &String::from_utf8(want).unwrap());
        // Events between challenges do not change that.
        let e = deliver(wh.handle(&post(PATH, JSON, event::INBOUND_SMS)));
        wh.finish(&e, Verdict::Handled);
    }
    let s = wh.stats();
    assert_eq!((s.requests, s.challenges, s.events, s.acks), (4, 2, 2, 2));
}

#[test]
fn verdicts_become_200_or_500_and_only_handled_is_remembered() {
    let clock = ManualClock::new();
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .clock(clock.clock())
            .build()
            .unwrap(),
    );
    for (_, body) in event::SEEDS {
        let e = deliver(wh.handle(&post(PATH, JSON, body)));
        assert_eq!(e.raw(), body);
        let r = wh.finish(&e, Verdict::Failed);
        assert_reply(&r, 500, r#"{"code":500,"message":"event not handled"}"#);
        // Failed: the redelivery reaches the application again.
        let e = deliver(wh.handle(&post(PATH, JSON, body)));
        let r = wh.finish(&e, Verdict::Handled);
        assert_reply(&r, 200, r#"{"code":0}"#);
        // Handled: the redelivery is answered 200 without an event.
        let r = respond(wh.handle(&post(PATH, JSON, body)));
        assert_reply(&r, 200, r#"{"code":0}"#);
    }
    let s = wh.stats();
    let mut want = WebhookStats::default();
    (
        want.requests,
        want.events,
        want.acks,
        want.fails,
        want.duplicates,
    ) = (12, 8, 4, 4, 4);
    assert_eq!(s, want);
    assert_eq!(wh.dedup_len(), 4);
}

#[test]
fn duplicate_window_follows_the_injected_clock() {
    let clock = ManualClock::new();
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .dedup_window(Some(Duration::from_secs(600)))
            .clock(clock.clock())
            .build()
            .unwrap(),
    );
    let e = deliver(wh.handle(&post(PATH, JSON, event::CALL_START)));
    wh.finish(&e, Verdict::Handled);

    clock.advance(Duration::from_millis(599_999));
    respond(wh.handle(&post(PATH, JSON, event::CALL_START)));
    // The same event re-serialised differently is the same notification.
    let spaced = String::from_utf8(event::CALL_START.to_vec())
        .unwrap()
        .replace(':', " : ");
    respond(wh.handle(&post(PATH, JSON, spaced.as_bytes())));
    // Another event of the same call is not a duplicate.
    let end = deliver(wh.handle(&post(PATH, JSON, event::CALL_END)));

    clock.advance(Duration::from_millis(1));
    let again = deliver(wh.handle(&post(PATH, JSON, event::CALL_START)));
    assert_eq!(again.dedup_key(), e.dedup_key());
    // Acknowledging again starts a new window.
    wh.finish(&again, Verdict::Handled);
    wh.finish(&end, Verdict::Handled);
    clock.advance(Duration::from_secs(599));
    respond(wh.handle(&post(PATH, JSON, event::CALL_START)));
    respond(wh.handle(&post(PATH, JSON, event::CALL_END)));
    assert_eq!(wh.stats().duplicates, 4);
    assert_eq!(wh.stats().events, 3);

    // Expired keys are forgotten when new ones are recorded.
    clock.advance(Duration::from_secs(601));
    let sms = deliver(wh.handle(&post(PATH, JSON, event::INBOUND_SMS)));
    wh.finish(&sms, Verdict::Handled);
    assert_eq!(wh.dedup_len(), 1);
}

#[test]
fn duplicate_memory_is_bounded_and_can_be_turned_off() {
    let clock = ManualClock::new();
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .dedup_capacity(3)
            .clock(clock.clock())
            .build()
            .unwrap(),
    );
    let bodies: Vec<String> = (0..5)
        .map(|i| format!(r#"{{"Type":"tdr","TransactionID":"t{i}","Status":"Delivered"}}"#))
        .collect();
    for b in &bodies {
        let e = deliver(wh.handle(&post(PATH, JSON, b.as_bytes())));
        wh.finish(&e, Verdict::Handled);
    }
    assert_eq!(wh.dedup_len(), 3);
    // The two oldest were forgotten; the three newest are remembered.
    deliver(wh.handle(&post(PATH, JSON, bodies[0].as_bytes())));
    deliver(wh.handle(&post(PATH, JSON, bodies[1].as_bytes())));
    for b in &bodies[2..] {
        respond(wh.handle(&post(PATH, JSON, b.as_bytes())));
    }

    for config in [
        WebhookConfig::builder(PATH)
            .dedup_window(None)
            .build()
            .unwrap(),
        WebhookConfig::builder(PATH)
            .dedup_window(Some(Duration::ZERO))
            .build()
            .unwrap(),
        WebhookConfig::builder(PATH)
            .dedup_capacity(0)
            .build()
            .unwrap(),
    ] {
        let wh = Webhook::new(config);
        for _ in 0..3 {
            let e = deliver(wh.handle(&post(PATH, JSON, event::CALL_END)));
            assert_reply(&wh.finish(&e, Verdict::Handled), 200, r#"{"code":0}"#);
        }
        assert_eq!(wh.stats().duplicates, 0);
        assert_eq!(wh.dedup_len(), 0);
    }

    let wh = Webhook::new(WebhookConfig::new(PATH).unwrap());
    let e = deliver(wh.handle(&post(PATH, JSON, event::CALL_END)));
    wh.finish(&e, Verdict::Handled);
    wh.clear_dedup();
    deliver(wh.handle(&post(PATH, JSON, event::CALL_END)));
}

#[test]
fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .allow_source("203.0.113.0/24")
            .allow_source("2001:db8:cafe::/48")
            .trust_proxy("10.0.0.0/8")
            .trust_proxy("fd00::/8")
            .dedup_window(None)
            .build()
            .unwrap(),
    );
    // (peer, X-Forwarded-For headers, allowed?)
    let cases: &[(&str, &[&str], bool)] = &[
        ("203.0.113.5", &[], true),
        ("203.0.113.5", &["198.51.100.1"], true), // untrusted peer: header ignored
        ("198.51.100.1", &["203.0.113.5"], false), // untrusted peer cannot claim an address
        ("10.0.0.1", &[], false),                 // proxy without header: the proxy is the client
        ("10.0.0.1", &["203.0.113.5"], true),
        ("10.0.0.1", &["198.51.100.1"], false),
        ("10.0.0.1", &["203.0.113.5, 10.0.0.2"], true), // right-most untrusted
        ("10.0.0.1", &["198.51.100.1, 203.0.113.5"], true), // spoofed left part ignored
        ("10.0.0.1", &["203.0.113.5, 198.51.100.1"], false),
        (
            "10.0.0.1",
            &["203.0.113.5", "198.51.100.1, 10.0.0.3"],
            false,
        ), // headers in order
        ("10.0.0.1", &["198.51.100.1", "203.0.113.5"], true),
        ("10.0.0.1", &["10.0.0.9, 10.0.0.8"], false), // all proxies: left-most, a proxy
        ("10.0.0.1", &["garbage"], false),
        ("10.0.0.1", &["203.0.113.5:4711"], true),
        ("10.0.0.1", &["[2001:db8:cafe::1]:443"], true),
        ("fd00::1", &["2001:db8:cafe::9"], true),
        ("::ffff:10.0.0.1", &["::ffff:203.0.113.5"], true), // v4-mapped compared as v4
        ("::ffff:203.0.113.5", &[], true),
    ];
    for (peer, xff, allowed) in cases {
        let headers: Vec<(&str, &str)> = std::iter::once(("Content-Type", "application/json"))
            .chain(xff.iter().map(|v| ("X-Forwarded-For", *v)))
            .collect();
        let req = Request {
            peer: ip(peer),
            ..post(PATH, &headers, event::CALL_END)
        };
        match wh.handle(&req) {
            Outcome::Deliver(_) => assert!(allowed, "{peer} {xff:?} was let in"),
            Outcome::Respond(r) => {
                assert!(!allowed, "{peer} {xff:?}: {}", r.status);
                assert_reply(&r, 403, r#"{"code":403,"message":"forbidden"}"#);
            }
            other => panic!("{other:?}"),
        }
    }
    // Without an allowlist every source is accepted, whatever the header says.
    let open = Webhook::new(
        WebhookConfig::builder(PATH)
            .trust_proxy("10.0.0.0/8")
            .build()
            .unwrap(),
    );
    let headers = [("X-Forwarded-For", "garbage")];
    let req = Request {
        peer: ip("10.0.0.1"),
        ..post(PATH, &headers, event::CALL_END)
    };
    deliver(open.handle(&req));
    let req = Request {
        peer: None,
        ..post(PATH, &headers, event::CALL_END)
    };
    deliver(open.handle(&req));
}

#[test]
fn bad_networks_are_invalid_arguments() {
    for bad in ["", "10.0.0.0/33", "not a network", "10.0.0/8", "::1/129"] {
        let e = WebhookConfig::builder(PATH)
            .allow_source(bad)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains(bad), "{}", e.message());
        let e = WebhookConfig::builder(PATH)
            .trust_proxy(bad)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    // Host bits are dropped; a bare address is a network of one.
    let wh = Webhook::new(
        WebhookConfig::builder(PATH)
            .allow_source("192.0.2.77/24")
            .build()
            .unwrap(),
    );
    let req = Request {
        peer: ip("192.0.2.1"),
        ..post(PATH, JSON, event::CALL_END)
    };
    deliver(wh.handle(&req));
}

#[test]
fn debug_never_shows_the_path_secret() {
    let config = WebhookConfig::builder(PATH)
        .allow_source("10.0.0.0/8")
        .clock(ManualClock::new().clock())
        .build()
        .unwrap();
    let text = format!("{config:?} {config:#?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(text.contains("max_body: 65536"), "{text}");
    assert_eq!(config.max_body(), 64 * 1024);
    let wh = Webhook::new(config);
    let text = format!("{wh:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    // Nor does any reply, whatever was asked.
    let r = respond(wh.handle(&Request {
        method: "GET",
        ..post(PATH, JSON, b"")
    }));
    assert!(!format!("{r:?}").contains("s3cr3t"));
}

#[test]
fn webhook_is_shared_between_threads() {
    let wh = Arc::new(Webhook::new(WebhookConfig::new(PATH).unwrap()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let wh = Arc::clone(&wh);
            std::thread::spawn(move || {
                for i in 0..50 {
                    let body = format!(r#"{{"id":"m{t}-{i}","senderNumber":"1"}}"#);
                    let e = deliver(wh.handle(&post(PATH, JSON, body.as_bytes())));
                    wh.finish(&e, Verdict::Handled);
                    respond(wh.handle(&post(PATH, JSON, body.as_bytes())));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = wh.stats();
    assert_eq!(
        (s.requests, s.events, s.acks, s.duplicates),
        (400, 200, 200, 200)
    );
}

#[test]
fn a_config_without_a_secret_path_cannot_be_built() {
    for path in ["", "/", "?x=1", "/?x=1"] {
        let e = cinnox::WebhookConfig::new(path).unwrap_err();
        assert_eq!(e.kind(), cinnox::ErrorKind::InvalidArgument, "{path:?}");
        assert!(e.to_string().contains("the secret"), "{path:?}: {e}");
        let e = cinnox::WebhookConfig::builder(path)
            .max_body(10)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), cinnox::ErrorKind::InvalidArgument, "{path:?}");
    }
}

#[test]
fn a_source_or_proxy_that_is_no_network_fails_the_build_and_names_the_text() {
    let e = cinnox::WebhookConfig::builder("/hook")
        .allow_source("10.0.0.0/8")
        .allow_source("not-a-net")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), cinnox::ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("allowed source: `not-a-net`"), "{e}");
    let e = cinnox::WebhookConfig::builder("/hook")
        .trust_proxy("10.0.0.0/33")
        .build()
        .unwrap_err();
    assert!(
        e.to_string().contains("trusted proxy: `10.0.0.0/33`"),
        "{e}"
    );
}
