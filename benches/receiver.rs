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
//!
//! `cargo bench --bench receiver -- wrk` instead compares the receiver with hyper 1.x and
//! bare tiny_http under wrk (Debian's `wrk`, `slowhttptest` and `taskset` needed); see
//! `wrk_rows` below.

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
    let config = ReceiverConfig::builder(WebhookConfig::new(PATH).unwrap())
        .max_connections(1024)
        .build()
        .expect("config");
    let rx = Receiver::bind("127.0.0.1:0", config).expect("bind");
    let addr = rx.local_addr();
    let handle = rx.shutdown_handle();
    thread::scope(|s| {
        s.spawn(|| rx.serve(WORKERS, |_| Ok::<(), String>(())).unwrap());
        let out = run(addr);
        handle.shutdown();
        out
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("hold") => return hold(&args[2], args[3].parse().unwrap()),
        Some("idle") => return idle_child(&args[2], args[3].parse().unwrap()),
        _ => {}
    }
    if args.iter().any(|a| a == "idle-only") {
        pin_to(0);
        println!("10,000 idle connections (each server in its own process):");
        idle_rows(10_000);
        return;
    }
    if args.iter().any(|a| a == "wrk") {
        pin_to(0);
        wrk_rows();
        println!();
        println!("| attack | server | normal deliveries | answered |");
        println!("|---|---|---|---|");
        slowloris_row(1000, 15);
        slowloris_row(4000, 15);
        println!();
        println!("10,000 idle connections (each server in its own process):");
        idle_rows(10_000);
        return;
    }
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

// ---------------------------------------------------------------------------------------
// `cargo bench --bench receiver -- wrk`: the receiver against hyper 1.x (tokio
// current-thread runtime) and bare tiny_http, with wrk as the load generator.
//
// The bench process pins itself (and so every server thread) to CPU 0; wrk runs pinned to
// CPU 1 (`taskset -c 1 wrk -t1 ...`). Each row runs in interleaved rounds (cinnox, hyper,
// tiny_http, then again), `CINNOX_BENCH_ROUNDS` rounds (default 5) of
// `CINNOX_BENCH_SECS` seconds (default 5); the table gives each server's median requests/s,
// its spread (min-max) and the ratio of medians to hyper's. Every server answers 200 to each
// POST after reading its body; the receiver runs `serve(4, |_| Ok(()))` with duplicate
// detection off, so every request is verified, parsed and handed to a worker.
// ---------------------------------------------------------------------------------------

/// Pin the calling thread (and the threads it starts from now on) to `cpu`.
fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and sched_setaffinity take it by
    // pointer with its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A hyper 1.x HTTP/1.1 server on a tokio current-thread runtime, answering 200 after
/// reading the body; runs until `stop` is set.
fn with_hyper<T>(run: impl FnOnce(SocketAddr) -> T) -> T {
    use http_body_util::{BodyExt, Full};
    use hyper::body::{Bytes, Incoming};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let accept = async {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    tokio::task::spawn(async move {
                        let service = service_fn(|req: hyper::Request<Incoming>| async move {
                            let _ = req.into_body().collect().await;
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                Bytes::from_static(br#"{"code":0}"#),
                            )))
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            };
            tokio::select! {
                _ = accept => {}
                _ = stop_rx => {}
            }
        });
    });
    let out = run(addr);
    let _ = stop_tx.send(());
    let _ = server.join();
    out
}

/// The receiver for the wrk rows: default settings, duplicate detection off.
fn with_cinnox_nodedup<T>(run: impl FnOnce(SocketAddr) -> T) -> T {
    let webhook = WebhookConfig::builder(PATH)
        .dedup_window(None)
        .build()
        .unwrap();
    let rx = Receiver::bind("127.0.0.1:0", webhook).expect("bind");
    let addr = rx.local_addr();
    let handle = rx.shutdown_handle();
    thread::scope(|s| {
        s.spawn(|| rx.serve(WORKERS, |_| Ok::<(), String>(())).unwrap());
        let out = run(addr);
        handle.shutdown();
        out
    })
}

/// One wrk run: requests/s.
fn wrk(addr: SocketAddr, conns: usize, secs: u64, close: bool, script: &std::path::Path) -> f64 {
    let mut cmd = std::process::Command::new("taskset");
    cmd.args(["-c", "1", "wrk", "-t1"])
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"))
        .arg("-s")
        .arg(script);
    if close {
        cmd.args(["-H", "Connection: close"]);
    }
    cmd.arg(format!("http://{addr}{PATH}"));
    let out = cmd.output().expect("run wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let non2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map(|n| n.trim().to_owned());
    if let Some(n) = non2xx {
        eprintln!("warning: {n} non-2xx answers at {addr}");
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn median_and_spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default()
}

fn wrk_rows() {
    let secs: u64 = std::env::var("CINNOX_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rounds: usize = std::env::var("CINNOX_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let script = std::env::temp_dir().join(format!("cinnox-wrk-{}.lua", std::process::id()));
    let body = call_event(0, 0).replace('\'', "\\'");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ),
    )
    .expect("write the wrk script");
    println!(
        "wrk: {rounds} interleaved rounds of {secs} s per row; servers on CPU 0, wrk on CPU 1"
    );
    println!("load average at start: {}", loadavg().trim());
    println!("| row | cinnox req/s (min-max) | hyper req/s (min-max) | tiny_http req/s (min-max) | cinnox/hyper | cinnox/tiny_http |");
    println!("|---|---|---|---|---|---|");
    let rows: [(usize, bool); 5] = [
        (1, false),
        (16, false),
        (64, false),
        (256, false),
        (16, true),
    ];
    for (conns, close) in rows {
        let (mut c, mut h, mut t) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            c.push(with_cinnox_nodedup(|a| wrk(a, conns, secs, close, &script)));
            h.push(with_hyper(|a| wrk(a, conns, secs, close, &script)));
            t.push(with_bare(|a| wrk(a, conns, secs, close, &script)));
        }
        let (cm, cl, ch) = median_and_spread(c);
        let (hm, hl, hh) = median_and_spread(h);
        let (tm, tl, th) = median_and_spread(t);
        let label = if close {
            format!("{conns} conns, Connection: close")
        } else {
            format!("{conns} keep-alive")
        };
        println!(
            "| {label} | {cm:.0} ({cl:.0}-{ch:.0}) | {hm:.0} ({hl:.0}-{hh:.0}) | {tm:.0} ({tl:.0}-{th:.0}) | {:.2}x | {:.2}x |",
            cm / hm.max(1e-9),
            cm / tm.max(1e-9)
        );
    }
    println!("load average at end: {}", loadavg().trim());
    let _ = std::fs::remove_file(&script);
}

/// Normal deliveries (a fresh connection each, one every 20 ms) while slowhttptest runs
/// slowloris with `conns` connections: p99 latency and the share answered 200.
fn slowloris_row(conns: usize, secs: u64) {
    for (name, p99, answered, total) in [
        (
            "cinnox",
            with_cinnox_nodedup(|a| under_slowloris(a, conns, secs)),
        ),
        ("hyper", with_hyper(|a| under_slowloris(a, conns, secs))),
    ]
    .map(|(n, (p, a, t))| (n, p, a, t))
    {
        println!("| slowloris {conns} conns | {name} | p99 {p99:.1} ms | {answered}/{total} answered 200 |");
    }
}

fn under_slowloris(addr: SocketAddr, conns: usize, secs: u64) -> (f64, usize, usize) {
    let rate = (conns / 4).max(100).to_string();
    let mut attack = std::process::Command::new("taskset")
        .args([
            "-c",
            "1",
            "slowhttptest",
            "-H",
            "-c",
            &conns.to_string(),
            "-r",
            &rate,
        ])
        .args([
            "-i",
            "10",
            "-l",
            &(secs + 5).to_string(),
            "-t",
            "POST",
            "-p",
            "5",
        ])
        .arg("-u")
        .arg(format!("http://{addr}{PATH}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run slowhttptest (apt-get install slowhttptest)");
    // Let the attack open its connections.
    thread::sleep(Duration::from_secs(5));
    let end = Instant::now() + Duration::from_secs(secs);
    let mut lat = Vec::new();
    let mut total = 0;
    let mut seq = 0;
    while Instant::now() < end {
        total += 1;
        seq += 1;
        let body = call_event(9, seq);
        let req = format!(
            "POST {PATH} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let t = Instant::now();
        let ok = TcpStream::connect(addr)
            .and_then(|s| {
                s.set_read_timeout(Some(Duration::from_secs(10)))?;
                let mut w = s.try_clone()?;
                w.write_all(req.as_bytes())?;
                read_response(&mut BufReader::new(s), &mut String::new())
            })
            .unwrap_or(false);
        if ok {
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = attack.kill();
    let _ = attack.wait();
    lat.sort_by(|a, b| a.total_cmp(b));
    let p99 = lat
        .get(((lat.len().max(1) - 1) as f64 * 0.99) as usize)
        .copied()
        .unwrap_or(f64::NAN);
    (p99, lat.len(), total)
}

/// In a child process: serve with `server`, have a grandchild hold `n` idle connections,
/// then print this process's threads and RSS.
fn idle_child(server: &str, n: usize) {
    let hold = |addr: SocketAddr| {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["hold", &addr.to_string(), &n.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // Let the server accept and settle.
        thread::sleep(Duration::from_secs(3));
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .unwrap_or("?")
            .trim()
            .to_owned();
        let threads = std::fs::read_dir("/proc/self/task").unwrap().count();
        println!(
            "{server}: {line} threads {threads}, RSS {rss}",
            line = line.trim()
        );
        drop(child.stdin.take());
        let _ = child.wait();
    };
    match server {
        "cinnox" => with_cinnox_nodedup(hold),
        _ => with_hyper(hold),
    }
}

/// In a grandchild: open `n` keep-alive connections, each answered one challenge and then
/// idle; say how many; wait for stdin to close.
fn hold(addr: &str, n: usize) {
    let addr: SocketAddr = addr.parse().unwrap();
    let challenge = br#"{"challenge":"idle"}"#;
    let req = format!(
        "POST {PATH} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        challenge.len(),
        std::str::from_utf8(challenge).unwrap()
    );
    let conns: Vec<BufReader<TcpStream>> = (0..n)
        .filter_map(|_| {
            let mut s = TcpStream::connect(addr).ok()?;
            s.write_all(req.as_bytes()).ok()?;
            let mut r = BufReader::new(s);
            read_response(&mut r, &mut String::new()).ok()?.then_some(r)
        })
        .collect();
    println!("{} keep-alive connections idle", conns.len());
    let mut sink = String::new();
    let _ = std::io::stdin().read_line(&mut sink);
}

fn idle_rows(n: usize) {
    for server in ["cinnox", "hyper"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["idle", server, &n.to_string()])
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}
