//! Retries of the subscription client: which failures are retried, how often, and how long
//! the client waits (bounds checked on the pure delay function, not by sleeping).

#[path = "common/client.rs"]
mod client;

use std::time::{Duration, Instant};

use cinnox::{Client, ErrorKind, EventKind, RetryPolicy};
use client::{MockCinnox, Scripted};

const TOKEN: &str = "retry-token";
const HOOK: &str = "https://me.example/hook";

/// Retries with ~1 ms delays, so tests run fast.
fn fast(max_attempts: u32) -> RetryPolicy {
    fast_builder(max_attempts).build().unwrap()
}

fn fast_builder(max_attempts: u32) -> cinnox::RetryPolicyBuilder {
    RetryPolicy::builder()
        .max_attempts(max_attempts)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(4))
        .max_elapsed(Duration::from_secs(10))
}

fn client(base: &str, policy: RetryPolicy) -> Client {
    Client::builder(base, TOKEN)
        .proxy_from_env(false)
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .retry(policy)
        .build()
        .unwrap()
}

fn call(c: &Client) -> cinnox::Result<cinnox::Subscription> {
    c.subscribe("app", EventKind::Call, HOOK)
}

#[test]
fn transient_statuses_then_success() {
    let mock = MockCinnox::with_script(vec![
        Scripted::raw(503, b""),
        Scripted::raw(503, b"<html>busy</html>"),
    ]);
    let sub = call(&client(&mock.url(), fast(4))).unwrap();
    assert!(sub.enabled);
    assert_eq!(mock.count(), 3);
    // Every attempt is the same request.
    let reqs = mock.requests();
    for r in &reqs {
        assert_eq!(r.path, "/v1/api/apps/app/call-event-sub");
        assert_eq!(r.body, reqs[0].body);
    }
}

#[test]
fn each_retryable_status_and_the_rate_limit_code_are_retried() {
    let mock = MockCinnox::with_script(vec![
        Scripted::raw(429, b""),
        Scripted::raw(502, b"bad gateway"),
        Scripted::raw(504, b""),
        Scripted::api_error(400, 6451010, "Too many requests"),
        Scripted::api_error(503, 6451001, "bad response"),
    ]);
    let sub = call(&client(&mock.url(), fast(6))).unwrap();
    assert!(sub.enabled);
    assert_eq!(mock.count(), 6);
}

#[test]
fn auth_parameter_and_other_errors_are_never_retried() {
    for reply in [
        Scripted::api_error(400, 6452000, "invalid token"),
        Scripted::api_error(401, 6452000, "invalid token"),
        Scripted::api_error(400, 6452001, "invalid appID"),
        Scripted::api_error(400, 6451000, "parameter error"),
        // Even with a status that is otherwise retried.
        Scripted::api_error(503, 6452000, "invalid token"),
        Scripted::api_error(429, 6451000, "parameter error"),
        Scripted::api_error(500, 6451001, "bad response"),
        Scripted::api_error(404, 6450001, "method not found"),
        Scripted::raw(500, b"oops"),
        Scripted::raw(400, b""),
        Scripted::json(200, r#"{"code":0}"#),
    ] {
        let status = reply.status;
        let mock = MockCinnox::with_script(vec![reply]);
        let e = call(&client(&mock.url(), fast(5))).unwrap_err();
        assert_eq!(e.http_status(), Some(status));
        assert_eq!(mock.count(), 1, "{e}");
        assert!(!e.to_string().contains("gave up"), "{e}");
    }
}

#[test]
fn max_attempts_is_respected_and_the_last_error_is_returned() {
    let mock = MockCinnox::with_script(vec![Scripted::raw(503, b"busy"); 10]);
    let e = call(&client(&mock.url(), fast(3))).unwrap_err();
    assert_eq!(mock.count(), 3);
    assert_eq!(e.kind(), ErrorKind::UnexpectedResponse);
    assert_eq!(e.http_status(), Some(503));
    assert!(e.to_string().ends_with("(gave up after 3 attempts)"), "{e}");

    let mock = MockCinnox::with_script(vec![
        Scripted::api_error(429, 6451010, "Too many requests");
        10
    ]);
    let e = call(&client(&mock.url(), fast(2))).unwrap_err();
    assert_eq!(mock.count(), 2);
    assert_eq!((e.kind(), e.api_code()), (ErrorKind::Api, Some(6451010)));
    assert!(e.is_rate_limited());
}

#[test]
fn retry_policy_none_makes_one_attempt() {
    let mock = MockCinnox::with_script(vec![Scripted::raw(503, b""); 3]);
    let e = call(&client(&mock.url(), RetryPolicy::none())).unwrap_err();
    assert_eq!(mock.count(), 1);
    assert_eq!(e.http_status(), Some(503));
    assert_eq!(RetryPolicy::none().max_attempts(), 1);
}

#[test]
fn no_retry_starts_after_max_elapsed() {
    let mock = MockCinnox::with_script(vec![Scripted::raw(503, b""); 3]);
    let policy = fast_builder(5).max_elapsed(Duration::ZERO).build().unwrap();
    let e = call(&client(&mock.url(), policy)).unwrap_err();
    assert_eq!(mock.count(), 1);
    assert_eq!(e.http_status(), Some(503));
}

#[test]
fn retry_after_is_honoured_but_capped_by_max_delay() {
    // The server asks for an hour; max_delay caps the wait at 80 ms, which is far more than
    // the ~1 ms backoff would have waited: the pause proves Retry-After was read.
    let mock = MockCinnox::with_script(vec![Scripted::raw(429, b"").header("Retry-After", "3600")]);
    let policy = fast_builder(3)
        .max_delay(Duration::from_millis(80))
        .build()
        .unwrap();
    let started = Instant::now();
    call(&client(&mock.url(), policy)).unwrap();
    let took = started.elapsed();
    assert_eq!(mock.count(), 2);
    assert!(took >= Duration::from_millis(80), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn retry_after_that_would_pass_max_elapsed_stops_retrying() {
    let mock = MockCinnox::with_script(vec![Scripted::raw(503, b"").header("Retry-After", "60")]);
    let policy = fast_builder(3)
        .max_delay(Duration::from_secs(60))
        .max_elapsed(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = call(&client(&mock.url(), policy)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(mock.count(), 1);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
}

#[test]
fn the_error_carries_retry_after() {
    let mock = MockCinnox::with_script(vec![
        Scripted::api_error(429, 6451010, "Too many requests").header("Retry-After", "7"),
        Scripted::raw(503, b"").header("Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT"),
        Scripted::raw(503, b"").header("Retry-After", "soon"),
    ]);
    let c = client(&mock.url(), RetryPolicy::none());
    let e = call(&c).unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!((e.http_status(), e.api_code()), (Some(429), Some(6451010)));
    assert!(e.is_rate_limited());
    let e = call(&c).unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::ZERO));
    let e = call(&c).unwrap_err();
    assert_eq!(e.retry_after(), None);
}

#[test]
fn timeouts_are_retried() {
    let (url, accepted) = client::silent_server();
    let c = Client::builder(&url, TOKEN)
        .proxy_from_env(false)
        .timeout(Duration::from_millis(100))
        .retry(fast(2))
        .build()
        .unwrap();
    let e = call(&c).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().ends_with("(gave up after 2 attempts)"), "{e}");
    client::expect_connections(&accepted, 2);
}

#[test]
fn connections_closed_mid_reply_are_retried() {
    let (url, served) =
        client::half_reply_server(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{", 3);
    let e = call(&client(&url, fast(3))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    client::expect_connections(&served, 3);
}

#[test]
fn refused_connections_are_retried_then_reported() {
    let url = client::dead_url();
    let e = call(&client(&url, fast(3))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.to_string().contains("connection refused"), "{e}");
    assert!(e.to_string().ends_with("(gave up after 3 attempts)"), "{e}");
}

#[test]
fn delay_for_bounds() {
    let p = RetryPolicy::builder()
        .max_attempts(10)
        .base_delay(Duration::from_millis(200))
        .max_delay(Duration::from_secs(5))
        .max_elapsed(Duration::from_secs(30))
        .build()
        .unwrap();
    // Equal jitter: retry n waits within [d/2, d], d = min(base * 2^(n-1), max_delay).
    let expect = [200u64, 400, 800, 1600, 3200, 5000, 5000];
    for (i, full_ms) in expect.iter().enumerate() {
        let retry = i as u32 + 1;
        let full = Duration::from_millis(*full_ms);
        let mut seen_low = false;
        let mut seen_high = false;
        for r in (0..2000u64).map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15)) {
            let d = p.delay_for(retry, None, r);
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?}");
            seen_low |= d < full * 3 / 5;
            seen_high |= d > full * 9 / 10;
        }
        assert!(
            seen_low && seen_high,
            "jitter spreads over the range at retry {retry}"
        );
    }
    // Retry-After wins, capped by max_delay.
    assert_eq!(
        p.delay_for(1, Some(Duration::from_secs(2)), 99),
        Duration::from_secs(2)
    );
    assert_eq!(
        p.delay_for(1, Some(Duration::from_secs(3600)), 99),
        Duration::from_secs(5)
    );
}
