//! The attacks that used to stall delivery, at a bounded scale (hundreds of connections,
//! seconds): idle keep-alive connections, slow heads, slow bodies, peers that never read
//! their replies. Meanwhile normal deliveries must all be answered 200, and the process
//! must hold no thread per connection: its thread count stays at what it was before the
//! receiver started, plus the I/O thread and the `serve` workers.
//!
//! The tests of this file run one at a time (they count the process's threads).

#[path = "common/receiver.rs"]
mod receiver;

use std::io::{ErrorKind as IoKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use cinnox::Receiver;
use receiver::*;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const WORKERS: usize = 4;

/// Threads of this process now.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .count()
}

/// Allow this process as many descriptors as its hard limit (attackers and the receiver
/// share the process here).
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

/// Connections the attack needs, within what the descriptor limit allows (each costs two
/// descriptors here: the attacker's and the receiver's).
fn scale(wanted: usize) -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit on a local struct.
    let cur = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur as usize
    } else {
        1024
    };
    wanted.min(cur.saturating_sub(200) / 2)
}

/// A receiver served by `WORKERS` workers (acking every event), the thread count before it
/// started, and the serving thread to join.
struct Served {
    rx: Arc<Receiver>,
    baseline: usize,
    serving: Option<thread::JoinHandle<()>>,
}

impl Served {
    fn start(config: ServerSettings) -> Served {
        raise_fd_limit();
        let baseline = threads();
        let rx = Arc::new(start_default(config));
        let for_serve = Arc::clone(&rx);
        let serving = thread::spawn(move || {
            for_serve.serve(WORKERS, |_| Ok::<(), String>(())).unwrap();
        });
        Served {
            rx,
            baseline,
            serving: Some(serving),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.rx.local_addr()
    }

    /// `n` normal deliveries, each on a fresh connection: every one answered 200.
    fn deliver(&self, n: usize, tag: &str) {
        for i in 0..n {
            let mut c = Client::new(self.addr());
            let r = c.post(PATH, call_event(&format!("{tag}-{i}")).as_bytes());
            assert_eq!(r.status, 200, "delivery {i} under {tag}");
        }
    }

    /// No thread per connection: the baseline, the I/O thread, the serving thread and its
    /// workers, and at most 2 more (the test harness may start one meanwhile).
    fn assert_threads(&self, what: &str) {
        let now = threads();
        let allowed = self.baseline + 1 + 1 + WORKERS + 2;
        assert!(
            now <= allowed,
            "{what}: {now} threads, at most {allowed} expected"
        );
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.rx.shutdown();
        if let Some(t) = self.serving.take() {
            let _ = t.join();
        }
    }
}

fn open(addr: SocketAddr, n: usize, first_bytes: &[u8]) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).expect("connect");
            if !first_bytes.is_empty() {
                s.write_all(first_bytes).expect("write");
            }
            s
        })
        .collect()
}

#[test]
fn idle_keep_alive_connections_cost_no_thread_and_block_no_delivery() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let served = Served::start(ServerSettings {
        max_connections: Some(10_000),
        // Setting up a thousand connections on a loaded machine must not outlast them.
        idle_timeout: Some(Duration::from_secs(120)),
        header_timeout: Some(Duration::from_secs(120)),
        read_timeout: Some(Duration::from_secs(120)),
        ..quick_config()
    });
    let n = scale(1000);
    // Each served once, then left idle.
    let mut idle: Vec<Client> = (0..n).map(|_| Client::new(served.addr())).collect();
    for c in idle.iter_mut() {
        assert_eq!(c.post(PATH, br#"{"challenge":"i"}"#).status, 200);
    }
    served.deliver(20, "idle");
    served.assert_threads("idle connections");
    let stats = served.rx.stats();
    // The idle ones, and maybe the last deliveries' whose close is not yet seen.
    let open = stats.open_connections as usize;
    assert!((n..=n + 20).contains(&open), "{open} open, {n} idle");
    assert_eq!(stats.evicted_connections, 0);
}

#[test]
fn beyond_the_cap_idle_connections_are_evicted_and_deliveries_answered() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let served = Served::start(ServerSettings {
        max_connections: Some(100),
        ..quick_config()
    });
    let _idle = open(served.addr(), 300, b"");
    served.deliver(20, "evict");
    served.assert_threads("beyond the cap");
    let stats = served.rx.stats();
    assert!(stats.evicted_connections >= 200, "{stats:?}");
    assert_eq!(stats.refused_connections, 0);
    assert!(stats.open_connections <= 100, "{stats:?}");
}

#[test]
fn slow_heads_and_slow_bodies_cost_no_thread_and_block_no_delivery() {
    // (The deadlines that end such connections are tested on their own; here they must
    // outlast the set-up on a loaded machine.)
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let served = Served::start(ServerSettings {
        header_timeout: Some(Duration::from_secs(120)),
        read_timeout: Some(Duration::from_secs(120)),
        min_body_rate: Some(0),
        max_connections: Some(10_000),
        ..quick_config()
    });
    let n = scale(300);
    let heads = open(
        served.addr(),
        n,
        format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nX-Slow: ").as_bytes(),
    );
    let bodies = open(
        served.addr(),
        n,
        format!("POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{{\"type\":").as_bytes(),
    );
    // One more byte each, as slowloris does.
    for mut s in heads.iter().chain(bodies.iter()) {
        s.write_all(b"a").expect("write");
    }
    served.deliver(20, "slow");
    served.assert_threads("slow heads and bodies");
    assert_eq!(served.rx.stats().read_timeouts, 0);
}

#[test]
fn peers_that_never_read_their_replies_stall_no_worker_and_no_delivery() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let served = Served::start(ServerSettings {
        read_timeout: Some(Duration::from_secs(2)),
        ..quick_config()
    });
    // Four connections that post events as fast as the receiver takes them and never read.
    let mut quiet: Vec<TcpStream> = open(served.addr(), 4, b"");
    let one = post_bytes(PATH, call_event("unread").as_bytes());
    let mut posted = 0;
    for s in quiet.iter_mut() {
        s.set_nonblocking(true).unwrap();
        let mut written = 0;
        // Until the kernels' buffers are full both ways.
        loop {
            match s.write(&one[written..]) {
                Ok(n) => {
                    written += n;
                    if written == one.len() {
                        written = 0;
                        posted += 1;
                    }
                }
                Err(e) if e.kind() == IoKind::WouldBlock => break,
                Err(e) => panic!("write: {e}"),
            }
        }
    }
    assert!(posted > 4);
    served.deliver(20, "unread");
    served.assert_threads("peers that do not read");
    // The quiet peers' events were answered too (all workers kept working), and their
    // connections are cut once their replies wait unread past the read timeout.
    assert!(served.rx.stats().webhook.acks >= 20);
}
