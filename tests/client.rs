//! The subscription client against a mock CINNOX: the exact request on the wire, argument
//! checks, every class of error, and secrets kept out of output.

#[path = "common/client.rs"]
mod client;

use std::time::{Duration, Instant};

use cinnox::{Client, ClientBuilder, ErrorKind, EventKind, RetryPolicy};
use client::{MockCinnox, Scripted, UPDATED_AT};

const TOKEN: &str = "s3cr3t-T0KEN.value_42";
const HOOK: &str = "https://me.example/cinnox/hook";

fn builder(base: &str) -> ClientBuilder {
    Client::builder(base, TOKEN)
        .proxy_from_env(false)
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
}

fn client(base: &str) -> Client {
    builder(base).retry(RetryPolicy::none()).build().unwrap()
}

fn assert_exact_request(rec: &client::Recorded, path: &str, body: &str) {
    assert_eq!(rec.method, "PATCH");
    assert_eq!(rec.path, path);
    assert_eq!(
        rec.header("Authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(rec.header("Content-Type"), Some("application/json"));
    assert_eq!(rec.header("Accept"), Some("application/json"));
    assert_eq!(rec.header("Content-Length"), Some(&*body.len().to_string()));
    assert_eq!(
        rec.header("User-Agent"),
        Some(concat!("cinnox/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(rec.body_text(), body);
}

// ---- the request on the wire ----

#[test]
fn every_kind_sends_exactly_the_documented_request() {
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    let mut kinds: Vec<EventKind> = EventKind::KNOWN.to_vec();
    kinds.push(EventKind::Other("fax-event-sub".into()));
    for kind in &kinds {
        let sub = c.subscribe("app-1", kind.clone(), HOOK).unwrap();
        assert_eq!(
            (sub.enabled, sub.url.as_str(), sub.updated_at.as_deref()),
            (true, HOOK, Some(UPDATED_AT))
        );
    }
    let reqs = mock.requests();
    assert_eq!(reqs.len(), kinds.len());
    let slugs = [
        "call-event-sub",
        "inbound-sms-event-sub",
        "outbound-sms-event-sub",
        "inquiry-event-sub",
        "recording-event-sub",
        "external-contact-event-sub",
        "staff-contact-event-sub",
        "label-event-sub",
        "inquiry-label-event-sub",
        "fax-event-sub",
    ];
    for (rec, slug) in reqs.iter().zip(slugs) {
        assert_exact_request(
            rec,
            &format!("/v1/api/apps/app-1/{slug}"),
            r#"{"enabled":true,"url":"https://me.example/cinnox/hook"}"#,
        );
    }
}

#[test]
fn unsubscribe_and_set_subscription_send_enabled_false() {
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    let sub = c.unsubscribe("app-1", EventKind::InboundSms, HOOK).unwrap();
    assert!(!sub.enabled);
    let sub = c
        .set_subscription("app-1", EventKind::OutboundSms, false, HOOK)
        .unwrap();
    assert!(!sub.enabled);
    let sub = c
        .set_subscription("app-1", EventKind::OutboundSms, true, HOOK)
        .unwrap();
    assert!(sub.enabled);
    let reqs = mock.requests();
    let off = r#"{"enabled":false,"url":"https://me.example/cinnox/hook"}"#;
    assert_exact_request(&reqs[0], "/v1/api/apps/app-1/inbound-sms-event-sub", off);
    assert_exact_request(&reqs[1], "/v1/api/apps/app-1/outbound-sms-event-sub", off);
    assert_eq!(
        reqs[2].body_text(),
        r#"{"enabled":true,"url":"https://me.example/cinnox/hook"}"#
    );
}

#[test]
fn webhook_url_is_sent_as_given_json_escaped() {
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    let url = "http://me.example:8080/h/%E2%9C%93?secret=a&b=c";
    let sub = c.subscribe("app", EventKind::Call, url).unwrap();
    assert_eq!(sub.url, url);
    assert_eq!(
        mock.requests()[0].body_text(),
        r#"{"enabled":true,"url":"http://me.example:8080/h/%E2%9C%93?secret=a&b=c"}"#
    );
}

#[test]
fn app_id_is_percent_encoded_as_one_path_segment() {
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    for (id, enc) in [
        ("a b/c", "a%20b%2Fc"),
        ("é?#%", "%C3%A9%3F%23%25"),
        ("A-z.0_9~", "A-z.0_9~"),
        ("x..y", "x..y"),
    ] {
        c.subscribe(id, EventKind::Call, HOOK).unwrap();
        assert_eq!(
            mock.requests().last().unwrap().path,
            format!("/v1/api/apps/{enc}/call-event-sub")
        );
        assert_eq!(
            c.subscription_url(id, &EventKind::Call).unwrap(),
            format!("{}/v1/api/apps/{enc}/call-event-sub", mock.url())
        );
    }
}

#[test]
fn base_url_with_or_without_slash_or_with_a_prefix() {
    let mock = MockCinnox::start();
    for (suffix, prefix) in [
        ("", ""),
        ("/", ""),
        ("/proxy/", "/proxy"),
        ("/proxy", "/proxy"),
        ("/a/b//", "/a/b"),
    ] {
        let c = client(&format!("{}{suffix}", mock.url()));
        assert_eq!(c.base_url(), format!("{}{prefix}", mock.url()));
        c.subscribe("app", EventKind::Label, HOOK).unwrap();
        assert_eq!(
            mock.requests().last().unwrap().path,
            format!("{prefix}/v1/api/apps/app/label-event-sub")
        );
    }
}

#[test]
fn one_connection_is_kept_alive_across_calls() {
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    let c2 = c.clone();
    c.subscribe("app", EventKind::Call, HOOK).unwrap();
    c2.subscribe("app", EventKind::Call, HOOK).unwrap();
    c.unsubscribe("app", EventKind::Call, HOOK).unwrap();
    let peers: Vec<_> = mock.requests().iter().map(|r| r.peer.unwrap()).collect();
    assert_eq!(peers.len(), 3);
    assert!(peers.iter().all(|p| *p == peers[0]), "{peers:?}");
}

#[test]
fn client_is_send_sync_and_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Client>();
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let c = c.clone();
            std::thread::spawn(move || c.subscribe(&format!("app-{i}"), EventKind::Call, HOOK))
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().unwrap().enabled);
    }
    let mut paths: Vec<_> = mock.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        (0..4)
            .map(|i| format!("/v1/api/apps/app-{i}/call-event-sub"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn result_fields_are_read_and_updated_at_may_be_absent() {
    let mock = MockCinnox::with_script(vec![
        Scripted::success(true, "https://other.example/x", None),
        Scripted::json(
            200,
            r#"{"code":0,"result":{"enabled":false,"url":"u","updatedAt":null,"extra":[1]},"more":1}"#,
        ),
        // Any 2xx with a result object is a success, whatever "code" says.
        Scripted::json(
            201,
            r#"{"result":{"enabled":true,"url":"v","updatedAt":"2024-01-02T03:04:05Z"}}"#,
        ),
    ]);
    let c = client(&mock.url());
    let s = c.subscribe("app", EventKind::Call, HOOK).unwrap();
    assert_eq!(
        (s.enabled, s.url.as_str(), s.updated_at.as_deref()),
        (true, "https://other.example/x", None)
    );
    let s = c.subscribe("app", EventKind::Call, HOOK).unwrap();
    assert_eq!(
        (s.enabled, s.url.as_str(), s.updated_at),
        (false, "u", None)
    );
    let s = c.subscribe("app", EventKind::Call, HOOK).unwrap();
    assert_eq!(s.updated_at.as_deref(), Some("2024-01-02T03:04:05Z"));
}

// ---- arguments checked before anything is sent ----

#[test]
fn bad_arguments_are_rejected_before_any_request() {
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    let bad_calls: Vec<(&str, EventKind, &str)> = vec![
        ("", EventKind::Call, HOOK),
        ("..", EventKind::Call, HOOK),
        (".", EventKind::Call, HOOK),
        ("app", EventKind::Call, ""),
        ("app", EventKind::Call, "ftp://me.example/hook"),
        ("app", EventKind::Call, "/relative/hook"),
        ("app", EventKind::Call, "me.example/hook"),
        ("app", EventKind::Call, "https://"),
        ("app", EventKind::Call, "https://me example/hook"),
        ("app", EventKind::Call, "mailto:a@me.example"),
        ("app", EventKind::Other(String::new()), HOOK),
        ("app", EventKind::Other("a/b".into()), HOOK),
        ("app", EventKind::Other("..".into()), HOOK),
    ];
    for (app, kind, url) in bad_calls {
        let e = c.subscribe(app, kind.clone(), url).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidArgument,
            "{app:?} {kind:?} {url:?}"
        );
        assert_eq!(e.http_status(), None);
        let e = c.unsubscribe(app, kind, url).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    assert_eq!(mock.count(), 0, "no request may reach the server");
    // The mock was listening all along: a good call reaches it.
    c.subscribe("app", EventKind::Call, HOOK).unwrap();
    assert_eq!(mock.count(), 1);
}

#[test]
fn bad_configuration_is_rejected_by_build() {
    let mock = MockCinnox::start();
    let url = mock.url();
    let bad: Vec<(&str, ClientBuilder)> = vec![
        ("empty token", Client::builder(&url, "")),
        ("token with space", Client::builder(&url, "abc def")),
        (
            "token with newline",
            Client::builder(&url, "abc\r\nX-Evil: 1"),
        ),
        ("token with tab", Client::builder(&url, "abc\t")),
        ("non-ASCII token", Client::builder(&url, "abcé")),
        ("empty base", Client::builder("", TOKEN)),
        (
            "relative base",
            Client::builder("cinnox.example/api", TOKEN),
        ),
        ("ftp base", Client::builder("ftp://cinnox.example/", TOKEN)),
        ("no host", Client::builder("https://", TOKEN)),
        (
            "unparsable base",
            Client::builder("https://bad host/", TOKEN),
        ),
        (
            "user info",
            Client::builder("https://u:pw@cinnox.example/", TOKEN),
        ),
        (
            "query",
            Client::builder("https://cinnox.example/?a=1", TOKEN),
        ),
        ("zero timeout", builder(&url).timeout(Duration::ZERO)),
        (
            "zero connect",
            builder(&url).connect_timeout(Duration::ZERO),
        ),
        ("bad agent", builder(&url).user_agent("x\ny")),
        ("empty agent", builder(&url).user_agent("")),
    ];
    for (what, b) in bad {
        let e = b.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}");
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("abc"), "{what}: {shown}");
            assert!(!shown.contains(TOKEN), "{what}: {shown}");
            assert!(!shown.contains("pw"), "{what}: {shown}");
        }
    }
    assert_eq!(mock.count(), 0);
    assert!(Client::new("HTTP://cinnox.example", TOKEN).is_ok());
    // A policy of zero attempts cannot be built, so no client can hold one.
    let e = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.to_string().contains("max_attempts must be at least 1"),
        "{e}"
    );
}

// ---- errors ----

#[test]
fn every_documented_api_code_is_an_api_error_with_its_predicate() {
    type Pred = fn(&cinnox::Error) -> bool;
    let cases: [(u16, i64, &str, Option<&str>); 9] = [
        (
            404,
            6450001,
            "method: PATCH url: /x",
            Some("method_not_found"),
        ),
        (400, 6451000, "enabled is required", Some("parameter_error")),
        (500, 6451001, "bad response", Some("internal")),
        (400, 6451010, "Too many requests", Some("rate_limited")),
        (404, 6451011, "no records found", None),
        (401, 6452000, "invalid token", Some("invalid_token")),
        (400, 6452001, "invalid appID", Some("invalid_app_id")),
        (400, 3000203, "tag not found", None),
        (400, 7210101, "sms request error", None),
    ];
    let preds: [(&str, Pred); 6] = [
        ("method_not_found", cinnox::Error::is_method_not_found),
        ("parameter_error", cinnox::Error::is_parameter_error),
        ("internal", cinnox::Error::is_internal),
        ("rate_limited", cinnox::Error::is_rate_limited),
        ("invalid_token", cinnox::Error::is_invalid_token),
        ("invalid_app_id", cinnox::Error::is_invalid_app_id),
    ];
    let mock = MockCinnox::start();
    let c = client(&mock.url());
    for (status, code, msg, pred) in cases {
        mock.push(Scripted::api_error(status, code, msg));
        let e = c.subscribe("app", EventKind::Call, HOOK).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.http_status(), Some(status));
        assert_eq!(e.api_code(), Some(code));
        assert_eq!(e.api_message(), Some(msg));
        assert_eq!(
            e.to_string(),
            format!("CINNOX API error: HTTP {status}, code {code}: {msg}")
        );
        // Exactly its own predicate holds.
        for (name, p) in preds {
            assert_eq!(p(&e), pred == Some(name), "code {code}, predicate {name}");
        }
    }
    assert_eq!(mock.count(), cases.len());
}

#[test]
fn an_error_object_with_a_2xx_status_or_a_string_code_is_still_an_api_error() {
    let mock = MockCinnox::with_script(vec![
        Scripted::json(200, r#"{"code":6451000,"message":"url is invalid"}"#),
        Scripted::json(400, r#"{"code":"6452001"}"#),
        Scripted::json(200, r#"{"code":6452000,"message":"bad","result":null}"#),
    ]);
    let c = client(&mock.url());
    let e = c.subscribe("app", EventKind::Call, HOOK).unwrap_err();
    assert_eq!(
        (e.kind(), e.http_status(), e.api_code()),
        (ErrorKind::Api, Some(200), Some(6451000))
    );
    assert!(e.is_parameter_error());
    let e = c.subscribe("app", EventKind::Call, HOOK).unwrap_err();
    assert_eq!(
        (e.kind(), e.http_status(), e.api_code()),
        (ErrorKind::Api, Some(400), Some(6452001))
    );
    assert_eq!(e.api_message(), Some(""));
    let e = c.subscribe("app", EventKind::Call, HOOK).unwrap_err();
    assert!(e.is_invalid_token());
}

/// An unexpected response: kind, status, and the start of the body in the message.
fn expect_unexpected(reply: Scripted, status: u16, needle: &str) -> cinnox::Error {
    let mock = MockCinnox::with_script(vec![reply]);
    let e = client(&mock.url())
        .subscribe("app", EventKind::Call, HOOK)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedResponse, "{e}");
    assert_eq!(e.http_status(), Some(status), "{e}");
    assert_eq!(e.api_code(), None);
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("unexpected response: HTTP {status}")),
        "{shown}"
    );
    assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
    assert_eq!(mock.count(), 1);
    e
}

#[test]
fn replies_that_are_not_the_documented_json_are_unexpected_responses() {
    expect_unexpected(
        Scripted::raw(502, b""),
        502,
        "HTTP 502 Bad Gateway with an empty body",
    );
    expect_unexpected(
        Scripted::raw(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>\n")
            .header("Content-Type", "text/html"),
        502,
        r#"not a JSON object: "<html><body><h1>502 Bad Gateway</h1></body></html>\n""#,
    );
    expect_unexpected(
        Scripted::json(200, r#"{"code":0}"#),
        200,
        r#"without a "result" object or an error code: "{\"code\":0}""#,
    );
    expect_unexpected(
        Scripted::raw(200, b"garbage\x00\x1b[31m"),
        200,
        r#""garbage\0\u{1b}[31m""#,
    );
    expect_unexpected(Scripted::json(200, "[1,2]"), 200, "not a JSON object");
    expect_unexpected(
        Scripted::json(200, r#"{"code":0,"result":"ok"}"#),
        200,
        "\"result\" that is not an object",
    );
    expect_unexpected(
        Scripted::json(200, r#"{"code":0,"result":{"url":"u"}}"#),
        200,
        "\"result.enabled\" missing or not a boolean",
    );
    expect_unexpected(
        Scripted::json(200, r#"{"code":0,"result":{"enabled":true,"url":7}}"#),
        200,
        "\"result.url\" missing or not a string",
    );
    expect_unexpected(
        Scripted::json(500, r#"{"code":0}"#),
        500,
        "without an error code",
    );
    expect_unexpected(
        Scripted::raw(302, b"").header("Location", "https://elsewhere.example/"),
        302,
        "empty body",
    );
    expect_unexpected(
        Scripted::raw(200, b"\xff\xfe not utf-8"),
        200,
        "\"\u{fffd}\u{fffd} not utf-8\"",
    );
}

#[test]
fn a_long_or_huge_body_is_quoted_only_in_part() {
    let long = format!("<html>{}</html>", "y".repeat(5000));
    let e = expect_unexpected(Scripted::raw(503, long.as_bytes()), 503, "\"<html>yyyy");
    assert!(e.to_string().len() < 300, "{}", e.to_string().len());
    assert!(e.to_string().ends_with('…'));

    let huge = vec![b'{'; 2 << 20];
    let e = expect_unexpected(Scripted::raw(200, &huge), 200, "larger than 1 MiB");
    assert!(e.to_string().len() < 300);
}

#[test]
fn a_connection_closed_mid_reply_is_a_transport_error() {
    for partial in [
        &b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\":0,\"res"[..],
        &b"HTTP/1.1 200 OK\r\nContent-Le"[..],
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"code\":0,"[..],
        &b""[..],
    ] {
        let (url, served) = client::half_reply_server(partial, 1);
        let e = client(&url)
            .subscribe("app", EventKind::Call, HOOK)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert_eq!(e.http_status(), None);
        assert!(e.to_string().starts_with(&format!("transport error: {url}: ")), "{e}");
        client::expect_connections(&served, 1);
    }
}

#[test]
fn a_server_that_never_answers_times_out() {
    let (url, accepted) = client::silent_server();
    let c = builder(&url)
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c.subscribe("app", EventKind::Call, HOOK).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.http_status(), None);
    assert_eq!(
        e.to_string(),
        format!("timed out: {url}: no complete reply within the timeout (200ms)")
    );
    assert!(took >= Duration::from_millis(190), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    client::expect_connections(&accepted, 1);
}

#[test]
fn a_reply_that_stalls_mid_body_times_out() {
    let (url, accepted) = client::stalling_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n{\"code\":0,",
    );
    let c = builder(&url)
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.subscribe("app", EventKind::Call, HOOK).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("within the timeout (200ms)"), "{e}");
    client::expect_connections(&accepted, 1);
}

#[test]
fn a_tls_failure_is_a_transport_error_and_not_retried() {
    let (url, served) = client::plaintext_server();
    let c = builder(&url)
        .timeout(Duration::from_secs(2))
        .retry(
            RetryPolicy::builder()
                .max_attempts(3)
                .base_delay(Duration::from_millis(1))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let e = c.subscribe("app", EventKind::Call, HOOK).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.http_status(), None);
    // A retry would have been counted before the client saw its failure.
    client::expect_connections(&served, 1);
}

#[test]
fn a_refused_connection_is_a_transport_error() {
    let url = client::dead_url();
    let e = client(&url)
        .subscribe("app", EventKind::Call, HOOK)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.to_string().contains("connection refused"), "{e}");
    assert!(std::error::Error::source(&e).is_some());
}

// ---- secrets ----

#[test]
fn the_webhook_path_secret_never_shows_in_debug_or_errors() {
    // The path (and a query, and userinfo) of a webhook URL is where its secret lives.
    let mock = MockCinnox::start();
    let secret_hook = "https://me.example/cinnox/P4th-S3cret?k=Qu3ry-S3cret";
    let c = client(&mock.url());
    let sub = c.subscribe("app", EventKind::Call, secret_hook).unwrap();
    assert_eq!(sub.url, secret_hook);
    for shown in [format!("{sub:?}"), format!("{sub:#?}")] {
        assert!(shown.contains("https://me.example/…"), "{shown}");
        assert!(!shown.contains("S3cret"), "{shown}");
    }
    // A URL refused before sending is named without its path either.
    for bad in [
        "htps://me.example/cinnox/P4th-S3cret",
        "https://me example/cinnox/P4th-S3cret",
        "https://us3r:Pa55-S3cret@/cinnox/P4th-S3cret",
    ] {
        let e = c.subscribe("app", EventKind::Call, bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(shown.contains("the webhook URL"), "{shown}");
            assert!(!shown.contains("S3cret"), "{shown}");
        }
    }
}

#[test]
fn the_token_never_shows_in_debug_or_errors() {
    let mock = MockCinnox::start();
    let c = builder(&mock.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let shown = format!("{c:?}");
    assert!(shown.contains(&mock.url()), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!format!("{:?}", builder(&mock.url())).contains(TOKEN));
    assert!(!format!("{:#?}", c).contains(TOKEN));

    // Servers that echo the token back, in an error message or a page.
    mock.push(Scripted::api_error(
        401,
        6452000,
        &format!("invalid token {TOKEN}"),
    ));
    mock.push(Scripted::raw(
        502,
        format!("<p>Authorization: Bearer {TOKEN}</p>").as_bytes(),
    ));
    mock.push(Scripted::json(
        200,
        &format!(r#"{{"code":0,"echo":"{TOKEN}"}}"#),
    ));
    let mut errors = Vec::new();
    for _ in 0..3 {
        errors.push(c.subscribe("app", EventKind::Call, HOOK).unwrap_err());
    }
    assert_eq!(errors[0].api_message(), Some("invalid token [redacted]"));
    errors.push(c.subscribe("", EventKind::Call, HOOK).unwrap_err());
    errors.push(
        client(&client::dead_url())
            .subscribe("a", EventKind::Call, HOOK)
            .unwrap_err(),
    );
    let (url, _accepted) = client::silent_server();
    let slow = builder(&url)
        .timeout(Duration::from_millis(100))
        .retry(RetryPolicy::none());
    errors.push(
        slow.build()
            .unwrap()
            .subscribe("a", EventKind::Call, HOOK)
            .unwrap_err(),
    );
    for e in &errors {
        for shown in [e.to_string(), format!("{e:?}"), e.message().to_owned()] {
            assert!(!shown.contains(TOKEN), "{shown}");
        }
        assert!(!e.api_message().unwrap_or("").contains(TOKEN));
    }
    assert_eq!(errors[1].http_status(), Some(502));
    assert!(
        errors[1].to_string().contains("Bearer [redacted]"),
        "{}",
        errors[1]
    );
}

#[test]
fn the_webhook_path_and_a_percent_encoded_token_never_show_in_errors() {
    let mock = MockCinnox::start();
    let c = builder(&mock.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let hook = "https://rx.example/cinnox/p4th-s3cr3t?k=v4lue";
    let encoded_token =
        percent_encoding::utf8_percent_encode(TOKEN, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    // What servers quote back: a 6451000 message naming the URL, a proxy's HTML page
    // quoting the request body, a malformed 200 echoing the URL JSON-escaped, a token
    // percent-encoded (upper- and lower-case hex), a URL percent-encoded in a query string.
    mock.push(Scripted::api_error(
        400,
        6451000,
        &format!("url {hook} failed verification"),
    ));
    mock.push(Scripted::raw(
        502,
        format!(r#"<pre>{{"enabled":true,"url":"{hook}"}}</pre>"#).as_bytes(),
    ));
    mock.push(Scripted::json(
        200,
        &format!(r#"{{"code":0,"echo":"{}"}}"#, hook.replace('/', "\\/")),
    ));
    mock.push(Scripted::api_error(
        400,
        6452000,
        &format!(
            "token {encoded_token} / {} refused",
            encoded_token
                .replace("%2D", "%2d")
                .replace("%2E", "%2e")
                .replace("%5F", "%5f")
        ),
    ));
    mock.push(Scripted::raw(
        503,
        format!(
            "<a href=\"/retry?u={}\">retry</a>",
            percent_encoding::utf8_percent_encode(hook, percent_encoding::NON_ALPHANUMERIC)
        )
        .as_bytes(),
    ));
    for i in 0..5 {
        let e = c.subscribe("app", EventKind::Call, hook).unwrap_err();
        let api_message = e.api_message().unwrap_or("").to_owned();
        for shown in [
            e.to_string(),
            format!("{e:?}"),
            e.message().to_owned(),
            api_message,
        ] {
            for secret in ["p4th-s3cr3t", "v4lue", TOKEN, &encoded_token] {
                assert!(
                    !shown.contains(secret),
                    "reply {i} leaks {secret:?}: {shown}"
                );
            }
            assert!(!shown.contains("s3cr3t%2"), "reply {i}: {shown}");
        }
        assert!(e.to_string().contains("[redacted]"), "reply {i}: {e}");
    }
}
