//! The verification handshake: every way a receiver can get it wrong fails the PATCH with
//! 6451000 and says what the receiver answered; the right answer in any JSON spelling passes.

#[path = "common/sandbox.rs"]
mod sandbox;

use std::time::Duration;

use cinnox::sandbox::SandboxConfig;
use cinnox::Sandbox;
use sandbox::*;

/// A verify timeout no answering stand-in reaches, even on a loaded machine.
const PATIENT: Duration = Duration::from_secs(5);

fn start() -> Sandbox {
    start_with(PATIENT)
}

fn start_with(verify_timeout: Duration) -> Sandbox {
    Sandbox::start(
        SandboxConfig::builder()
            .app("app-1", "token-1")
            .verify_timeout(verify_timeout)
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// Subscribe a stand-in answering challenges with `reply(challenge)` and return the
/// PATCH's answer.
fn subscribe_with(reply: impl Fn(&str) -> Reply + Send + 'static) -> (Sandbox, Answer) {
    subscribe_on(start(), reply)
}

/// [`subscribe_with`] on a given sandbox.
fn subscribe_on(sb: Sandbox, reply: impl Fn(&str) -> Reply + Send + 'static) -> (Sandbox, Answer) {
    let hook = StandIn::start(move |g| reply(&g.challenge().expect("a challenge")));
    let a = patch(
        sb.base_url(),
        "app-1",
        "call-event-sub",
        "token-1",
        true,
        &hook.url("/cinnox/s3cr3t"),
    );
    assert!(hook.next().challenge().is_some());
    (sb, a)
}

/// The PATCH failed with 6451000 and exactly this message; nothing was subscribed and the
/// secret path is not quoted.
#[track_caller]
fn assert_refused(sb: &Sandbox, a: &Answer, message: &str) {
    assert_error(
        a,
        400,
        6_451_000,
        &format!("webhook URL verification failed: {message}"),
    );
    assert!(!a.body.contains("s3cr3t"), "{}", a.body);
    assert!(sb.subscriptions().is_empty());
}

#[test]
fn the_documented_reply_passes_in_any_json_spelling() {
    let (sb, a) = subscribe_with(echo);
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(sb.subscriptions().len(), 1);

    // Whitespace, member order, escapes and extra members do not matter.
    let (sb, a) = subscribe_with(|c| {
        let escaped: String = c
            .chars()
            .map(|ch| format!("\\u{:04x}", ch as u32))
            .collect();
        Reply::With(
            200,
            format!("\n{{ \"result\" : {{ \"challenge\" : \"{escaped}\", \"x\": 1 }} ,\n \"code\" : 0 }}"),
        )
    });
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(sb.subscriptions().len(), 1);
}

#[test]
fn wrong_echo() {
    let (sb, a) =
        subscribe_with(|_| Reply::With(200, r#"{"code":0,"result":{"challenge":"abc"}}"#.into()));
    assert_refused(
        &sb,
        &a,
        r#"the receiver answered HTTP 200 but it echoed a different challenge; body: "{\"code\":0,\"result\":{\"challenge\":\"abc\"}}""#,
    );
}

#[test]
fn wrong_json_shapes() {
    // The bare challenge object, as some receivers answer.
    let (sb, a) = subscribe_with(|c| Reply::With(200, format!(r#"{{"challenge":"{c}"}}"#)));
    let m = a.json()["message"].as_str().unwrap().to_owned();
    assert!(
        m.starts_with(r#"webhook URL verification failed: the receiver answered HTTP 200 but "code" is missing; body: "{\"challenge\":\""#),
        "{m}"
    );
    assert_eq!(a.json()["code"], 6_451_000);
    assert!(sb.subscriptions().is_empty());

    // `result` as a string holding JSON (a double encoding).
    let (sb, a) = subscribe_with(|c| {
        let inner = serde_json::json!({ "challenge": c }).to_string();
        Reply::With(
            200,
            serde_json::json!({ "code": 0, "result": inner }).to_string(),
        )
    });
    let m = a.json()["message"].as_str().unwrap().to_owned();
    assert!(
        m.starts_with(r#"webhook URL verification failed: the receiver answered HTTP 200 but "result" is a string; it must be the object {"challenge":…} itself; body: "#),
        "{m}"
    );
    assert!(sb.subscriptions().is_empty());

    // A non-zero code.
    let (sb, a) = subscribe_with(|c| {
        Reply::With(
            200,
            serde_json::json!({ "code": 1, "result": { "challenge": c } }).to_string(),
        )
    });
    let m = a.json()["message"].as_str().unwrap().to_owned();
    assert!(m.contains(r#"but "code" is not 0; body: "#), "{m}");
    assert!(sb.subscriptions().is_empty());

    // The challenge as plain text.
    let (sb, a) = subscribe_with(|_| Reply::With(200, "ok".into()));
    assert_refused(
        &sb,
        &a,
        r#"the receiver answered HTTP 200 but the body is not JSON; body: "ok""#,
    );

    // An empty 200.
    let (sb, a) = subscribe_with(|_| Reply::With(200, String::new()));
    assert_refused(
        &sb,
        &a,
        "the receiver answered HTTP 200 but the body is not JSON; empty body",
    );
}

#[test]
fn non_200_statuses() {
    // Even a correct body is refused with another status (201, 204 and 3xx included).
    for status in [201u16, 204, 302, 404, 500] {
        let (sb, a) = subscribe_with(move |c| match echo(c) {
            Reply::With(_, body) if status != 204 => Reply::With(status, body),
            _ => Reply::With(status, String::new()),
        });
        let m = a.json()["message"].as_str().unwrap().to_owned();
        assert!(
            m.starts_with(&format!(
                "webhook URL verification failed: the receiver answered HTTP {status} (expected 200)"
            )),
            "{m}"
        );
        assert_eq!(a.status, 400);
        assert!(sb.subscriptions().is_empty());
    }
    let (sb, a) = subscribe_with(|_| Reply::With(404, "Not Found".into()));
    assert_refused(
        &sb,
        &a,
        r#"the receiver answered HTTP 404 (expected 200); body: "Not Found""#,
    );
}

#[test]
fn timeout() {
    let (sb, a) = subscribe_on(start_with(Duration::from_millis(300)), |_| Reply::Hang);
    assert_refused(&sb, &a, "the receiver did not answer within 300 ms");
}

#[test]
fn connection_closed_without_an_answer() {
    let (sb, a) = subscribe_with(|_| Reply::Close);
    let m = a.json()["message"].as_str().unwrap().to_owned();
    assert!(
        m.starts_with("webhook URL verification failed: the receiver could not be reached: the connection was closed without an answer"),
        "{m}"
    );
    assert!(sb.subscriptions().is_empty());
}

#[test]
fn connection_refused() {
    let sb = start();
    let a = patch(
        sb.base_url(),
        "app-1",
        "call-event-sub",
        "token-1",
        true,
        &refused_url(),
    );
    let m = a.json()["message"].as_str().unwrap().to_owned();
    assert_eq!(a.json()["code"], 6_451_000);
    assert!(
        m.starts_with("webhook URL verification failed: the receiver could not be reached: connection refused"),
        "{m}"
    );
    assert!(sb.subscriptions().is_empty());
}

#[test]
fn a_failed_verification_keeps_the_previous_subscription() {
    let sb = start();
    let good = StandIn::start(|g| echo(&g.challenge().unwrap()));
    let bad = StandIn::start(|_| Reply::With(500, String::new()));
    let b = sb.base_url();
    assert_eq!(
        patch(
            b,
            "app-1",
            "call-event-sub",
            "token-1",
            true,
            &good.url("/g")
        )
        .status,
        200
    );
    assert_eq!(
        patch(
            b,
            "app-1",
            "call-event-sub",
            "token-1",
            true,
            &bad.url("/b")
        )
        .status,
        400
    );
    let subs = sb.subscriptions();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].url, good.url("/g"));
}

#[test]
fn an_endless_answer_is_cut_and_named() {
    let (sb, a) = subscribe_with(|c| {
        let pad = " ".repeat(70_000);
        Reply::With(
            200,
            format!(r#"{{"code":0,{pad}"result":{{"challenge":"{c}"}}}}"#),
        )
    });
    assert_refused(
        &sb,
        &a,
        r#"the receiver answered HTTP 200 but the body is not JSON; body: "(more than 64 KiB)""#,
    );
}
