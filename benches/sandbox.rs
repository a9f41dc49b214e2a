//! What the sandbox adds to one delivery: `Sandbox::trigger` (one POST, its record, the
//! subscription lookup) against a bare ureq POST of the same body to the same receiver, in
//! the same run. The receiver is a bare tiny_http server answering 200 (and challenges).
//!
//! `cargo bench --bench sandbox`; the report is the ratio of the medians. The middle case
//! (a bare POST with the sandbox's agent settings: overall deadline, no redirects, a read
//! limit) tells the cost of those settings from the cost of the sandbox itself.

use std::sync::Arc;
use std::thread;

use cinnox::sandbox::{CallNotification, SandboxConfig};
use cinnox::{challenge_reply, parse, EventKind, Incoming, Sandbox};
use criterion::{criterion_group, criterion_main, Criterion};

/// A bare receiver on 127.0.0.1:0 answering every POST 200 (and challenges as documented).
fn bare_receiver() -> String {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
    let addr = server.server_addr().to_ip().expect("ip address");
    for _ in 0..2 {
        let server = server.clone();
        thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let mut body = Vec::new();
                let _ = request.as_reader().read_to_end(&mut body);
                let reply = match parse(&body) {
                    Ok(Incoming::Challenge(c)) => challenge_reply(&c),
                    _ => Vec::new(),
                };
                let _ = request.respond(tiny_http::Response::from_data(reply));
            }
        });
    }
    format!("http://{addr}/hook")
}

fn delivery(c: &mut Criterion) {
    let url = bare_receiver();
    let sandbox = Sandbox::start(
        SandboxConfig::builder()
            .app("bench", "token")
            .build()
            .unwrap(),
    )
    .expect("sandbox");
    let client = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .build(),
    );
    let subscribed = client
        .patch(format!(
            "{}/v1/api/apps/bench/call-event-sub",
            sandbox.base_url()
        ))
        .header("Authorization", "Bearer token")
        .header("Content-Type", "application/json")
        .send(format!(r#"{{"enabled":true,"url":"{url}"}}"#))
        .expect("subscribe");
    assert_eq!(subscribed.status(), 200);

    let n = CallNotification::start().build();
    let mut group = c.benchmark_group("deliver one call start");
    group.bench_function("baseline: bare ureq POST", |b| {
        b.iter(|| {
            let mut r = client
                .post(&url)
                .header("Content-Type", "application/json")
                .send(n.body())
                .expect("post");
            let _ = r.body_mut().read_to_vec();
        })
    });
    let configured = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(5)))
            .max_redirects(0)
            .build(),
    );
    group.bench_function("ureq POST, sandbox's agent settings", |b| {
        b.iter(|| {
            let mut r = configured
                .post(&url)
                .header("Content-Type", "application/json")
                .send(n.body())
                .expect("post");
            let _ = r.body_mut().with_config().limit(65536).read_to_vec();
        })
    });
    group.bench_function("Sandbox::trigger", |b| {
        b.iter(|| {
            let records = sandbox.trigger(&n);
            assert!(records[0].delivered());
            // Keep the log from growing over the run.
            sandbox.take_deliveries();
        })
    });
    group.finish();
    assert_eq!(sandbox.subscriptions()[0].kind, EventKind::Call);
}

criterion_group!(benches, delivery);
criterion_main!(benches);
