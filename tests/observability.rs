//! Logs and metrics: a full run's log lines carry no secret and no message content above
//! trace, the levels are as documented, and the metrics parse as Prometheus text with the
//! exact values of a known sequence of requests.

#[path = "common/receiver.rs"]
mod receiver;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use cinnox::sandbox::{
    CallNotification, DeliveryReportNotification, InboundSmsNotification, SandboxConfig,
};
use cinnox::{Client, EventKind, Inbox, RetryPolicy, Sandbox, WebhookConfig};
use receiver::Client as Http;

static LINES: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        LINES
            .lock()
            .unwrap()
            .push((r.level(), format!("{}: {}", r.target(), r.args())));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture;

fn capture() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Trace);
}

const TOKEN: &str = "0bs-T0KEN-9f8e7d";
const SECRET: &str = "p4th-8c7b6a";
const CONTENT: &str = "My PIN is 4711, call me";
const NUMBERS: [&str; 3] = ["85291112222", "85293334444", "85295556666"];

#[test]
fn no_log_line_above_trace_carries_a_secret_or_message_content() {
    capture();
    let dir = std::env::temp_dir().join(format!("cinnox-obs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let retry = cinnox::inbox::RetrySchedule::builder()
        .max_attempts(2)
        .first_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(10))
        .build()
        .unwrap();
    let config = cinnox::inbox::InboxConfig::builder()
        .retry(retry)
        .build()
        .unwrap();
    let inbox = Inbox::open_with(dir.join("inbox.db").to_str().unwrap(), &config).unwrap();

    let sandbox = Sandbox::start(
        SandboxConfig::builder()
            .app("obs-app", TOKEN)
            .redelivery(vec![Duration::from_millis(10)])
            .build()
            .unwrap(),
    )
    .unwrap();
    let path = format!("/cinnox/{SECRET}");
    let plain = receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::builder(&path)
            .max_body(2048)
            .build()
            .unwrap(),
        receiver::quick_config(),
    )
    .unwrap();
    let durable = receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::builder(&path)
            .allow_source("10.0.0.0/8")
            .build()
            .unwrap(),
        receiver::quick_config().inbox(inbox.clone()),
    )
    .unwrap();
    let url = format!("http://{}{path}", plain.local_addr());
    let client = Client::builder(sandbox.base_url(), TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    for kind in [
        EventKind::Call,
        EventKind::InboundSms,
        EventKind::OutboundSms,
    ] {
        client.subscribe("obs-app", kind, &url).unwrap();
    }
    // A wrong token, echoed back by nobody but tried.
    let bad = Client::builder(sandbox.base_url(), "wr0ng-T0KEN-1234")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    assert!(bad.subscribe("obs-app", EventKind::Call, &url).is_err());

    // The four notifications, with content and numbers; the handler fails the first SMS
    // once and panics on the first report once.
    let seen = Mutex::new(HashMap::<String, usize>::new());
    let handle = plain.shutdown_handle();
    std::thread::scope(|s| {
        s.spawn(|| {
            plain
                .serve(2, |event| {
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        let n = seen.entry(format!("{:?}", event.payload())).or_default();
                        *n += 1;
                        *n
                    };
                    match event.payload() {
                        cinnox::event::Payload::InboundSms(_) if n == 1 => Err("CRM down"),
                        cinnox::event::Payload::OutboundSms(_) if n == 1 => panic!("bug"),
                        _ => Ok(()),
                    }
                })
                .unwrap()
        });
        let call = CallNotification::start()
            .caller_number(format!("+{}", NUMBERS[0]))
            .callee_number(NUMBERS[1]);
        for n in [
            call.build(),
            CallNotification::end_of(&call).build(),
            InboundSmsNotification::new()
                .sender_number(NUMBERS[2])
                .content(CONTENT)
                .build(),
            DeliveryReportNotification::new()
                .recipient_number(NUMBERS[1])
                .build(),
        ] {
            let r = sandbox.trigger(&n);
            assert!(r[0].delivered(), "{r:?}");
        }
        handle.shutdown();
    });

    // Refusals of every kind, on the plain receiver's address (now shut) and the durable one.
    let addr = durable.local_addr();
    let mut http = Http::new(addr);
    let sms = format!(
        r#"{{"id":"s1","senderNumber":"{}","content":"{CONTENT}"}}"#,
        NUMBERS[2]
    );
    // 403: not from 10.0.0.0/8 (each refusal closes its connection).
    assert_eq!(http.post(&path, sms.as_bytes()).status, 403);
    // The durable receiver stores an event, which then dies in the inbox.
    let open = receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(&path).unwrap(),
        receiver::quick_config().inbox(inbox.clone()),
    )
    .unwrap();
    assert_eq!(
        Http::new(open.local_addr())
            .post("/wrong/path", sms.as_bytes())
            .status,
        404
    );
    let mut h2 = Http::new(open.local_addr());
    assert_eq!(h2.post(&path, sms.as_bytes()).status, 200);
    h2.send(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    assert_eq!(h2.response().status, 405);
    for _ in 0..2 {
        open.recv_timeout(Duration::from_secs(10))
            .unwrap()
            .fail_with(format!("refused by the CRM: {CONTENT}"));
    }
    assert_eq!(inbox.stats().unwrap().dead, 1);
    drop(open);
    drop(durable);

    let lines = LINES.lock().unwrap().clone();
    let text = |want: &str| lines.iter().any(|(_, l)| l.contains(want));
    for expected in [
        "receiver listening on",
        "answered a URL-verification challenge from 127.0.0.1",
        "handler failed for event",
        "handler panicked on event",
        "refused 404 (wrong path) from 127.0.0.1",
        "refused 403 (source not allowed) from 127.0.0.1",
        "refused 405 (not POST) from 127.0.0.1",
        "is dead after 2 attempts",
        "subscription change of call for app obs-app failed",
        "stopped",
    ] {
        assert!(text(expected), "no log line says {expected:?}:\n{lines:#?}");
    }
    let warn_or_worse: Vec<&String> = lines
        .iter()
        .filter(|(l, _)| *l <= log::Level::Warn)
        .map(|(_, t)| t)
        .collect();
    assert!(
        warn_or_worse.iter().any(|l| l.contains("panicked")),
        "{warn_or_worse:#?}"
    );
    // The library's own lines (target `cinnox…`). Its HTTP client, ureq, logs request
    // URLs at debug under its own target: the README says to filter `ureq` below debug.
    for (level, line) in lines.iter().filter(|(_, l)| l.starts_with("cinnox")) {
        if *level == log::Level::Trace {
            continue;
        }
        for secret in [TOKEN, "wr0ng-T0KEN-1234", SECRET, CONTENT, "4711"]
            .iter()
            .chain(NUMBERS.iter())
        {
            assert!(
                !line.contains(secret),
                "{level} line leaks {secret:?}: {line}"
            );
        }
    }
}

fn parse(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn value(scrape: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .unwrap_or_else(|| panic!("no {name} {label:?}"));
    match &sample.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => *v,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn metrics_parse_as_prometheus_text_with_exact_values() {
    capture();
    let rx = receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(receiver::PATH).unwrap(),
        receiver::quick_config(),
    )
    .unwrap();
    let mut http = Http::new(rx.local_addr());
    let ev = receiver::call_event("m1");
    // (Another test of this binary may have raised the level; this one reads no logs.)
    std::thread::scope(|s| {
        s.spawn(|| {
            let d = rx.recv().unwrap();
            d.ack();
        });
        assert_eq!(http.post(receiver::PATH, ev.as_bytes()).status, 200);
    });
    assert_eq!(http.post(receiver::PATH, ev.as_bytes()).status, 200); // duplicate
    assert_eq!(
        http.post(receiver::PATH, br#"{"challenge":"c"}"#).status,
        200
    );
    // Refusals close their connection: one each.
    assert_eq!(Http::new(rx.local_addr()).post("/nope", b"{}").status, 404);
    assert_eq!(
        Http::new(rx.local_addr())
            .post(receiver::PATH, b"[1,")
            .status,
        400
    );

    let text = rx.metrics();
    let scrape = parse(&text);
    let req = |o| {
        value(
            &scrape,
            "cinnox_webhook_requests_total",
            Some(("outcome", o)),
        )
    };
    assert_eq!(req("delivered"), 1.0);
    assert_eq!(req("duplicate"), 1.0);
    assert_eq!(req("challenge"), 1.0);
    assert_eq!(req("not_found"), 1.0);
    assert_eq!(req("bad_request"), 1.0);
    assert_eq!(req("forbidden"), 0.0);
    assert_eq!(
        value(&scrape, "cinnox_deliveries_total", Some(("answer", "ack"))),
        1.0
    );
    // Ours, and the two refused ones while they finish closing.
    let open = value(&scrape, "cinnox_connections_open", None);
    assert!((1.0..=3.0).contains(&open), "{open}");
    assert_eq!(value(&scrape, "cinnox_deliveries_in_flight", None), 0.0);
    assert_eq!(
        value(&scrape, "cinnox_connections_refused_total", None),
        0.0
    );
    assert!(text.contains("# TYPE cinnox_webhook_requests_total counter\n"));
    assert!(text.contains("# TYPE cinnox_handler_duration_seconds histogram\n"));
    assert!(
        text.contains("cinnox_handler_duration_seconds_count 0\n"),
        "{text}"
    );
    assert!(text.contains("# TYPE cinnox_connections_open gauge\n"));
    assert!(
        !text.contains("cinnox_inbox_pending"),
        "no inbox, no inbox gauges"
    );

    // serve records handler durations.
    let handle = rx.shutdown_handle();
    std::thread::scope(|s| {
        s.spawn(|| {
            rx.serve(1, |_| {
                handle.shutdown();
                Ok::<(), String>(())
            })
        });
        assert_eq!(
            http.post(receiver::PATH, receiver::call_event("m2").as_bytes())
                .status,
            200
        );
    });
    let scrape = parse(&rx.metrics());
    let hist = scrape
        .samples
        .iter()
        .find(|s| s.metric == "cinnox_handler_duration_seconds")
        .expect("histogram");
    match &hist.value {
        prometheus_parse::Value::Histogram(buckets) => {
            assert_eq!(buckets.last().map(|b| b.count), Some(1.0), "{buckets:?}")
        }
        other => panic!("{other:?}"),
    }

    // The inbox's gauges, alone and through a receiver that uses it.
    let dir = std::env::temp_dir().join(format!("cinnox-obs-m-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let inbox = Inbox::open(dir.join("i.db").to_str().unwrap()).unwrap();
    let durable = receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(receiver::PATH).unwrap(),
        receiver::quick_config().inbox(inbox.clone()),
    )
    .unwrap();
    let mut h = Http::new(durable.local_addr());
    for id in ["i1", "i2"] {
        let status = h
            .post(receiver::PATH, receiver::call_event(id).as_bytes())
            .status;
        assert_eq!(status, 200);
    }
    let held = durable.recv_timeout(Duration::from_secs(10)).unwrap();
    for text in [inbox.metrics().unwrap(), durable.metrics()] {
        let scrape = parse(&text);
        assert_eq!(value(&scrape, "cinnox_inbox_pending", None), 1.0);
        assert_eq!(value(&scrape, "cinnox_inbox_in_flight", None), 1.0);
        assert_eq!(value(&scrape, "cinnox_inbox_dead", None), 0.0);
        assert!(value(&scrape, "cinnox_inbox_oldest_pending_age_seconds", None) >= 0.0);
    }
    assert_eq!(
        value(
            &parse(&durable.metrics()),
            "cinnox_deliveries_in_flight",
            None
        ),
        1.0
    );
    held.ack();

    // The client's counters: one success, one API error.
    let sandbox = Sandbox::start(
        SandboxConfig::builder()
            .app("m-app", "m-token")
            .build()
            .unwrap(),
    )
    .unwrap();
    let url = format!("http://{}{}", durable.local_addr(), receiver::PATH);
    let client = Client::new(sandbox.base_url(), "m-token").unwrap();
    client.subscribe("m-app", EventKind::Call, &url).unwrap();
    assert!(client
        .subscribe("other-app", EventKind::Call, &url)
        .is_err());
    let scrape = parse(&client.metrics());
    let out = |o| {
        value(
            &scrape,
            "cinnox_subscribe_requests_total",
            Some(("outcome", o)),
        )
    };
    assert_eq!(out("ok"), 1.0);
    assert_eq!(out("api_error"), 1.0);
    assert_eq!(out("timeout"), 0.0);
    assert_eq!(value(&scrape, "cinnox_subscribe_retries_total", None), 0.0);
}

/// One raw request to `addr`; the whole answer (the server closes after it).
fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn metrics_are_served_on_their_own_address_and_never_on_the_webhook_port() {
    let rx = receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(receiver::PATH).unwrap(),
        receiver::quick_config().metrics_addr("127.0.0.1:0".parse().unwrap()),
    )
    .unwrap();
    let at = rx.metrics_addr().expect("a metrics address");
    assert_ne!(at.port(), rx.local_addr().port());
    assert_eq!(at.ip(), std::net::Ipv4Addr::LOCALHOST);

    // A peer that connects and says nothing does not keep the scraper out for long.
    let idle = std::net::TcpStream::connect(at).unwrap();

    let ev = receiver::call_event("scraped");
    std::thread::scope(|s| {
        s.spawn(|| rx.recv().unwrap().ack());
        assert_eq!(
            Http::new(rx.local_addr())
                .post(receiver::PATH, ev.as_bytes())
                .status,
            200
        );
    });
    let answer = raw(at, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"));
    let headers: Vec<&str> = lines.collect();
    assert!(
        headers.contains(&"Content-Type: text/plain; version=0.0.4; charset=utf-8"),
        "{headers:?}"
    );
    assert!(headers.contains(&"Connection: close"), "{headers:?}");
    assert!(
        headers.contains(&format!("Content-Length: {}", body.len()).as_str()),
        "{headers:?}"
    );
    let scrape = parse(body);
    assert_eq!(
        value(
            &scrape,
            "cinnox_webhook_requests_total",
            Some(("outcome", "delivered"))
        ),
        1.0
    );
    drop(idle);

    // HEAD: the same head, no body. Anything else: refused, exactly.
    let head = raw(at, b"HEAD /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "{head}");
    let wrong = raw(at, b"GET /metricsx HTTP/1.1\r\n\r\n");
    assert!(wrong.starts_with("HTTP/1.1 404 Not Found\r\n"), "{wrong}");
    let post = raw(at, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert!(
        post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{post}"
    );
    assert!(post.contains("\r\nAllow: GET, HEAD\r\n"), "{post}");
    let junk = raw(at, b"\x16\x03\x01 hello\r\n\r\n");
    assert!(junk.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{junk}");
    let huge = raw(at, &[b'a'; 16 * 1024]);
    assert!(
        huge.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{huge}"
    );

    // The webhook port has no metrics.
    let on_webhook = raw(
        rx.local_addr(),
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(on_webhook.starts_with("HTTP/1.1 404 "), "{on_webhook}");

    // Shut down: the port is closed.
    rx.shutdown();
    assert_eq!(rx.metrics_addr(), None);
    assert_eq!(
        std::net::TcpStream::connect(at).unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
}

#[test]
fn a_metrics_address_in_use_fails_the_start_with_an_io_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = receiver::bind_with(
        "127.0.0.1:0",
        WebhookConfig::new(receiver::PATH).unwrap(),
        receiver::quick_config().metrics_addr(taken.local_addr().unwrap()),
    )
    .unwrap_err();
    assert_eq!(err.kind(), cinnox::ErrorKind::Io);
    assert!(err.to_string().contains("metrics address"), "{err}");
}
