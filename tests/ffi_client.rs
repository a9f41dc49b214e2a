//! The client C API, driven by a C program against a mock CINNOX on 127.0.0.1.

#[path = "common/client.rs"]
mod client;
#[path = "common/ffi.rs"]
mod ffi;

use client::{MockCinnox, Scripted};

fn script() -> Vec<Scripted> {
    vec![
        Scripted::success(
            true,
            "http://127.0.0.1:9/hook",
            Some("2022-11-07T00:00:00.000Z"),
        ),
        Scripted::success(false, "http://127.0.0.1:9/hook", None),
        Scripted::api_error(400, 6_452_000, "invalid token"),
        Scripted::raw(502, b"<html><body>Bad Gateway</body></html>"),
    ]
}

fn check(stdout: &str, mock: &MockCinnox) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "subscribe: enabled=1 url=http://127.0.0.1:9/hook updated_at=2022-11-07T00:00:00.000Z error=\"\""
    );
    assert_eq!(
        lines[1],
        "unsubscribe: enabled=0 url=http://127.0.0.1:9/hook updated_at=(null)"
    );
    assert!(
        lines[2].starts_with("api error: CINNOX_ERR_API http=400 api=6452000 msg="),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains("invalid token"), "{}", lines[2]);
    assert_eq!(lines[3], "out untouched: 1");
    assert!(
        lines[4].starts_with("proxy page: CINNOX_ERR_UNEXPECTED_RESPONSE http=502 api=0 msg="),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "secret leaked: 0");
    assert!(
        lines[6].starts_with("bad kind: CINNOX_ERR_INVALID_ARGUMENT http=0 api=0 msg="),
        "{}",
        lines[6]
    );
    assert!(lines[6].contains("42"), "{}", lines[6]);
    assert_eq!(lines[7], "bad url: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(lines[8], "zero attempts: CINNOX_ERR_INVALID_ARGUMENT");

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 4, "the rejected calls sent nothing");
    assert_eq!(reqs[0].method, "PATCH");
    assert_eq!(reqs[0].path, "/v1/api/apps/app-1/call-event-sub");
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer secret-token-123")
    );
    assert_eq!(reqs[0].header("user-agent"), Some("client-test/1"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(reqs[0].body_text()).unwrap(),
        serde_json::json!({"enabled": true, "url": "http://127.0.0.1:9/hook"})
    );
    assert_eq!(reqs[1].path, "/v1/api/apps/app-1/inbound-sms-event-sub");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(reqs[1].body_text()).unwrap(),
        serde_json::json!({"enabled": false, "url": "http://127.0.0.1:9/hook"})
    );
    assert_eq!(reqs[2].path, "/v1/api/apps/app-1/outbound-sms-event-sub");
    assert_eq!(reqs[3].path, "/v1/api/apps/app-1/fax-event-sub");
}

#[test]
fn c_program_subscribes_and_reads_errors() {
    let dir = ffi::build_dir("client");
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/client_test.c").as_path()],
        &dir.join("client_test"),
    );
    let mock = MockCinnox::with_script(script());
    let out = ffi::run(&exe, &[&mock.url()], &[]).success();
    check(&out, &mock);
}

#[test]
fn c_program_subscribes_under_valgrind() {
    let dir = ffi::build_dir("client_vg");
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/client_test.c").as_path()],
        &dir.join("client_test"),
    );
    let mock = MockCinnox::with_script(script());
    let run = ffi::run_valgrind(&exe, &[&mock.url()], &[]);
    let out = run.success();
    check(&out, &mock);
}

#[test]
fn c_threads_share_one_client() {
    let dir = ffi::build_dir("client_threads");
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/client_threads.c").as_path()],
        &dir.join("client_threads"),
    );
    // Thread t, call i subscribes family 1 + (t + i) % 9: t + i spans 0..=7, so 8 families.
    assert_eq!(
        ffi::run(&exe, &[], &[]).success(),
        "failures=0 subscriptions=8\n"
    );
    let run = ffi::run_valgrind(&exe, &[], &[]);
    assert_eq!(run.success(), "failures=0 subscriptions=8\n");
}
