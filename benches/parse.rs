//! Typed parse and whole `handle` of the four seed notifications, against
//! `serde_json::from_slice::<serde_json::Value>` of the same bytes in the same run.
//!
//! Targets, as ratios to the `Value` parse: typed parse ≤ 0.6, whole handle ≤ 0.8.
//! `handle` runs the default policy (path secret, method, media type, size, duplicate
//! memory holding a thousand keys); `handle_allowlist` adds a source allowlist and a trusted
//! proxy whose `X-Forwarded-For` is read.
//! Run: `cargo bench --bench parse -- --warm-up-time 1 --measurement-time 3`
//!
//! Times are the CPU time of the benchmarking thread (`CLOCK_THREAD_CPUTIME_ID`), not wall
//! time: on a shared machine, time spent preempted by other processes would otherwise land
//! on whichever of the compared functions happened to be running, and the ratios would
//! measure the neighbours' load. Set `CINNOX_BENCH_WALL=1` to measure wall time instead.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use cinnox::event::parse;
use cinnox::{Outcome, Request, Verdict, Webhook, WebhookConfig};

#[path = "../tests/common/event.rs"]
mod event;

const PATH: &str = "/cinnox/s3cr3t-Xq9vL2pR7wZk";
const HEADERS: &[(&str, &str)] = &[
    ("Host", "receiver.example"),
    ("User-Agent", "Go-http-client/1.1"),
    ("Content-Length", "218"),
    ("Content-Type", "application/json"),
    ("Accept-Encoding", "gzip"),
    ("X-Forwarded-For", "203.0.113.5"),
];

/// The CPU time of the calling thread, or wall time when `CINNOX_BENCH_WALL` is set.
struct ThreadCpuTime {
    wall: bool,
}

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant of the platform.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = (Duration, std::time::Instant);
    type Value = Duration;
    fn start(&self) -> Self::Intermediate {
        (thread_cpu_time(), std::time::Instant::now())
    }
    fn end(&self, (cpu, wall): Self::Intermediate) -> Duration {
        if self.wall {
            wall.elapsed()
        } else {
            thread_cpu_time().saturating_sub(cpu)
        }
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, d: &Duration) -> f64 {
        d.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WallTime.formatter()
    }
}

/// A verifier in a steady state: its duplicate memory holds a thousand acknowledged events.
fn warmed(config: WebhookConfig) -> Webhook {
    let webhook = Webhook::new(config);
    for i in 0..1000 {
        let body = format!(r#"{{"Type":"tdr","TransactionID":"warm-{i}","Status":"Delivered"}}"#);
        if let Outcome::Deliver(e) = webhook.handle(&request(body.as_bytes())) {
            webhook.finish(&e, Verdict::Handled);
        }
    }
    assert_eq!(webhook.dedup_len(), 1000);
    webhook
}

fn request(body: &[u8]) -> Request<'_> {
    Request {
        method: "POST",
        path: PATH,
        headers: HEADERS,
        peer: Some([10, 0, 0, 1].into()),
        body,
    }
}

fn bench(c: &mut Criterion<ThreadCpuTime>) {
    // The default policy.
    let plain = warmed(WebhookConfig::new(PATH).unwrap());
    // Every check on: a source allowlist, and the client taken from X-Forwarded-For because
    // the peer is a trusted proxy.
    let guarded = warmed(
        WebhookConfig::builder(PATH)
            .allow_source("203.0.113.0/24")
            .trust_proxy("10.0.0.0/8")
            .build()
            .expect("valid networks"),
    );
    for (name, body) in event::SEEDS {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function("value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body)))
        });
        g.bench_function("parse", |b| b.iter(|| parse(black_box(body))));
        for (label, webhook) in [("handle", &plain), ("handle_allowlist", &guarded)] {
            g.bench_function(label, |b| {
                b.iter(|| match webhook.handle(&request(black_box(body))) {
                    Outcome::Deliver(e) => e,
                    Outcome::Respond(r) => panic!("refused: {}", r.status),
                    other => panic!("{other:?}"),
                })
            });
        }
        g.finish();
    }
}

fn config() -> Criterion<ThreadCpuTime> {
    Criterion::default().with_measurement(ThreadCpuTime {
        wall: std::env::var_os("CINNOX_BENCH_WALL").is_some(),
    })
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
