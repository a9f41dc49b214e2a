//! `cinnox listen`: the receiver, with each event printed, forwarded or handed to a command.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cinnox::inbox::InboxConfig;
use cinnox::receiver::ReceiverConfig;
use cinnox::{
    Delivery, ErrorKind, Event, Inbox, InboxAttempt, Receiver, ReceiverStats, WebhookConfig,
};

use crate::{render, Outcome};

#[derive(clap::Args)]
pub struct Args {
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// The webhook path: the secret part of the URL you subscribe (e.g. /cinnox/s3cret).
    #[arg(long)]
    path: String,
    #[command(flatten)]
    handling: Handling,
    /// Events handled at once.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Store each event in this inbox (a file, or a postgres:// URL) before answering 200;
    /// events are then handled from the inbox, with retries and dead letters.
    #[arg(long)]
    inbox: Option<String>,
    /// With --inbox: only store events; worker processes (`cinnox inbox work`) handle them.
    #[arg(long, requires = "inbox")]
    store_only: bool,
    /// With --inbox: how long a handler may hold an event before it is handed out again
    /// (a process that dies gives its events back after this long).
    #[arg(long, requires = "inbox", default_value_t = 60_000)]
    lease_ms: u64,
    #[command(flatten)]
    schedule: Schedule,
    /// Serve GET /metrics (Prometheus text) on this IP:port, apart from the webhook port;
    /// keep it on a loopback or private address.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,
}

/// The inbox's retry schedule, shared by `listen --inbox` and `inbox work`.
#[derive(clap::Args)]
pub struct Schedule {
    /// With an inbox: attempts in all before an event is dead (kept, and replayable).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_attempts: u32,
    /// With an inbox: the wait after the first failed attempt, doubled after each next one
    /// (at most an hour, or this if longer).
    #[arg(long, value_name = "MS", default_value_t = 5_000)]
    pub first_retry_ms: u64,
}

impl Schedule {
    /// The inbox settings: this schedule and `lease`.
    pub fn config(&self, lease: Duration) -> cinnox::Result<InboxConfig> {
        let first = Duration::from_millis(self.first_retry_ms);
        let retry = cinnox::inbox::RetrySchedule::builder()
            .max_attempts(self.max_attempts)
            .first_delay(first)
            .max_delay(first.max(Duration::from_secs(3600)))
            .build()?;
        InboxConfig::builder().retry(retry).lease(lease).build()
    }
}

/// What to do with each event, shared with `cinnox inbox work`.
#[derive(clap::Args)]
pub struct Handling {
    /// Print each event as one JSON object per line (kind, id, dedup key, fields, raw).
    #[arg(long)]
    pub json: bool,
    /// POST each event's raw body to this URL; a 2xx answer acknowledges it.
    #[arg(long, value_name = "URL", value_parser = crate::http_url, conflicts_with = "exec")]
    pub forward_to: Option<String>,
    /// Run this shell command per event, the raw body on stdin and the kind in
    /// CINNOX_EVENT_KIND (call-start, call-end, inbound-sms, delivery-report, other); exit
    /// status 0 acknowledges it. Its output goes to stderr.
    #[arg(long)]
    pub exec: Option<String>,
}

/// What happens to each event.
pub enum Action {
    Print,
    Forward(ureq::Agent, String),
    Exec(String),
}

impl Handling {
    /// The action these options ask for.
    pub fn action(&self) -> Action {
        match (&self.forward_to, &self.exec) {
            (Some(url), _) => {
                let agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(30)))
                    .build()
                    .new_agent();
                Action::Forward(agent, url.clone())
            }
            (None, Some(cmd)) => Action::Exec(cmd.clone()),
            (None, None) => Action::Print,
        }
    }
}

pub fn run(a: Args) -> Outcome {
    let action = a.handling.action();
    let json = a.handling.json;
    let mut config = ReceiverConfig::builder(WebhookConfig::new(&a.path)?);
    if let Some(location) = &a.inbox {
        let lease = Duration::from_millis(a.lease_ms.max(1));
        let inbox = Inbox::open_with(location, &a.schedule.config(lease)?)?;
        config = config.inbox(inbox);
    }
    if let Some(addr) = a.metrics {
        config = config.metrics_addr(addr);
    }
    let receiver = Receiver::bind(a.bind.as_str(), config.build()?)?;
    // Ctrl-C works from the moment the address is printed.
    let handle = receiver.shutdown_handle();
    let (stop_tx, stopped) = std::sync::mpsc::channel();
    crate::on_interrupt(move || {
        handle.shutdown();
        let _ = stop_tx.send(());
    })?;
    eprintln!("listening on {}", receiver.local_addr());
    if let Some(at) = receiver.metrics_addr() {
        eprintln!("metrics on http://{at}/metrics");
    }
    let handled = Handled::default();
    let tally = match (a.store_only, a.inbox.is_some()) {
        (true, _) => Tally::StoreOnly,
        (false, true) => Tally::Inbox(&handled),
        (false, false) => Tally::Receiver,
    };
    // Challenges never reach the handler: show them, and the counts on a terminal, from the
    // receiver's counters.
    let done = AtomicBool::new(false);
    let terminal = std::io::stderr().is_terminal();
    let served = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            watch(
                || counts(&receiver.stats(), &tally),
                &receiver,
                &done,
                terminal,
            )
        });
        let served = if a.store_only {
            let _ = stopped.recv();
            receiver.shutdown();
            Ok(())
        } else if let Some(location) = &a.inbox {
            // From the inbox: each delivery knows its attempt, and a failure keeps its reason.
            let workers: Vec<_> = (0..a.workers.max(1))
                .map(|_| {
                    s.spawn(|| loop {
                        match receiver.recv() {
                            Ok(d) => {
                                let ok = handle_delivery(d, &action, json, location);
                                handled.count_ok(ok);
                            }
                            Err(e) if e.kind() == ErrorKind::Closed => return Ok(()),
                            Err(e) => return Err(e),
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .try_for_each(|w| w.join().unwrap_or(Ok(())))
        } else {
            receiver.serve(a.workers, |event| {
                let result = handle_event(event, &action, json);
                handled.count(&result);
                result
            })
        };
        done.store(true, Ordering::Release);
        let _ = watcher.join();
        served
    });
    served?;
    eprintln!("shut down: {}", counts(&receiver.stats(), &tally));
    Ok(true)
}

/// The handler's answers, counted by the command: with an inbox, the receiver's own
/// `acks` and `fails` stay 0 (it answers 200 once an event is stored, and the handler's
/// answer goes to the inbox).
#[derive(Default)]
struct Handled {
    acked: AtomicU64,
    failed: AtomicU64,
}

impl Handled {
    fn count(&self, result: &Result<(), String>) {
        self.count_ok(result.is_ok());
    }

    fn count_ok(&self, ok: bool) {
        let n = if ok { &self.acked } else { &self.failed };
        n.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the counts say about acks.
enum Tally<'a> {
    /// No inbox: the receiver's counters (its answers are the handler's).
    Receiver,
    /// An inbox and a handler: what was stored, and what the handler answered.
    Inbox(&'a Handled),
    /// An inbox and no handler: what was stored.
    StoreOnly,
}

fn counts(st: &ReceiverStats, tally: &Tally<'_>) -> String {
    let w = &st.webhook;
    let refused = w.refused_not_found
        + w.refused_method
        + w.refused_too_large
        + w.refused_media_type
        + w.refused_forbidden
        + w.refused_bad_request
        + st.malformed_requests;
    let stored = w.events.saturating_sub(st.store_failures);
    let answers = match tally {
        Tally::Receiver => format!("acked {}, failed {}", w.acks, w.fails),
        Tally::Inbox(h) => format!(
            "stored {stored}, acked {}, failed {}",
            h.acked.load(Ordering::Relaxed),
            h.failed.load(Ordering::Relaxed)
        ),
        Tally::StoreOnly => format!("stored {stored}"),
    };
    format!(
        "received {}, {answers}, duplicates {}, refused {}, challenges {}",
        w.events, w.duplicates, refused, w.challenges
    )
}

/// Print the challenges answered (see [`ChallengeLines`]) and, on a terminal, a status line
/// with the counts.
fn watch(counts: impl Fn() -> String, receiver: &Receiver, done: &AtomicBool, terminal: bool) {
    let mut lines = ChallengeLines::new(CHALLENGE_WINDOW, CHALLENGE_BURST);
    let print = |line: String| eprintln!("{line}");
    while !done.load(Ordering::Acquire) {
        lines.update(
            receiver.stats().webhook.challenges,
            Instant::now(),
            &mut |l| {
                if terminal {
                    eprint!("\r\x1b[K");
                }
                print(l);
            },
        );
        if terminal {
            eprint!("\r{}\x1b[K", counts());
            let _ = std::io::stderr().flush();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if terminal {
        eprintln!();
    }
    lines.update(
        receiver.stats().webhook.challenges,
        Instant::now(),
        &mut |l| print(l),
    );
    lines.finish(Instant::now(), &mut |l| print(l));
}

/// How long one window of challenge lines lasts.
const CHALLENGE_WINDOW: Duration = Duration::from_secs(10);
/// Challenges shown one line each at the start of a window.
const CHALLENGE_BURST: u64 = 10;

/// One line per challenge answered would be a flood under a burst (CINNOX, or anyone who
/// knows the URL, may send many): the first `burst` challenges of a window get a line each
/// (`challenge answered`), the rest one line when the window ends (`answered N more
/// challenges in the last 10 s`). A window starts with the first challenge after one ended.
struct ChallengeLines {
    window: Duration,
    burst: u64,
    /// Challenges accounted for.
    seen: u64,
    /// When the current window started, and the challenges in it.
    current: Option<(Instant, u64)>,
}

impl ChallengeLines {
    fn new(window: Duration, burst: u64) -> ChallengeLines {
        ChallengeLines {
            window,
            burst,
            seen: 0,
            current: None,
        }
    }

    /// Account for the challenges up to `total` (the receiver's counter), at `now`.
    fn update(&mut self, total: u64, now: Instant, out: &mut dyn FnMut(String)) {
        if let Some((started, _)) = self.current {
            if now.duration_since(started) >= self.window {
                self.finish(started + self.window, out);
            }
        }
        let new = total.saturating_sub(self.seen);
        self.seen = total.max(self.seen);
        if new == 0 {
            return;
        }
        let (_, in_window) = self.current.get_or_insert((now, 0));
        let own_lines = new.min(self.burst.saturating_sub(*in_window));
        *in_window += new;
        for _ in 0..own_lines {
            out("challenge answered".to_owned());
        }
    }

    /// End the current window at `now`: one line for the challenges not shown yet.
    fn finish(&mut self, now: Instant, out: &mut dyn FnMut(String)) {
        let Some((started, in_window)) = self.current.take() else {
            return;
        };
        let more = in_window.saturating_sub(self.burst);
        if more > 0 {
            let secs = now
                .duration_since(started)
                .as_millis()
                .div_ceil(1000)
                .clamp(1, self.window.as_secs().max(1).into());
            let noun = if more == 1 { "challenge" } else { "challenges" };
            out(format!("answered {more} more {noun} in the last {secs} s"));
        }
    }
}

/// Handle one event: `Ok` acknowledges it (200), `Err` fails it (500: delivered again).
pub fn handle_event(event: &Event, action: &Action, json: bool) -> Result<(), String> {
    handle(event, action, json, None)
}

/// A delivery taken from the inbox at `location`: handled, its line printed with where it
/// stands (attempt N of M, a retry or the dead letter), then acked or failed with the reason.
pub fn handle_delivery(delivery: Delivery, action: &Action, json: bool, location: &str) -> bool {
    let at = delivery.inbox_attempt().map(|a| (a, location));
    match handle(delivery.event(), action, json, at) {
        Ok(()) => {
            delivery.ack();
            true
        }
        Err(why) => {
            delivery.fail_with(why);
            false
        }
    }
}

/// `(attempt 2 of 8)`, `(attempt 2 of 8; retried in 10 s)` or the dead letter's words.
fn attempt_words(a: &InboxAttempt, location: &str, ok: bool) -> String {
    let n = format!("attempt {} of {}", a.attempt, a.max_attempts);
    match (ok, a.retry_in) {
        (true, _) => format!("({n})"),
        (false, Some(d)) => format!("({n}; retried in {})", crate::human_duration(d)),
        (false, None) => format!(
            "({n}: dead; `cinnox inbox show {id} --inbox {location}` shows it, \
             `cinnox inbox replay {id} --inbox {location}` tries it again)",
            id = a.id
        ),
    }
}

fn handle(
    event: &Event,
    action: &Action,
    json: bool,
    at: Option<(InboxAttempt, &str)>,
) -> Result<(), String> {
    let result = match action {
        Action::Print => Ok(()),
        Action::Forward(agent, url) => match agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(event.raw())
        {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!(
                "the forward target answered HTTP {}",
                r.status().as_u16()
            )),
            Err(e) => Err(format!(
                "the forward target could not be reached: {}",
                crate::transport_words(&e)
            )),
        },
        Action::Exec(cmd) => exec(cmd, event),
    };
    let mut out = std::io::stdout().lock();
    if json {
        let mut v = render::json(event);
        v["acked"] = result.is_ok().into();
        if let Err(why) = &result {
            v["error"] = why.as_str().into();
        }
        if let Some((a, _)) = &at {
            v["inbox_id"] = a.id.into();
            v["attempt"] = a.attempt.into();
            v["max_attempts"] = a.max_attempts.into();
            if result.is_err() {
                v["dead"] = a.retry_in.is_none().into();
                if let Some(d) = a.retry_in {
                    v["retry_in_ms"] = u64::try_from(d.as_millis()).unwrap_or(u64::MAX).into();
                }
            }
        }
        let _ = writeln!(out, "{v}");
    } else {
        let verdict = match &result {
            Ok(()) => "acked".to_owned(),
            Err(why) => format!("failed: {why}"),
        };
        let stands = at
            .map(|(a, location)| format!(" {}", attempt_words(&a, location, result.is_ok())))
            .unwrap_or_default();
        let _ = writeln!(out, "{}  -> {verdict}{stands}", render::line(event));
    }
    let _ = out.flush();
    result
}

/// The most bytes of a failed command's stderr kept in its failure (the end of it).
const STDERR_TAIL: usize = 500;

fn exec(cmd: &str, event: &Event) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("CINNOX_EVENT_KIND", render::kind(event))
        .stdin(Stdio::piped())
        // Its output goes to stderr, so that stdout stays one line (or object) per event.
        .stdout(stderr_for_child())
        // Its stderr is passed on as it comes, and its end kept for the failure's reason.
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the command: {e}"))?;
    let relay = child
        .stderr
        .take()
        .map(|err| std::thread::spawn(move || relay_tail(err)));
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is fine.
        let _ = stdin.write_all(event.raw());
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for the command: {e}"))?;
    let tail = relay.and_then(|r| r.join().ok()).unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let how = match (
        status.code(),
        std::os::unix::process::ExitStatusExt::signal(&status),
    ) {
        (Some(code), _) => format!("the command exited with status {code}"),
        (None, Some(sig)) => format!("the command was killed by signal {sig}"),
        (None, None) => format!("the command ended with {status}"),
    };
    let tail = tail.trim();
    if tail.is_empty() {
        Err(how)
    } else {
        Err(format!("{how}; its stderr ended with: {tail}"))
    }
}

/// Copy `from` to this process's stderr as it arrives; the last [`STDERR_TAIL`] bytes, as
/// text on one line.
fn relay_tail(mut from: impl std::io::Read) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let _ = std::io::stderr().write_all(&buf[..n]);
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
        }
    }
    String::from_utf8_lossy(&tail)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn stderr_for_child() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &mut ChallengeLines, steps: &[(u64, u64)], at: Instant) -> Vec<String> {
        let mut out = Vec::new();
        for (total, ms) in steps {
            lines.update(*total, at + Duration::from_millis(*ms), &mut |l| {
                out.push(l)
            });
        }
        out
    }

    #[test]
    fn a_burst_gets_its_first_lines_then_one_line_per_window() {
        let t = Instant::now();
        let mut lines = ChallengeLines::new(Duration::from_secs(10), 3);
        // Two challenges, then 1,000 in one poll, then more in the same window.
        let out = run(&mut lines, &[(2, 0), (1002, 100), (1500, 9_000)], t);
        assert_eq!(out, ["challenge answered"; 3]);
        // The window ends: one line for the 1,497 not shown, then a new window starts.
        let out = run(&mut lines, &[(1501, 10_000), (1600, 10_100)], t);
        assert_eq!(
            out,
            [
                "answered 1497 more challenges in the last 10 s",
                "challenge answered",
                "challenge answered",
                "challenge answered"
            ]
        );
        let mut out = Vec::new();
        lines.finish(t + Duration::from_millis(12_500), &mut |l| out.push(l));
        assert_eq!(out, ["answered 97 more challenges in the last 3 s"]);
    }

    #[test]
    fn quiet_windows_print_nothing_more() {
        let t = Instant::now();
        let mut lines = ChallengeLines::new(Duration::from_secs(10), 10);
        let out = run(&mut lines, &[(1, 0), (2, 50), (2, 20_000), (3, 30_000)], t);
        assert_eq!(out, ["challenge answered"; 3]);
        let mut out = Vec::new();
        lines.finish(t + Duration::from_secs(31), &mut |l| out.push(l));
        assert!(out.is_empty(), "{out:?}");
    }
}
