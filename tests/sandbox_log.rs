//! The sandbox's log (`Sandbox::take_log`): every subscription change, refusal and
//! delivery in the order it happened, with its time; and the control endpoint that
//! delivers a whole notification given as the body.

#[path = "common/sandbox.rs"]
mod sandbox;

use std::time::Duration;

use cinnox::sandbox::{CallNotification, LogEntry, LogEvent, SandboxConfig, SandboxConfigBuilder};
use cinnox::{EventKind, Sandbox};
use sandbox::*;

const CALL: &str = "call-event-sub";

fn start(config: SandboxConfigBuilder) -> Sandbox {
    Sandbox::start(
        config
            .app("app-1", "token-1")
            .app("app-2", "token-2")
            .redelivery(Vec::new())
            .verify_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// The lines without their timestamps, after checking that the timestamps are RFC 3339 in
/// UTC with milliseconds and never go back.
fn lines(log: &[LogEntry]) -> Vec<String> {
    let mut last = String::new();
    log.iter()
        .map(|e| {
            let line = e.to_string();
            let (at, rest) = line.split_once(' ').unwrap();
            assert_eq!(at, e.at);
            let shape: String = at
                .chars()
                .map(|c| if c.is_ascii_digit() { 'd' } else { c })
                .collect();
            assert_eq!(shape, "dddd-dd-ddTdd:dd:dd.dddZ", "{line}");
            assert!(at >= last.as_str(), "{at} after {last}");
            last = at.to_owned();
            rest.to_owned()
        })
        .collect()
}

#[test]
fn the_log_has_changes_refusals_and_deliveries_in_order() {
    // Five requests past authentication (the refusals before it do not count), then 429.
    let sb = start(SandboxConfig::builder().rate_limit(5, Duration::from_secs(3600)));
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    let not_json = StandIn::start(|_| Reply::With(200, "ok".to_owned()));
    let url = hook.url("/cinnox/s3cret");
    let base = sb.base_url();
    assert_eq!(
        patch(base, "app-1", CALL, "token-1", true, &url).status,
        200
    );
    assert_eq!(sb.trigger(&CallNotification::start().build()).len(), 1);
    // Unsubscribed right after the delivery: the log keeps that order.
    assert_eq!(
        patch(base, "app-1", CALL, "token-1", false, &url).status,
        200
    );
    // Every kind of refusal of a subscription request.
    let refusals = [
        request(
            base,
            "PATCH",
            "/v1/api/apps/app-1/call-event-sub",
            None,
            Some("application/json"),
            "{}",
        ),
        patch(base, "app-1", CALL, "no-such-token", true, &url),
        patch(base, "no-app", CALL, "token-1", true, &url),
        patch(base, "app-1", CALL, "token-2", true, &url),
        patch(base, "app-1", CALL, "token-1", true, "not a url"),
        patch(base, "app-1", CALL, "token-1", true, &refused_url()),
        patch(base, "app-1", CALL, "token-1", true, &not_json.url("/x")),
    ];
    assert!(refusals.iter().all(|a| a.status == 400), "{refusals:?}");
    // The sixth request of app-1 past authentication within the hour.
    assert_eq!(
        patch(base, "app-1", CALL, "token-1", true, &url).status,
        429
    );
    let log = sb.take_log();
    let got = lines(&log);
    let hook_at = format!("http://{}/…", hook.addr);
    assert!(
        got[0].starts_with(&format!(
            "subscribed   app app-1 call at {hook_at} (updatedAt 20"
        )),
        "{got:?}"
    );
    let refused_port = match &log[8].event {
        LogEvent::Refused { reason, .. } => reason.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        got[1..],
        [
            "delivery     app app-1 call delivered after 1 attempt(s) (HTTP 200)".to_owned(),
            "unsubscribed app app-1 call".to_owned(),
            "refused      app app-1 call: invalid token (no Authorization: Bearer header) (code 6452000)".to_owned(),
            "refused      app app-1 call: invalid token (the token of no configured app) (code 6452000)".to_owned(),
            "refused      app no-app call: invalid appID (no such app is configured) (code 6452001)".to_owned(),
            "refused      app app-1 call: invalid token (the token of another app) (code 6452000)".to_owned(),
            "refused      app app-1 call: url must be an absolute http or https URL (code 6451000)".to_owned(),
            format!("refused      app app-1 call: {refused_port} (code 6451000)"),
            "refused      app app-1 call: webhook URL verification failed: the receiver answered HTTP 200 but the body is not JSON; body: \"ok\" (code 6451000)".to_owned(),
            "refused      app app-1 call: too many requests (over 5 in 3600s; Retry-After 3600) (code 6451010)".to_owned(),
        ],
        "{got:#?}"
    );
    assert!(
        refused_port.starts_with(
            "webhook URL verification failed: the receiver could not be reached: connection refused"
        ),
        "{refused_port}"
    );
    // Typed as well as printed; taken once.
    assert!(matches!(
        &log[1].event,
        LogEvent::Delivery(d) if d.app_id == "app-1" && d.kind == EventKind::Call && d.delivered()
    ));
    assert!(sb.take_log().is_empty());
    // Neither the line nor Debug shows the webhook path; no line shows a token.
    let all = format!("{got:?}{log:?}");
    assert!(!all.contains("s3cret") && !all.contains("token-"), "{all}");
}

#[test]
fn deliver_sends_the_body_as_it_is_to_the_family() {
    let sb = start(SandboxConfig::builder());
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    let base = sb.base_url();
    for app in ["app-1", "app-2"] {
        let token = if app == "app-1" { "token-1" } else { "token-2" };
        assert_eq!(
            patch(
                base,
                app,
                "label-event-sub",
                token,
                true,
                &hook.url(&format!("/{app}"))
            )
            .status,
            200
        );
        assert!(hook.next().challenge().is_some());
    }
    // A family no builder makes, a body no builder makes: both apps, byte for byte.
    let body =
        "{ \"type\" : \"message\",\n  \"message\": {\"id\": \"m-1\", \"extra\": [1, 2.50]} }";
    let a = request(base, "POST", "/_sandbox/deliver/label", None, None, body);
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(
        a.json(),
        serde_json::json!({"code": 0, "result": {"deliveries": [
            {"app_id": "app-1", "delivered": true, "statuses": [200]},
            {"app_id": "app-2", "delivered": true, "statuses": [200]},
        ]}})
    );
    for app in ["/app-1", "/app-2"] {
        let got = hook.next();
        assert_eq!((got.method.as_str(), got.path.as_str()), ("POST", app));
        assert_eq!(got.body, body.as_bytes());
        assert_eq!(got.header("Content-Type"), Some("application/json"));
    }
    // By slug, to one app.
    let a = request(
        base,
        "POST",
        "/_sandbox/deliver/label-event-sub?app=app-2",
        None,
        None,
        "{}",
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["result"]["deliveries"][0]["app_id"], "app-2");
    assert_eq!(hook.next().path, "/app-2");
    // Nothing subscribed: no deliveries.
    let a = request(
        base,
        "POST",
        "/_sandbox/deliver/recording",
        None,
        None,
        "{}",
    );
    assert_eq!(
        a.json(),
        serde_json::json!({"code": 0, "result": {"deliveries": []}})
    );
    hook.assert_nothing_more();

    assert_error(
        &request(
            base,
            "POST",
            "/_sandbox/deliver/label",
            None,
            None,
            "{not json",
        ),
        400,
        6451000,
        "the notification body is not JSON: key must be a string at line 1 column 2",
    );
    assert_error(
        &request(
            base,
            "POST",
            "/_sandbox/deliver/label?variant=callees-as-array",
            None,
            None,
            "{}",
        ),
        400,
        6451000,
        "unknown parameter \"variant\"",
    );
    assert_error(
        &request(base, "GET", "/_sandbox/deliver/label", None, None, ""),
        400,
        6450001,
        "method: GET url: /_sandbox/deliver/label",
    );
    for unknown in ["sms", "nothing-event-sub", ""] {
        assert_error(
            &request(
                base,
                "POST",
                &format!("/_sandbox/deliver/{unknown}"),
                None,
                None,
                "{}",
            ),
            404,
            6450001,
            "unknown family (call, inbound-sms, outbound-sms, inquiry, recording, \
             external-contact, staff-contact, label, inquiry-label, or a slug)",
        );
    }
    hook.assert_nothing_more();
}

#[test]
fn a_tls_client_gets_a_plain_http_refusal() {
    // A ClientHello on the sandbox's plain port is answered in plain HTTP before the
    // connection closes, so that a TLS client can say what went wrong.
    use std::io::{Read, Write};
    let sb = start(SandboxConfig::builder());
    let mut conn = std::net::TcpStream::connect(sb.local_addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00])
        .unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer:?}"
    );
    assert!(
        answer.ends_with("\r\n\r\n{\"code\":6451000,\"message\":\"malformed request head\"}"),
        "{answer:?}"
    );
}
