//! Fairness of the I/O loop under a pipelining flood (issue 20): 300 connections that
//! pipeline valid events to the secret path, some reading their replies and some never
//! reading, while a fresh connection posts an event every 100 ms. Each fresh post must be
//! answered within 250 ms at p99: the loop bounds its work per turn and accepts every turn.

#[path = "common/receiver.rs"]
mod receiver;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use receiver::*;

/// Flooding connections, of which every second one reads its replies.
const FLOODERS: usize = 300;
/// Requests written per burst.
const BURST: usize = 16;
/// Fresh posts measured, one every `PACE`.
const POSTS: usize = 50;
const PACE: Duration = Duration::from_millis(100);
/// The p99 latency a fresh delivery must meet under the flood.
const P99_MAX: Duration = Duration::from_millis(250);
/// The longest the fresh posts may take in all (a starved loop fails here, not hangs).
const BUDGET: Duration = Duration::from_secs(20);

/// Allow this process as many descriptors as its hard limit (the flood and the receiver
/// share the process).
fn raise_fd_limit() {
    // SAFETY: plain getrlimit/setrlimit on a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// One flooding connection, reconnecting whenever the receiver cuts it, until `stop`.
/// `started` counts the flooders whose first burst was written.
fn flood(addr: SocketAddr, reads: bool, stop: &AtomicBool, started: &AtomicUsize) {
    let burst: Vec<u8> = (0..BURST)
        .flat_map(|i| post_bytes(PATH, call_event(&format!("flood-{i}")).as_bytes()))
        .collect();
    let mut first = true;
    let mut sink = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(addr) else {
            continue;
        };
        let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
        let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
        while !stop.load(Ordering::Relaxed) {
            let wrote = s.write_all(&burst);
            if first {
                first = false;
                started.fetch_add(1, Ordering::SeqCst);
            }
            match wrote {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => break,
            }
            if reads {
                match s.read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => break,
                }
            }
        }
    }
}

#[test]
fn fresh_deliveries_are_answered_promptly_under_a_pipelining_flood() {
    raise_fd_limit();
    let rx = Arc::new(start_default(ServerSettings {
        max_connections: Some(FLOODERS + 64),
        io_threads: Some(1),
        ..quick_config()
    }));
    let addr = rx.local_addr();
    let for_serve = Arc::clone(&rx);
    let serving = thread::spawn(move || {
        for_serve.serve(4, |_| Ok::<(), String>(())).unwrap();
    });
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|i| {
            let (stop, started) = (Arc::clone(&stop), Arc::clone(&started));
            thread::spawn(move || flood(addr, i % 2 == 0, &stop, &started))
        })
        .collect();
    // The flood is on once every flooder has written its first burst.
    while started.load(Ordering::SeqCst) < FLOODERS {
        thread::yield_now();
    }

    let mut latencies = Vec::with_capacity(POSTS);
    let begin = Instant::now();
    for i in 0..POSTS {
        let due = begin + PACE * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        if begin.elapsed() > BUDGET {
            break;
        }
        let t0 = Instant::now();
        let mut c = Client::new(addr);
        c.stream().set_read_timeout(Some(BUDGET)).unwrap();
        let r = c.post(PATH, call_event(&format!("fresh-{i}")).as_bytes());
        latencies.push(t0.elapsed());
        assert_eq!(r.status, 200, "fresh post {i}");
    }
    let measured = latencies.len();
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        f.join().unwrap();
    }
    rx.shutdown();
    serving.join().unwrap();

    latencies.sort_unstable();
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
    let p50 = latencies[latencies.len() / 2];
    eprintln!(
        "{measured} fresh posts under a flood of {FLOODERS}: p50 {p50:?}, p99 {p99:?}, max {:?}",
        latencies[measured - 1]
    );
    assert_eq!(measured, POSTS, "fresh posts made within {BUDGET:?}");
    assert!(p99 <= P99_MAX, "p99 {p99:?} over {P99_MAX:?}");
}
