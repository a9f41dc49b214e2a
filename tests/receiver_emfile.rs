//! Out of file descriptors (`EMFILE`): the receiver evicts the connection idle the longest,
//! pauses accepting for a moment, counts it, and goes on; a normal delivery is still
//! answered 200.
//!
//! The receiver runs in this process under a lowered descriptor limit; the attacking and
//! delivering client runs in a child process (this test binary again, in `client_role`),
//! so that its sockets do not count against that limit.

#[path = "common/receiver.rs"]
mod receiver;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;

use receiver::*;

const ROLE: &str = "CINNOX_EMFILE_CLIENT_OF";
const IDLE: usize = 120;

/// The child: `IDLE` idle connections, then one event on a fresh connection; prints its
/// status.
#[test]
fn client_role() {
    let Some(addr) = std::env::var_os(ROLE) else {
        return;
    };
    let addr: std::net::SocketAddr = addr.to_str().unwrap().parse().unwrap();
    let idle: Vec<TcpStream> = (0..IDLE).map(|_| connect(addr)).collect();
    let mut c = Client::new(addr);
    let r = c.post(PATH, call_event("after-emfile").as_bytes());
    println!("status {}", r.status);
    drop(idle);
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

#[test]
fn out_of_descriptors_the_receiver_evicts_backs_off_and_goes_on() {
    if std::env::var_os(ROLE).is_some() {
        return;
    }
    let rx = Arc::new(start_default(ServerSettings {
        max_connections: Some(10_000),
        ..quick_config()
    }));
    // Room for 40 more descriptors in this process: far fewer than the child's connections.
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
    }
    let saved = lim;
    let serving = {
        let rx = Arc::clone(&rx);
        thread::spawn(move || rx.serve(1, |_| Ok::<(), String>(())).unwrap())
    };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "client_role", "--nocapture", "--test-threads=1"])
        .env(ROLE, rx.local_addr().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the client");
    let stdout = child.stdout.take().unwrap();
    lim.rlim_cur = open_fds() + 40;
    // SAFETY: as above.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    let status = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        // The harness may print its own words before ours on the same line.
        .find_map(|l| l.split_once("status ").map(|(_, s)| s.trim().to_owned()));
    // SAFETY: as above.
    unsafe {
        libc::setrlimit(libc::RLIMIT_NOFILE, &saved);
    }
    let _ = child.wait();
    let stats = rx.stats();
    rx.shutdown();
    serving.join().unwrap();
    assert_eq!(status.as_deref(), Some("200"), "{stats:?}");
    assert!(stats.fd_exhaustions > 0, "{stats:?}");
    assert!(stats.evicted_connections > 0, "{stats:?}");
}
