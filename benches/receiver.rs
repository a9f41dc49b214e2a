//! Receiver throughput and latency against a bare tiny_http server, in the same run.
//!
//! A load generator in this binary keeps N keep-alive connections busy posting call events
//! (each connection waits for its answer before the next post) for a few seconds per case,
//! at 1, 16 and 64 connections, all opened at once behind a barrier. The bare server reads
//! the body and answers 200 on 4 threads; the receiver runs `serve(4, |_| Ok(()))` (every
//! event parsed, verified, handed to the handler and acked). A connection whose first
//! answer does not come within 2 s counts as unserved.
//!
//! `cargo bench --bench receiver` (seconds per case: `CINNOX_BENCH_SECS`, default 3).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use cinnox::receiver::ReceiverConfig;
use cinnox::{Receiver, WebhookConfig};

const PATH: &str = "/cinnox/bench-secret";
const WORKERS: usize = 4;
const FIRST_ANSWER_BOUND: Duration = Duration::from_secs(2);

struct Outcome {
    events: u64,
    secs: f64,
    p50_us: u64,
    p99_us: u64,
    unserved: usize,
}

fn call_event(conn: usize, seq: u64) -> String {
    format!(
        r#"{{"type":"message","message":{{"id":"call-{conn}-{seq}","status":"CallStart","serviceId":"svc-1","caller":{{"eid":"e-1","number":"+85298765432"}},"callees":{{"eid":"e-2","number":"+85212345678"}}}}}}"#
    )
}

/// Read one response; `Ok(false)` when it was not a 200.
fn read_response(r: &mut BufReader<TcpStream>, line: &mut String) -> std::io::Result<bool> {
    line.clear();
    if r.read_line(line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let ok = line.starts_with("HTTP/1.1 200");
    let mut len = 0usize;
    loop {
        line.clear();
        r.read_line(line)?;
        let h = line.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(ok)
}

fn load(addr: SocketAddr, conns: usize, secs: f64) -> Outcome {
    let barrier = Arc::new(Barrier::new(conns + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..conns)
        .map(|c| {
            let barrier = Arc::clone(&barrier);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                // Connect after the barrier: the connections arrive as one burst.
                barrier.wait();
                let stream = TcpStream::connect(addr).expect("connect");
                stream.set_nodelay(true).unwrap();
                stream.set_read_timeout(Some(FIRST_ANSWER_BOUND)).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                let mut lat = Vec::with_capacity(100_000);
                let mut served = false;
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let body = call_event(c, seq);
                    seq += 1;
                    let req = format!(
                        "POST {PATH} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let t = Instant::now();
                    if writer.write_all(req.as_bytes()).is_err() {
                        break;
                    }
                    match read_response(&mut reader, &mut line) {
                        Ok(true) => {
                            lat.push(t.elapsed().as_micros() as u32);
                            served = true;
                        }
                        Ok(false) => panic!("non-200 answer"),
                        Err(_) => break, // no answer within the bound: unserved
                    }
                }
                (lat, served)
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut unserved = 0;
    for t in threads {
        let (lat, served) = t.join().unwrap();
        if !served {
            unserved += 1;
        }
        all.extend(lat);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| -> u64 {
        if all.is_empty() {
            0
        } else {
            all[((all.len() - 1) as f64 * p) as usize] as u64
        }
    };
    Outcome {
        events: all.len() as u64,
        secs: elapsed,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        unserved,
    }
}

/// One burst: `conns` connections opened at once, each posts one event and keeps the
/// connection open until every one has its answer or gave up after the bound. Returns how
/// many got no answer.
fn burst(addr: SocketAddr, conns: usize) -> usize {
    let start = Arc::new(Barrier::new(conns));
    let end = Arc::new(Barrier::new(conns));
    let threads: Vec<_> = (0..conns)
        .map(|c| {
            let (start, end) = (Arc::clone(&start), Arc::clone(&end));
            thread::spawn(move || {
                start.wait();
                let stream = TcpStream::connect(addr).expect("connect");
                stream.set_read_timeout(Some(FIRST_ANSWER_BOUND)).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let body = call_event(c, u64::MAX - c as u64);
                let req = format!(
                    "POST {PATH} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let served = writer.write_all(req.as_bytes()).is_ok()
                    && matches!(read_response(&mut reader, &mut String::new()), Ok(true));
                end.wait(); // keep-alive: hold the connection until all are done
                served
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|served| !served)
        .count()
}

/// A bare tiny_http server (reads the body, answers 200) running `run` against it.
fn with_bare<T>(run: impl FnOnce(SocketAddr) -> T) -> T {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
    let addr = server.server_addr().to_ip().unwrap();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            thread::spawn(move || {
                while let Ok(mut rq) = server.recv() {
                    let mut body = Vec::new();
                    let _ = rq.as_reader().read_to_end(&mut body);
                    let _ = rq.respond(tiny_http::Response::empty(200));
                }
            })
        })
        .collect();
    let out = run(addr);
    for _ in &workers {
        server.unblock();
    }
    for w in workers {
        let _ = w.join();
    }
    out
}

/// The receiver (`serve(4, |_| Ok(()))`) running `run` against it.
fn with_cinnox<T>(run: impl FnOnce(SocketAddr) -> T) -> T {
    let config = ReceiverConfig {
        max_connections: 1024,
        ..ReceiverConfig::default()
    };
    let rx = Receiver::bind_with("127.0.0.1:0", WebhookConfig::new(PATH), config).expect("bind");
    let addr = rx.local_addr();
    let handle = rx.shutdown_handle();
    thread::scope(|s| {
        s.spawn(|| rx.serve(WORKERS, |_| Ok::<(), ()>(())).unwrap());
        let out = run(addr);
        handle.shutdown();
        out
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or `--test` run only smoke-tests.
    let quick = std::env::args().any(|a| a == "--test");
    let secs: f64 = std::env::var("CINNOX_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 0.2 } else { 3.0 });
    println!("receiver benchmark: {secs} s per case, {WORKERS} workers each side");
    println!("| conns | server | events/s | p50 µs | p99 µs | unserved conns | ratio (events/s) |");
    println!("|---|---|---|---|---|---|---|");
    for conns in [1usize, 16, 64] {
        let b = with_bare(|addr| load(addr, conns, secs));
        let c = with_cinnox(|addr| load(addr, conns, secs));
        let rate = |o: &Outcome| o.events as f64 / o.secs;
        let ratio = rate(&c) / rate(&b).max(1e-9);
        println!(
            "| {conns} | bare tiny_http | {:.0} | {} | {} | {}/{conns} | |",
            rate(&b),
            b.p50_us,
            b.p99_us,
            b.unserved
        );
        println!(
            "| {conns} | cinnox Receiver | {:.0} | {} | {} | {}/{conns} | {ratio:.2}x |",
            rate(&c),
            c.p50_us,
            c.p99_us,
            c.unserved
        );
    }
    let rounds: usize = std::env::var("CINNOX_BENCH_BURSTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 1 } else { 20 });
    println!();
    println!("burst: 64 keep-alive connections at once, one event each, {rounds} rounds, answer bound {FIRST_ANSWER_BOUND:?}");
    println!("| server | rounds with unserved connections | unserved connections (total) |");
    println!("|---|---|---|");
    for (name, unserved) in [
        (
            "bare tiny_http",
            (0..rounds)
                .map(|_| with_bare(|a| burst(a, 64)))
                .collect::<Vec<_>>(),
        ),
        (
            "cinnox Receiver",
            (0..rounds).map(|_| with_cinnox(|a| burst(a, 64))).collect(),
        ),
    ] {
        let bad = unserved.iter().filter(|&&u| u > 0).count();
        let total: usize = unserved.iter().sum();
        println!("| {name} | {bad}/{rounds} | {total}/{} |", rounds * 64);
    }
}
