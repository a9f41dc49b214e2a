//! The cost of the C boundary: `cinnox_parse` + the typed view + `cinnox_event_free`,
//! called through the `extern "C"` functions, against the Rust `cinnox::parse` of the same
//! bytes (with the same fields read), in one run. Target: C / Rust <= 1.1.
//!
//! `cargo bench --bench ffi_parse`; the ratios are printed at the end.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cinnox::event::Payload;
use cinnox::ffi::cinnox_result;
use cinnox::ffi::event::{
    cinnox_event, cinnox_event_call, cinnox_event_free, cinnox_event_get_type,
    cinnox_event_inbound_sms, cinnox_event_outbound_sms, cinnox_parse,
};
use cinnox::Incoming;
use criterion::{criterion_group, Criterion};

const BODIES: [(&str, &str); 3] = [
    (
        "call_start",
        r#"{"type":"message","message":{"id":"7f1c2c9e-4b1e-4c55-9d0e-0b6f7d1c2a11","status":"CallStart","serviceId":"svc-3f2a9b","caller":{"eid":"staff-eid-1001","number":"+85298765432"},"callees":{"eid":"staff-eid-1002","number":"+85223456789"}}}"#,
    ),
    (
        "inbound_sms",
        r#"{"id":"5d0c8b7e-2f4a-4d8e-9a61-3c2b1e0f9d87","eventDescription":"Inbound SMS","senderNumber":"85298765432","recipientNumber":"85223456789","receiveTime":"2022-11-07T08:15:30.123Z","contentType":"Text","content":"Hello, I would like to book a table for two tonight at 8pm."}"#,
    ),
    (
        "outbound_sms",
        r#"{"Type":"tdr","AppID":"app-7c1d2e","ServiceID":"svc-3f2a9b","TransactionID":"tx-9b8a7c6d5e4f","RecipientNumber":"85298765432","RecipientCountry":"HK","ResponseCode":"","Status":"Delivered","Exception":""}"#,
    ),
];

/// Parse with the Rust API and read the same fields the C side reads.
fn rust_parse(body: &[u8]) -> usize {
    match cinnox::parse(body) {
        Ok(Incoming::Event(ev)) => match ev.payload() {
            Payload::CallStart(c) | Payload::CallEnd(c) => {
                black_box(c.id.as_deref());
                black_box(c.caller.as_ref().and_then(|p| p.number.as_deref()));
                c.callees.len()
            }
            Payload::InboundSms(s) => black_box(s.content.as_deref()).map_or(0, str::len),
            Payload::OutboundSms(r) => {
                black_box(r.transaction_id.as_deref());
                black_box(r.status.as_ref()).is_some() as usize
            }
            _ => 0,
        },
        _ => 0,
    }
}

/// The same through the C ABI: parse, type, view, fields, free.
fn c_parse(body: &[u8]) -> usize {
    let mut ev: *mut cinnox_event = std::ptr::null_mut();
    // SAFETY: a valid buffer and out-pointer; the event is freed below.
    unsafe {
        if cinnox_parse(body.as_ptr(), body.len(), &mut ev) != cinnox_result::CINNOX_OK {
            return 0;
        }
        let n = match cinnox_event_get_type(ev) as u32 {
            2 | 3 => {
                let c = &*cinnox_event_call(ev);
                black_box(c.id);
                black_box(c.caller.number);
                c.callee_count
            }
            4 => black_box((*cinnox_event_inbound_sms(ev)).content_len),
            5 => {
                let o = &*cinnox_event_outbound_sms(ev);
                black_box(o.transaction_id);
                black_box(o.status) as usize
            }
            _ => 0,
        };
        cinnox_event_free(ev);
        n
    }
}

fn bench(c: &mut Criterion) {
    for (name, body) in BODIES {
        let body = body.as_bytes();
        assert!(rust_parse(body) > 0 && c_parse(body) > 0, "{name} parses");
        let mut g = c.benchmark_group(format!("parse/{name}"));
        g.bench_function("rust", |b| b.iter(|| rust_parse(black_box(body))));
        g.bench_function("c_abi", |b| b.iter(|| c_parse(black_box(body))));
        g.finish();
    }
}

/// The ratio C / Rust per body, measured interleaved in rounds (so that frequency changes
/// and other load hit both alike), the median of the rounds.
fn ratios() {
    println!("\nC ABI / Rust parse (median of 15 rounds, interleaved):");
    for (name, body) in BODIES {
        let body = body.as_bytes();
        let mut rounds = Vec::new();
        for _ in 0..15 {
            let time = |f: &dyn Fn(&[u8]) -> usize| {
                let start = Instant::now();
                let mut n = 0;
                while start.elapsed() < Duration::from_millis(40) {
                    for _ in 0..200 {
                        black_box(f(black_box(body)));
                    }
                    n += 200;
                }
                start.elapsed().as_nanos() as f64 / n as f64
            };
            let r = time(&rust_parse);
            let c = time(&c_parse);
            rounds.push((c / r, r, c));
        }
        rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (ratio, r, c) = rounds[rounds.len() / 2];
        println!("  {name:<13} rust {r:>7.0} ns   c_abi {c:>7.0} ns   ratio {ratio:.3}");
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
