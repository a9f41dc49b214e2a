//! The sandbox's subscription API, spoken to with raw HTTP: every answer, exactly.

#[path = "common/sandbox.rs"]
mod sandbox;

use std::time::Duration;

use cinnox::sandbox::SandboxConfig;
use cinnox::{EventKind, Sandbox};
use sandbox::*;

const CALL: &str = "call-event-sub";

fn start() -> Sandbox {
    Sandbox::start(
        SandboxConfig::builder()
            .app("app-1", "token-1")
            .app("app-2", "token-2")
            // Never reached by a stand-in that answers, even on a loaded machine.
            .verify_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// `updatedAt` as the spec shows it: `2022-11-07T00:00:00.000Z`.
#[track_caller]
fn assert_rfc3339_millis(t: &str) {
    let b = t.as_bytes();
    assert_eq!(b.len(), 24, "{t}");
    for (i, c) in b.iter().enumerate() {
        match i {
            4 | 7 => assert_eq!(*c, b'-', "{t}"),
            10 => assert_eq!(*c, b'T', "{t}"),
            13 | 16 => assert_eq!(*c, b':', "{t}"),
            19 => assert_eq!(*c, b'.', "{t}"),
            23 => assert_eq!(*c, b'Z', "{t}"),
            _ => assert!(c.is_ascii_digit(), "{t}"),
        }
    }
}

#[test]
fn subscribing_verifies_the_url_then_answers_like_cinnox() {
    let sb = start();
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    let url = hook.url("/cinnox/secret-path");
    let a = patch(sb.base_url(), "app-1", CALL, "token-1", true, &url);

    // The handshake came first: one POST of {"challenge": "<52 letters and digits>"}.
    let g = hook.next();
    assert_eq!(g.method, "POST");
    assert_eq!(g.path, "/cinnox/secret-path");
    assert_eq!(g.header("content-type"), Some("application/json"));
    let challenge = g.challenge().expect("a challenge");
    assert_eq!(challenge.len(), 52);
    assert!(challenge.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        std::str::from_utf8(&g.body).unwrap(),
        format!(r#"{{"challenge":"{challenge}"}}"#)
    );
    hook.assert_nothing_more();

    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    let v = a.json();
    let updated = v["result"]["updatedAt"].as_str().unwrap().to_owned();
    assert_rfc3339_millis(&updated);
    // Members in the documented order, exactly.
    assert_eq!(
        a.body,
        format!(
            r#"{{"code":0,"result":{{"enabled":true,"url":"{url}","updatedAt":"{updated}"}}}}"#
        )
    );

    let subs = sb.subscriptions();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].app_id, "app-1");
    assert_eq!(subs[0].kind, EventKind::Call);
    assert_eq!(subs[0].url, url);
    assert_eq!(subs[0].updated_at, updated);
    // The secret path stays out of Debug output.
    let dbg = format!("{:?}", subs[0]);
    assert!(!dbg.contains("secret-path"), "{dbg}");
}

#[test]
fn every_documented_slug_can_be_subscribed() {
    let sb = start();
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    for kind in EventKind::KNOWN {
        let a = patch(
            sb.base_url(),
            "app-1",
            kind.slug(),
            "token-1",
            true,
            &hook.url("/h"),
        );
        assert_eq!(a.status, 200, "{kind}: {a:?}");
        assert!(hook.next().challenge().is_some());
    }
    // The contact families answer without `updatedAt`, as documented.
    for kind in [EventKind::ExternalContact, EventKind::StaffContact] {
        let url = hook.url("/h");
        let a = patch(sb.base_url(), "app-1", kind.slug(), "token-1", true, &url);
        assert_eq!(
            a.body,
            format!(r#"{{"code":0,"result":{{"enabled":true,"url":"{url}"}}}}"#)
        );
        assert!(hook.next().challenge().is_some());
    }
    let kinds: Vec<EventKind> = sb.subscriptions().into_iter().map(|s| s.kind).collect();
    let mut expected = EventKind::KNOWN.to_vec();
    expected.sort();
    assert_eq!(kinds, expected);
}

#[test]
fn token_and_app_errors() {
    let sb = start();
    let b = sb.base_url();
    let path = "/v1/api/apps/app-1/call-event-sub";
    let body = r#"{"enabled":true,"url":"http://127.0.0.1:9/h"}"#;
    let json = Some("application/json");

    // No Authorization header, another scheme, an empty token, a wrong token.
    for auth in [
        None,
        Some("Basic dG9rZW4tMQ=="),
        Some("Bearer "),
        Some("Bearer token-x"),
    ] {
        let a = request(b, "PATCH", path, auth, json, body);
        assert_error(&a, 400, 6_452_000, "invalid token");
    }
    // The token of another app.
    let a = patch(b, "app-1", CALL, "token-2", true, "http://127.0.0.1:9/h");
    assert_error(&a, 400, 6_452_000, "invalid token");
    // An unknown app, with a token the sandbox knows.
    let a = patch(b, "app-9", CALL, "token-1", true, "http://127.0.0.1:9/h");
    assert_error(&a, 400, 6_452_001, "invalid appID");
    // An unknown app with an unknown token: the token is refused first.
    let a = patch(b, "app-9", CALL, "token-9", true, "http://127.0.0.1:9/h");
    assert_error(&a, 400, 6_452_000, "invalid token");
    // The bearer scheme is case-insensitive.
    let a = request(
        b,
        "PATCH",
        path,
        Some("bearer token-1"),
        json,
        r#"{"enabled":false,"url":"http://h/x"}"#,
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert!(sb.subscriptions().is_empty());
}

#[test]
fn unknown_routes_slugs_and_methods() {
    let sb = start();
    let b = sb.base_url();
    let auth = Some("Bearer token-1");
    let json = Some("application/json");
    let body = r#"{"enabled":false,"url":"http://h/x"}"#;
    let cases = [
        ("PATCH", "/v1/api/apps/app-1/fax-event-sub"),
        ("GET", "/v1/api/apps/app-1/call-event-sub"),
        ("POST", "/v1/api/apps/app-1/call-event-sub"),
        ("DELETE", "/v1/api/apps/app-1/call-event-sub"),
        ("PATCH", "/v2/api/apps/app-1/call-event-sub"),
        ("PATCH", "/v1/api/apps//call-event-sub"),
        ("PATCH", "/v1/api/apps/app-1/call-event-sub/extra"),
        ("PATCH", "/"),
        ("PATCH", "/v1/api/apps/app-1/fax-event-sub?x=1"),
    ];
    for (method, path) in cases {
        let a = request(b, method, path, auth, json, body);
        assert_error(&a, 400, 6_450_001, &format!("method: {method} url: {path}"));
    }
    // A route error comes before authentication.
    let a = request(b, "GET", "/nope", None, None, "");
    assert_error(&a, 400, 6_450_001, "method: GET url: /nope");
}

#[test]
fn parameter_errors() {
    let sb = start();
    let b = sb.base_url();
    let path = "/v1/api/apps/app-1/inbound-sms-event-sub";
    let auth = Some("Bearer token-1");
    let json = Some("application/json");
    let cases = [
        (r#"{"url":"http://h/x"}"#, "enabled is required"),
        (
            r#"{"enabled":"true","url":"http://h/x"}"#,
            "enabled must be true or false",
        ),
        (r#"{"enabled":true}"#, "url is required"),
        (r#"{"enabled":true,"url":7}"#, "url must be a string"),
        (
            r#"{"enabled":true,"url":"/relative"}"#,
            "url must be an absolute http or https URL",
        ),
        (
            r#"{"enabled":true,"url":"ftp://h/x"}"#,
            "url must be an absolute http or https URL",
        ),
        (
            r#"{"enabled":false,"url":"h/x"}"#,
            "url must be an absolute http or https URL",
        ),
        (
            r#"{"enabled":true,"url":""}"#,
            "url must be an absolute http or https URL",
        ),
        (r#"[true]"#, "the body must be a JSON object"),
    ];
    for (body, message) in cases {
        let a = request(b, "PATCH", path, auth, json, body);
        assert_error(&a, 400, 6_451_000, message);
    }
    // Not JSON: the message names the parse error.
    let a = request(b, "PATCH", path, auth, json, "enabled=true");
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["code"], 6_451_000);
    let m = a.json()["message"].as_str().unwrap().to_owned();
    assert!(m.starts_with("the body is not JSON: "), "{m}");
    // The documented Content-Type is required.
    for ct in [None, Some("text/plain")] {
        let a = request(
            b,
            "PATCH",
            path,
            auth,
            ct,
            r#"{"enabled":false,"url":"http://h/x"}"#,
        );
        assert_error(&a, 400, 6_451_000, "Content-Type must be application/json");
    }
    let a = request(
        b,
        "PATCH",
        path,
        auth,
        Some("application/json; charset=utf-8"),
        r#"{"enabled":false,"url":"http://h/x"}"#,
    );
    assert_eq!(a.status, 200, "{a:?}");
    // Too large.
    let big = format!(
        r#"{{"enabled":false,"url":"http://h/{}"}}"#,
        "x".repeat(70_000)
    );
    let a = request(b, "PATCH", path, auth, json, &big);
    assert_error(&a, 400, 6_451_000, "the body is too large");
}

#[test]
fn state_across_enable_and_disable() {
    let sb = start();
    let b = sb.base_url();
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    let (u1, u2) = (hook.url("/one"), hook.url("/two"));

    assert_eq!(patch(b, "app-1", CALL, "token-1", true, &u1).status, 200);
    assert_eq!(
        patch(b, "app-1", "inbound-sms-event-sub", "token-1", true, &u1).status,
        200
    );
    assert_eq!(patch(b, "app-2", CALL, "token-2", true, &u2).status, 200);
    for _ in 0..3 {
        assert!(hook.next().challenge().is_some());
    }
    let state = |sb: &Sandbox| -> Vec<(String, EventKind, String)> {
        sb.subscriptions()
            .into_iter()
            .map(|s| (s.app_id, s.kind, s.url))
            .collect()
    };
    assert_eq!(
        state(&sb),
        vec![
            ("app-1".into(), EventKind::Call, u1.clone()),
            ("app-1".into(), EventKind::InboundSms, u1.clone()),
            ("app-2".into(), EventKind::Call, u2.clone()),
        ]
    );

    // Disabling answers enabled:false with the URL given, runs no handshake, and removes
    // only that app's family.
    let a = patch(b, "app-1", CALL, "token-1", false, &u1);
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["result"]["enabled"], false);
    assert_eq!(a.json()["result"]["url"], u1.as_str());
    assert_rfc3339_millis(a.json()["result"]["updatedAt"].as_str().unwrap());
    hook.assert_nothing_more();
    assert_eq!(
        state(&sb),
        vec![
            ("app-1".into(), EventKind::InboundSms, u1.clone()),
            ("app-2".into(), EventKind::Call, u2.clone()),
        ]
    );
    // Disabling again is fine.
    assert_eq!(patch(b, "app-1", CALL, "token-1", false, &u1).status, 200);

    // Subscribing a family again replaces its URL.
    assert_eq!(
        patch(b, "app-1", "inbound-sms-event-sub", "token-1", true, &u2).status,
        200
    );
    assert_eq!(hook.next().path, "/two");
    assert_eq!(
        state(&sb),
        vec![
            ("app-1".into(), EventKind::InboundSms, u2.clone()),
            ("app-2".into(), EventKind::Call, u2.clone()),
        ]
    );
}

#[test]
fn rate_limit_per_app() {
    let sb = Sandbox::start(
        SandboxConfig::builder()
            .app("app-1", "token-1")
            .app("app-2", "token-2")
            .rate_limit(3, Duration::from_secs(60))
            .build()
            .unwrap(),
    )
    .unwrap();
    let b = sb.base_url();
    // Refused requests do not count.
    let a = patch(b, "app-1", CALL, "token-x", false, "http://h/x");
    assert_error(&a, 400, 6_452_000, "invalid token");
    // Three requests pass (a parameter error counts as a request).
    assert_eq!(
        patch(b, "app-1", CALL, "token-1", false, "http://h/x").status,
        200
    );
    assert_eq!(
        patch(b, "app-1", CALL, "token-1", false, "nope").status,
        400
    );
    assert_eq!(
        patch(b, "app-1", CALL, "token-1", false, "http://h/x").status,
        200
    );
    // The fourth is refused, with 429 and a Retry-After within the window.
    for _ in 0..2 {
        let a = patch(b, "app-1", CALL, "token-1", false, "http://h/x");
        assert_error(&a, 429, 6_451_010, "Too many requests");
        let secs: u64 = a.retry_after.as_deref().unwrap().parse().unwrap();
        assert!((1..=60).contains(&secs), "{secs}");
    }
    // Another app has its own budget.
    assert_eq!(
        patch(b, "app-2", CALL, "token-2", false, "http://h/x").status,
        200
    );
}

#[test]
fn rate_window_slides() {
    let window = Duration::from_millis(300);
    let sb = Sandbox::start(
        SandboxConfig::builder()
            .app("app-1", "token-1")
            .rate_limit(1, window)
            .build()
            .unwrap(),
    )
    .unwrap();
    let b = sb.base_url();
    let first = std::time::Instant::now();
    assert_eq!(
        patch(b, "app-1", CALL, "token-1", false, "http://h/x").status,
        200
    );
    // Refused until the window has passed since the first request, then allowed again.
    loop {
        let a = patch(b, "app-1", CALL, "token-1", false, "http://h/x");
        if a.status == 200 {
            assert!(first.elapsed() >= window);
            break;
        }
        assert_error(&a, 429, 6_451_010, "Too many requests");
        assert!(
            first.elapsed() < window + Duration::from_secs(5),
            "never allowed again"
        );
    }
}

#[test]
fn apps_added_while_running() {
    let sb = start();
    assert!(sb.add_app("", "t").is_err());
    assert!(sb.add_app("a", "").is_err());
    let b = sb.base_url();
    assert_eq!(
        patch(b, "app-3", CALL, "token-3", false, "http://h/x").json()["code"],
        6_452_000
    );
    sb.add_app("app-3", "token-3").unwrap();
    assert_eq!(
        patch(b, "app-3", CALL, "token-3", false, "http://h/x").status,
        200
    );
    // A new token replaces the old one.
    sb.add_app("app-3", "token-3b").unwrap();
    assert_eq!(
        patch(b, "app-3", CALL, "token-3", false, "http://h/x").json()["code"],
        6_452_000
    );
    assert_eq!(
        patch(b, "app-3", CALL, "token-3b", false, "http://h/x").status,
        200
    );
}

#[test]
fn bad_configuration_is_refused() {
    // An invalid configuration cannot be built.
    let e = SandboxConfig::builder().app("", "t").build().unwrap_err();
    assert_eq!(e.kind(), cinnox::ErrorKind::InvalidArgument);
    let e = SandboxConfig::builder().app("a", "").build().unwrap_err();
    assert_eq!(e.kind(), cinnox::ErrorKind::InvalidArgument);
    for (n, per) in [(0, Duration::from_secs(1)), (1, Duration::ZERO)] {
        let e = SandboxConfig::builder()
            .rate_limit(n, per)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), cinnox::ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("rate limit"), "{e}");
    }
    // A port in use.
    let sb = start();
    let e = Sandbox::start(
        SandboxConfig::builder()
            .bind(sb.local_addr())
            .build()
            .unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), cinnox::ErrorKind::Io);
    assert!(sb.base_url().starts_with("http://127.0.0.1:"));
}
