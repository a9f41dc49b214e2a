//! `cinnox listen`: the receiver, with each event printed, forwarded or handed to a command.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cinnox::receiver::ReceiverConfig;
use cinnox::{Event, Inbox, Receiver, ReceiverStats, WebhookConfig};

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
    /// Serve GET /metrics (Prometheus text) on this IP:port, apart from the webhook port;
    /// keep it on a loopback or private address.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,
}

/// What to do with each event, shared with `cinnox inbox work`.
#[derive(clap::Args)]
pub struct Handling {
    /// Print each event as one JSON object per line (kind, id, dedup key, fields, raw).
    #[arg(long)]
    pub json: bool,
    /// POST each event's raw body to this URL; a 2xx answer acknowledges it.
    #[arg(long, conflicts_with = "exec")]
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
    let mut config = ReceiverConfig::default();
    if let Some(location) = &a.inbox {
        let inbox = Inbox::open(location)?;
        inbox.set_lease(Duration::from_millis(a.lease_ms.max(1)))?;
        config = config.inbox(inbox);
    }
    config.metrics_addr = a.metrics;
    let receiver = Receiver::bind_with(a.bind.as_str(), WebhookConfig::new(&a.path), config)?;
    eprintln!("listening on {}", receiver.local_addr());
    if let Some(at) = receiver.metrics_addr() {
        eprintln!("metrics on http://{at}/metrics");
    }
    if a.store_only {
        let (tx, rx) = std::sync::mpsc::channel();
        crate::on_interrupt(move || {
            let _ = tx.send(());
        })?;
        let _ = rx.recv();
        receiver.shutdown();
        eprintln!("shut down: {}", counts(&receiver.stats()));
        return Ok(true);
    }
    let handle = receiver.shutdown_handle();
    crate::on_interrupt(move || handle.shutdown())?;

    // Challenges never reach the handler: show them, and the counts on a terminal, from the
    // receiver's counters.
    let done = AtomicBool::new(false);
    let terminal = std::io::stderr().is_terminal();
    let served = std::thread::scope(|s| {
        let watcher = s.spawn(|| watch(|| receiver.stats(), &done, terminal));
        let served = receiver.serve(a.workers, |event| handle_event(event, &action, json));
        done.store(true, Ordering::Release);
        let _ = watcher.join();
        served
    });
    served?;
    let st = receiver.stats();
    eprintln!("shut down: {}", counts(&st));
    Ok(true)
}

fn counts(st: &ReceiverStats) -> String {
    let w = &st.webhook;
    let refused = w.refused_not_found
        + w.refused_method
        + w.refused_too_large
        + w.refused_media_type
        + w.refused_forbidden
        + w.refused_bad_request
        + st.malformed_requests;
    format!(
        "received {}, acked {}, failed {}, duplicates {}, refused {}, challenges {}",
        w.events, w.acks, w.fails, w.duplicates, refused, w.challenges
    )
}

/// Print a line per challenge answered and, on a terminal, a status line with the counts.
fn watch(stats: impl Fn() -> ReceiverStats, done: &AtomicBool, terminal: bool) {
    let mut challenges = 0;
    while !done.load(Ordering::Acquire) {
        let st = stats();
        while challenges < st.webhook.challenges {
            challenges += 1;
            eprintln!("challenge answered");
        }
        if terminal {
            eprint!("\r{}\x1b[K", counts(&st));
            let _ = std::io::stderr().flush();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if terminal {
        eprintln!();
    }
}

/// Handle one event: `Ok` acknowledges it (200), `Err` fails it (500: delivered again).
pub fn handle_event(event: &Event, action: &Action, json: bool) -> Result<(), String> {
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
            Err(e) => Err(format!("the forward target could not be reached: {e}")),
        },
        Action::Exec(cmd) => exec(cmd, event),
    };
    let mut out = std::io::stdout().lock();
    if json {
        let mut v = render::json(event);
        v["acked"] = result.is_ok().into();
        let _ = writeln!(out, "{v}");
    } else {
        let verdict = match &result {
            Ok(()) => "acked".to_owned(),
            Err(why) => format!("failed: {why}"),
        };
        let _ = writeln!(out, "{}  -> {verdict}", render::line(event));
    }
    let _ = out.flush();
    result
}

fn exec(cmd: &str, event: &Event) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("CINNOX_EVENT_KIND", render::kind(event))
        .stdin(Stdio::piped())
        // Its output goes to stderr, so that stdout stays one line (or object) per event.
        .stdout(stderr_for_child())
        .spawn()
        .map_err(|e| format!("cannot run the command: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is fine.
        let _ = stdin.write_all(event.raw());
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for the command: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the command exited with {status}"))
    }
}

fn stderr_for_child() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}
