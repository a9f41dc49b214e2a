//! Real `cinnox` processes for the crash and restart tests: start, kill, post events over
//! raw sockets, and read what the handlers logged.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use cinnox::Inbox;

pub const EXE: &str = env!("CARGO_BIN_EXE_cinnox");
pub const PATH: &str = "/cinnox/crash";
/// Long enough that no live handler outlives its lease on a loaded machine (an event held
/// past its lease is handed out again, which would count as a double handling here).
pub const LEASE_MS: &str = "2000";

pub fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cinnox-crash-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Each handled event's raw body, appended to `log` in one write.
pub fn handler(log: &Path) -> String {
    format!("printf '%s\\n' \"$(cat)\" >> '{}'", log.display())
}

/// What each started process wrote to stderr, by pid: shown when a test fails.
type Kept = Arc<Mutex<Vec<u8>>>;
static STDERR: Mutex<Vec<(u32, Kept)>> = Mutex::new(Vec::new());

/// Start `cinnox` with `args`; wait for its first stderr line (`listening on …` or
/// `working on …`) and return it with the process. The rest of its stderr is kept (see
/// [`stderr_of`]).
pub fn start(args: &[String]) -> (Child, String) {
    let mut child = Command::new(EXE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cinnox");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let kept = Arc::new(Mutex::new(first.clone().into_bytes()));
    STDERR.lock().unwrap().push((child.id(), kept.clone()));
    // Keep draining stderr so the child never blocks on it.
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = err.read(&mut buf) {
            kept.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (child, first.trim().to_owned())
}

/// The last lines process `child` wrote to stderr (for a failure message).
pub fn stderr_of(child: &Child) -> String {
    let all = STDERR.lock().unwrap();
    let Some((_, kept)) = all.iter().rev().find(|(pid, _)| *pid == child.id()) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&kept.lock().unwrap()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Panic, with what it wrote, when `child` is no longer running.
pub fn assert_running(child: &mut Child, what: &str) {
    if let Ok(Some(status)) = child.try_wait() {
        panic!("{what} exited ({status}):\n{}", stderr_of(child));
    }
}

/// A free port on 127.0.0.1 below the kernel's ephemeral range, for a process that is
/// restarted on the same port: no `bind(…:0)` and no outgoing connection of another test
/// can take it while the process is down (an ephemeral port can be).
pub fn fixed_port() -> u16 {
    let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    // Spread the tests of concurrent binaries, and of this one, over the range below it.
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let call = CALLS.fetch_add(1, Ordering::SeqCst);
    let span = u32::from(low.saturating_sub(10_000)).max(1);
    let seed = std::process::id()
        .wrapping_mul(7919)
        .wrapping_add(call * 101);
    let mut port = 10_000 + (seed % span) as u16;
    for _ in 0..span {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
        port = if port + 1 >= low { 10_000 } else { port + 1 };
    }
    panic!("no free port below {low}");
}

/// Runs its closure when dropped, also when unwinding from a failed assertion.
pub struct OnDrop<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// Events sent so far, for the thread that kills processes to wait on (without spinning
/// on the two cores the senders, receivers and workers share); `stop` asks the senders to
/// end early (the test is failing).
#[derive(Default)]
pub struct Progress {
    state: Mutex<(usize, bool)>,
    changed: Condvar,
    stopped: AtomicBool,
}

impl Progress {
    /// One more event sent.
    pub fn add(&self) {
        self.state.lock().unwrap().0 += 1;
        self.changed.notify_all();
    }

    /// The sending is over.
    pub fn finish(&self) {
        self.state.lock().unwrap().1 = true;
        self.changed.notify_all();
    }

    /// Ask the senders to end early.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Wait until `at` events were sent or the sending is over; `check` runs every 100 ms
    /// meanwhile (to notice a process that died).
    pub fn wait_for(&self, at: usize, mut check: impl FnMut()) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.0 < at && !state.1 {
            check();
            state = self
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Wait until the sending is over, running `check` as [`Progress::wait_for`] does.
    pub fn wait_finished(&self, check: impl FnMut()) {
        self.wait_for(usize::MAX, check);
    }
}

pub fn kill9(child: &mut Child) {
    // SAFETY: a plain kill(2) of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
}

pub fn event(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","eventDescription":"NewInboundSMS","senderNumber":"85291234567","recipientNumber":"85223456789","receiveTime":"2026-11-28T00:00:00.000Z","contentType":"Text","content":"crash test"}}"#
    )
}

/// POST one event on `conn` (reconnecting when needed); true when answered 200. Never
/// retries the event itself: a failure is the sender's loss, as with CINNOX.
pub fn post(conn: &mut Option<TcpStream>, addr: SocketAddr, body: &str) -> bool {
    post_status(conn, addr, body, Duration::from_secs(20)) == Some(200)
}

/// POST one event; the status, `None` without an answer. Connecting again waits up to
/// `reconnect` for a restarted receiver (the event is sent once it is up: only an event
/// already on the wire when the process died is the sender's loss).
pub fn post_status(
    conn: &mut Option<TcpStream>,
    addr: SocketAddr,
    body: &str,
    reconnect: Duration,
) -> Option<u16> {
    let deadline = Instant::now() + reconnect;
    while conn.is_none() {
        *conn = TcpStream::connect(addr).ok();
        match conn {
            Some(s) => {
                let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
            }
            None if Instant::now() >= deadline => break,
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let s = conn.as_mut()?;
    let request = format!(
        "POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let status = if s.write_all(request.as_bytes()).is_ok() {
        read_status(s)
    } else {
        None
    };
    if status.is_none() {
        *conn = None;
    }
    status
}

pub fn read_status(s: &mut TcpStream) -> Option<u16> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = text.get(9..12)?.parse().ok()?;
    let len: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some(status)
}

/// Wait (on the inbox's real state) until nothing is pending or in flight, while the
/// `handlers` that do the handling keep running (a failure shows what they wrote).
pub fn drained_by(location: &str, handlers: &mut [&mut Child]) {
    let inbox = Inbox::open(location).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let c = inbox.stats().unwrap();
        if c.pending == 0 && c.in_flight == 0 {
            assert_eq!(c.dead, 0, "no event may die: the handler never fails");
            return;
        }
        for h in handlers.iter_mut() {
            assert_running(h, "a handling process");
        }
        if Instant::now() >= deadline {
            let said: Vec<String> = handlers.iter().map(|h| stderr_of(h)).collect();
            panic!(
                "not drained: {c:?}; the handling processes said:\n{}",
                said.join("\n--\n")
            );
        }
        // Poll the file's real state: the handling happens in other processes.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How often each id was handled, from the log.
pub fn handled(log: &Path) -> HashMap<String, usize> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut counts = HashMap::new();
    for part in text.split("\"id\":\"").skip(1) {
        if let Some(end) = part.find('"') {
            *counts.entry(part[..end].to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

pub fn listen_args(location: &str) -> Vec<String> {
    [
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--path",
        PATH,
        "--inbox",
        location,
        "--store-only",
    ]
    .map(String::from)
    .to_vec()
}

pub fn work_args(location: &str, log: &Path) -> Vec<String> {
    vec![
        "inbox".into(),
        "work".into(),
        "--inbox".into(),
        location.into(),
        "--lease-ms".into(),
        LEASE_MS.into(),
        "--exec".into(),
        handler(log),
    ]
}

pub fn listening(first: &str) -> SocketAddr {
    first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .parse()
        .unwrap()
}
