//! The subscription client against raw ureq and libcurl: sequential PATCH calls over one
//! kept-alive connection to the same local stub server, in interleaved rounds.
//!
//! `cargo bench --bench client` prints, per contender, the median calls/s over the rounds,
//! the spread (min–max) and the ratio to raw ureq (default agent) and to libcurl (one reused
//! easy handle). Set `CLIENT_BENCH_CALLS` / `CLIENT_BENCH_ROUNDS` to change the size. The
//! stub server runs in the same process: pin it with `taskset -c 1` for steadier figures.
//! The row `ureq + timeout_global` is the setting `Client` had before: ureq re-arms the
//! socket timeouts with the remaining time on every read and write.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use cinnox::{Client, EventKind, RetryPolicy};

const REPLY_BODY: &str = r#"{"code":0,"result":{"enabled":true,"url":"https://rx.example/cinnox/hook","updatedAt":"2022-11-07T00:00:00.000Z"}}"#;
const HOOK: &str = "https://rx.example/cinnox/hook";

/// A keep-alive HTTP/1.1 stub: every request is answered with the same 200 JSON.
fn stub() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    format!("http://{addr}")
}

fn serve(mut s: TcpStream) {
    let _ = s.set_nodelay(true);
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{REPLY_BODY}",
        REPLY_BODY.len()
    );
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        // One request: the head, then Content-Length bytes.
        let (head_end, len) = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (i + 4, len);
            }
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        while buf.len() < head_end + len {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + len);
        if s.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

trait Contender {
    fn name(&self) -> &'static str;
    fn call(&mut self);
}

struct CinnoxClient(Client);
impl Contender for CinnoxClient {
    fn name(&self) -> &'static str {
        "cinnox Client"
    }
    fn call(&mut self) {
        self.0
            .subscribe("app", EventKind::Call, HOOK)
            .expect("subscribe");
    }
}

/// ureq with its default settings, sending the same request as `Client`.
struct RawUreq {
    agent: ureq::Agent,
    url: String,
    name: &'static str,
}
impl Contender for RawUreq {
    fn name(&self) -> &'static str {
        self.name
    }
    fn call(&mut self) {
        let mut response = self
            .agent
            .patch(&self.url)
            .header("Authorization", "Bearer token")
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(format!(r#"{{"enabled":true,"url":"{HOOK}"}}"#).as_bytes())
            .expect("patch");
        let body = response.body_mut().read_to_vec().expect("body");
        assert!(body.len() == REPLY_BODY.len());
    }
}

struct Curl {
    easy: curl::easy::Easy,
    body: Vec<u8>,
}
impl Contender for Curl {
    fn name(&self) -> &'static str {
        "libcurl (reused handle)"
    }
    fn call(&mut self) {
        let payload = format!(r#"{{"enabled":true,"url":"{HOOK}"}}"#);
        self.body.clear();
        let easy = &mut self.easy;
        easy.post_fields_copy(payload.as_bytes()).expect("body");
        let body = &mut self.body;
        let mut transfer = easy.transfer();
        transfer
            .write_function(|data| {
                body.extend_from_slice(data);
                Ok(data.len())
            })
            .expect("write fn");
        transfer.perform().expect("perform");
        drop(transfer);
        assert!(self.body.len() == REPLY_BODY.len());
    }
}

fn curl_handle(url: &str) -> Curl {
    let mut easy = curl::easy::Easy::new();
    easy.url(&format!("{url}/v1/api/apps/app/call-event-sub"))
        .expect("url");
    easy.custom_request("PATCH").expect("method");
    let mut headers = curl::easy::List::new();
    for h in [
        "Authorization: Bearer token",
        "Content-Type: application/json",
        "Accept: application/json",
    ] {
        headers.append(h).expect("header");
    }
    easy.http_headers(headers).expect("headers");
    Curl {
        easy,
        body: Vec::new(),
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let calls = if quick {
        20
    } else {
        env_usize("CLIENT_BENCH_CALLS", 2000)
    };
    let rounds = if quick {
        1
    } else {
        env_usize("CLIENT_BENCH_ROUNDS", 7)
    };
    let url = stub();
    let patch_url = format!("{url}/v1/api/apps/app/call-event-sub");

    let client = Client::builder(&url, "token")
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let mut contenders: Vec<Box<dyn Contender>> = vec![
        Box::new(RawUreq {
            agent: ureq::Agent::new_with_defaults(),
            url: patch_url.clone(),
            name: "raw ureq (defaults)",
        }),
        Box::new(CinnoxClient(client)),
        // The setting Client used to have: ureq re-arms its socket timeouts on every read.
        Box::new(RawUreq {
            agent: ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .new_agent(),
            url: patch_url.clone(),
            name: "ureq + timeout_global",
        }),
        Box::new(curl_handle(&url)),
    ];
    // Warm-up: one connection each, kept alive from here on.
    for c in contenders.iter_mut() {
        for _ in 0..20 {
            c.call();
        }
    }
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for round in 0..rounds {
        // Interleaved, and the order rotates each round.
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let c = &mut contenders[i];
            let start = Instant::now();
            for _ in 0..calls {
                c.call();
            }
            let took = start.elapsed().max(Duration::from_nanos(1));
            rates[i].push(calls as f64 / took.as_secs_f64());
        }
    }
    let medians: Vec<f64> = rates.iter_mut().map(|r| median(r)).collect();
    println!(
        "{calls} sequential calls x {rounds} interleaved rounds, loadavg {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or("?")
    );
    println!(
        "{:<26} {:>10} {:>21} {:>8} {:>9}",
        "contender", "calls/s", "spread", "/ureq", "/libcurl"
    );
    for (i, c) in contenders.iter().enumerate() {
        let (lo, hi) = rates[i]
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        println!(
            "{:<26} {:>10.0} {:>10.0}-{:<10.0} {:>7.2}x {:>8.2}x",
            c.name(),
            medians[i],
            lo,
            hi,
            medians[i] / medians[0],
            medians[i] / medians[3]
        );
    }
}
