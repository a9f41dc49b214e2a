//! Durable events per second: the inbox alone and through the receiver, at 1 and 16
//! connections, against the receiver without an inbox and against the limit of the disk, a
//! bare loop of fsync'd single-row SQLite inserts (WAL, synchronous=FULL) on the same disk.
//!
//! `cargo bench --bench inbox` (set `INBOX_BENCH_EVENTS`, `INBOX_BENCH_ROUNDS`,
//! `INBOX_BENCH_DIR` for the disk to measure; default the temp directory). Rounds are
//! interleaved; each row prints the median events/s and the spread.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Instant;

use cinnox::receiver::ReceiverConfig;
use cinnox::{Inbox, Incoming, Receiver, WebhookConfig};

const PATH: &str = "/bench/hook";

fn event(n: usize, salt: u64) -> String {
    format!(
        r#"{{"id":"bench-{salt}-{n}","eventDescription":"NewInboundSMS","senderNumber":"85291234567","recipientNumber":"85223456789","contentType":"Text","content":"bench"}}"#
    )
}

fn dir() -> PathBuf {
    let base = std::env::var_os("INBOX_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let d = base.join(format!("cinnox-inbox-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("bench dir");
    d
}

fn fresh_db(tag: &str) -> String {
    let p = dir().join(format!("{tag}.db"));
    p.display().to_string()
}

/// The limit: one fsync'd transaction per row, no library.
fn bare_inserts(n: usize) -> f64 {
    let conn = rusqlite::Connection::open(fresh_db("bare")).expect("open");
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE NOT NULL, body BLOB NOT NULL);",
    )
    .expect("schema");
    let started = Instant::now();
    for i in 0..n {
        conn.execute(
            "INSERT INTO t (k, body) VALUES (?1, ?2)",
            rusqlite::params![i.to_string(), event(i, 0).as_bytes()],
        )
        .expect("insert");
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// `Inbox::store` from `threads` threads.
fn inbox_store(n: usize, threads: usize, salt: u64) -> f64 {
    let inbox = Inbox::open(&fresh_db("store")).expect("inbox");
    let events: Vec<cinnox::Event> = (0..n)
        .map(|i| match cinnox::parse(event(i, salt).as_bytes()) {
            Ok(Incoming::Event(e)) => e,
            _ => unreachable!(),
        })
        .collect();
    let started = Instant::now();
    std::thread::scope(|s| {
        for chunk in events.chunks(n.div_ceil(threads)) {
            let inbox = &inbox;
            s.spawn(move || {
                for e in chunk {
                    inbox.store(e).expect("store");
                }
            });
        }
    });
    n as f64 / started.elapsed().as_secs_f64()
}

fn post(s: &mut TcpStream, body: &str) {
    let req = format!(
        "POST {PATH} HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut buf = [0u8; 512];
    let mut got = Vec::new();
    loop {
        let k = s.read(&mut buf).expect("read");
        assert!(k > 0, "closed");
        got.extend_from_slice(&buf[..k]);
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..i]).to_ascii_lowercase();
            assert!(head.starts_with("http/1.1 200"), "{head}");
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if got.len() >= i + 4 + len {
                return;
            }
        }
    }
}

/// Events answered 200 per second through a receiver, over `conns` keep-alive connections;
/// with an inbox (stored, nobody consuming) or without (a worker acks each).
fn through_receiver(n: usize, conns: usize, with_inbox: bool, salt: u64) -> f64 {
    let mut config = ReceiverConfig::builder(WebhookConfig::new(PATH).unwrap());
    if with_inbox {
        config = config.inbox(Inbox::open(&fresh_db("rx")).expect("inbox"));
    }
    let rx = Receiver::bind("127.0.0.1:0", config.build().expect("config")).expect("bind");
    let addr: SocketAddr = rx.local_addr();
    let rate = std::thread::scope(|s| {
        if !with_inbox {
            s.spawn(|| rx.serve(conns.max(1), |_| Ok::<(), String>(())));
        }
        let started = Instant::now();
        std::thread::scope(|c| {
            for t in 0..conns {
                c.spawn(move || {
                    let mut stream = TcpStream::connect(addr).expect("connect");
                    let _ = stream.set_nodelay(true);
                    for i in (t..n).step_by(conns) {
                        post(&mut stream, &event(i, salt));
                    }
                });
            }
        });
        let rate = n as f64 / started.elapsed().as_secs_f64();
        rx.shutdown();
        rate
    });
    rate
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n = if quick {
        50
    } else {
        env("INBOX_BENCH_EVENTS", 2000)
    };
    let rounds = if quick {
        1
    } else {
        env("INBOX_BENCH_ROUNDS", 3)
    };
    let names = [
        "bare fsync'd inserts (limit)",
        "Inbox::store, 1 thread",
        "Inbox::store, 16 threads",
        "receiver + inbox, 1 conn",
        "receiver + inbox, 16 conns",
        "receiver, no inbox, 1 conn",
        "receiver, no inbox, 16 conns",
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for round in 0..rounds {
        let salt = round as u64;
        rates[0].push(bare_inserts(n));
        rates[1].push(inbox_store(n, 1, salt));
        rates[2].push(inbox_store(n, 16, salt));
        rates[3].push(through_receiver(n, 1, true, salt));
        rates[4].push(through_receiver(n, 16, true, salt));
        rates[5].push(through_receiver(n, 1, false, salt));
        rates[6].push(through_receiver(n, 16, false, salt));
    }
    let spread: Vec<(f64, f64)> = rates
        .iter()
        .map(|r| {
            r.iter()
                .fold((f64::MAX, 0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)))
        })
        .collect();
    let med: Vec<f64> = rates.iter_mut().map(|r| median(r)).collect();
    println!("{n} events x {rounds} rounds");
    println!(
        "{:<30} {:>10} {:>19} {:>8}",
        "", "events/s", "spread", "/limit"
    );
    for (i, name) in names.iter().enumerate() {
        println!(
            "{name:<30} {:>10.0} {:>9.0}-{:<9.0} {:>7.2}x",
            med[i],
            spread[i].0,
            spread[i].1,
            med[i] / med[0]
        );
    }
    println!(
        "group commit: receiver + inbox at 16 conns = {:.1}x its 1-conn rate",
        med[4] / med[3]
    );
}
