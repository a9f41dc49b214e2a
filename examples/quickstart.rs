//! `cargo run --example quickstart`: the whole CINNOX event flow in a few seconds.
//!
//! With no configuration it runs everything on this machine: a CINNOX sandbox, a webhook
//! `Receiver` on a secret random path, and a `Client` that subscribes the receiver to the
//! call, inbound-SMS and outbound-SMS families (the sandbox verifies the URL, as CINNOX
//! does). The sandbox then sends a call start, a call end, an inbound SMS and a delivery
//! report; the application prints each event as it gets it. One event is failed on purpose
//! to show the sandbox delivering it again. Then it unsubscribes and exits 0.
//!
//! Against CINNOX, set all four of
//!
//! - `CINNOX_BASE_URL`: the API base URL of your account (dashboard),
//! - `CINNOX_APP_ID`, `CINNOX_APP_TOKEN`: the App ID and App Token (dashboard),
//! - `CINNOX_WEBHOOK_URL`: the public URL CINNOX should POST to; it must reach this program,
//!   e.g. through a reverse proxy or a tunnel. Its path is the path the receiver answers on.
//!
//! and optionally `CINNOX_LISTEN` (the receiver's bind address, default `0.0.0.0:8080`).
//! It then subscribes for real and prints events until Ctrl-C (or SIGTERM), after which it
//! unsubscribes and exits. The signal handler only sets a flag, which the main loop checks.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cinnox::event::{DeliveryStatus, Party, Payload};
use cinnox::inbox::{Inbox, InboxConfig, RetrySchedule};
use cinnox::receiver::Delivery;
use cinnox::receiver::ReceiverConfig;
use cinnox::sandbox::{
    CallNotification, DeliveryReportNotification, InboundSmsNotification, Notification,
    SandboxConfig,
};
use cinnox::{Client, ErrorKind, Event, EventKind, Receiver, Sandbox, WebhookConfig};

const FAMILIES: [EventKind; 3] = [
    EventKind::Call,
    EventKind::InboundSms,
    EventKind::OutboundSms,
];
const ENV: [&str; 4] = [
    "CINNOX_BASE_URL",
    "CINNOX_APP_ID",
    "CINNOX_APP_TOKEN",
    "CINNOX_WEBHOOK_URL",
];

/// Width of the label column of every output line.
const W: usize = 14;

type Failure = String;

fn main() -> ExitCode {
    let set: Vec<Option<String>> = ENV
        .iter()
        .map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .collect();
    let result = if set.iter().all(Option::is_none) {
        local()
    } else if let [Some(base), Some(app), Some(token), Some(hook)] = set.as_slice() {
        against_cinnox(base, app, token, hook)
    } else {
        let missing: Vec<&str> = ENV
            .iter()
            .zip(&set)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        eprintln!(
            "error: set all of {} to use CINNOX, or none to use the local sandbox (missing: {})",
            ENV.join(", "),
            missing.join(", ")
        );
        return ExitCode::from(2);
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Everything on this machine: sandbox, receiver, client.
fn local() -> Result<(), Failure> {
    let started = Instant::now();
    println!("cinnox quickstart: a local CINNOX sandbox and a receiver on this machine");
    println!("(set {} to use CINNOX)", ENV.join(", "));
    println!();

    let app_id = "quickstart-app";
    let token = format!("tok-{}", random_hex());
    let config = SandboxConfig::builder()
        .app(app_id, &token)
        .verify_timeout(Duration::from_secs(2))
        .delivery_timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| format!("cannot configure the sandbox: {e}"))?;
    let sandbox = Sandbox::start(config).map_err(|e| format!("cannot start the sandbox: {e}"))?;

    // The webhook path carries a secret: only CINNOX (here: the sandbox) knows the URL.
    let path = format!("/cinnox/{}", random_hex());
    let receiver = Receiver::bind(
        "127.0.0.1:0",
        WebhookConfig::new(&path).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot start the receiver: {e}"))?;
    let hook = format!("http://{}{path}", receiver.local_addr());
    let receiver = Arc::new(receiver);

    line("sandbox", sandbox.base_url());
    line(
        "receiver",
        &format!("http://{}/cinnox/…", receiver.local_addr()),
    );
    println!();

    // The application: print each event, ack it, except when told to fail the next one.
    let fail_next = Arc::new(AtomicBool::new(false));
    let app = {
        let (receiver, fail_next) = (receiver.clone(), fail_next.clone());
        std::thread::spawn(move || {
            // The identity of the event failed on purpose, to recognise its redelivery.
            let mut failed = None;
            loop {
                match receiver.recv() {
                    Ok(delivery) => {
                        let line = describe(delivery.event());
                        let key = delivery.dedup_key();
                        if fail_next.swap(false, Ordering::SeqCst) {
                            println!("{line}  -> failed (HTTP 500)");
                            failed = Some(key);
                            delivery.fail();
                        } else if failed.as_ref() == Some(&key) {
                            println!("{line}  -> redelivered, acked");
                            delivery.ack();
                        } else {
                            println!("{line}");
                            delivery.ack();
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::Closed => break,
                    Err(e) => {
                        eprintln!("error: the receiver stopped: {e}");
                        break;
                    }
                }
            }
        })
    };

    let client = Client::builder(sandbox.base_url(), &token)
        .proxy_from_env(false)
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;

    println!("subscribe (the sandbox verifies the URL first, like CINNOX)");
    subscribe_all(&client, app_id, &hook)?;
    println!();

    println!("events (as the application gets them)");
    let call = CallNotification::start();
    let sends: [Notification; 4] = [
        call.build(),
        CallNotification::end_of(&call).build(),
        InboundSmsNotification::new().build(),
        DeliveryReportNotification::new().app_id(app_id).build(),
    ];
    for n in &sends {
        deliver(&sandbox, n)?;
    }
    println!();

    println!("redelivery (the application fails the next event once)");
    fail_next.store(true, Ordering::SeqCst);
    let sms = InboundSmsNotification::new()
        .sender_number("85261234567")
        .content("Is the shop open today?")
        .build();
    let record = deliver(&sandbox, &sms)?;
    let statuses: Vec<String> = record
        .attempts
        .iter()
        .map(|a| match (a.status, &a.error) {
            (Some(s), _) => s.to_string(),
            (None, Some(e)) => e.clone(),
            (None, None) => "?".into(),
        })
        .collect();
    line(
        "sandbox",
        &format!(
            "delivered after {} attempts (HTTP {}) in {} ms",
            record.attempts.len(),
            statuses.join(", then "),
            record.latency.as_millis()
        ),
    );
    println!();

    inbox_demo(&path)?;
    println!();

    println!("unsubscribe");
    for kind in FAMILIES {
        let sub = client
            .unsubscribe(app_id, kind.clone(), &hook)
            .map_err(|e| format!("unsubscribing from {} failed: {e}", kind.name()))?;
        line(
            kind.name(),
            if sub.enabled {
                "still enabled?"
            } else {
                "removed"
            },
        );
    }
    if !sandbox.subscriptions().is_empty() {
        return Err("the sandbox still holds subscriptions".into());
    }

    receiver.shutdown();
    let _ = app.join();
    println!();
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A receiver with a durable inbox: the event is stored before it is answered 200, and a
/// failed handling is retried from the inbox (CINNOX itself documents no redelivery).
fn inbox_demo(path: &str) -> Result<(), Failure> {
    println!("durable inbox (stored before answered, retried from the inbox)");
    let file = std::env::temp_dir().join(format!("cinnox-quickstart-{}.db", random_hex()));
    let location = file.display().to_string();
    let result = (|| -> Result<(), Failure> {
        let retry = RetrySchedule::builder()
            .max_attempts(3)
            .first_delay(Duration::from_millis(50))
            .max_delay(Duration::from_millis(50))
            .build()
            .map_err(|e| e.to_string())?;
        let config = InboxConfig::builder()
            .retry(retry)
            .build()
            .map_err(|e| e.to_string())?;
        let inbox = Inbox::open_with(&location, &config)
            .map_err(|e| format!("cannot open the inbox: {e}"))?;
        let config = ReceiverConfig::builder(WebhookConfig::new(path).map_err(|e| e.to_string())?)
            .inbox(inbox.clone())
            .build()
            .map_err(|e| e.to_string())?;
        let receiver = Receiver::bind("127.0.0.1:0", config)
            .map_err(|e| format!("cannot start the receiver: {e}"))?;
        let url = format!("http://{}{path}", receiver.local_addr());
        let sms = InboundSmsNotification::new()
            .sender_number("85261234567")
            .content("Please call me back")
            .build();
        // Answered at once, on this very thread: nothing waits for the application.
        let attempt =
            cinnox::sandbox::send(&url, &sms, Duration::from_secs(5)).map_err(|e| e.to_string())?;
        line(
            "inbound SMS",
            &format!(
                "stored, answered HTTP {} before the application saw it",
                attempt.status.map_or("-".into(), |s| s.to_string())
            ),
        );
        let take = || {
            receiver
                .recv_timeout(Duration::from_secs(5))
                .map_err(|e| format!("nothing came from the inbox: {e}"))
        };
        let first = take()?;
        println!(
            "{}  -> failed, retried from the inbox",
            describe(first.event())
        );
        first.fail_with("the CRM was down");
        let second = take()?;
        println!("{}  -> acked", describe(second.event()));
        second.ack();
        let c = inbox.stats().map_err(|e| e.to_string())?;
        line(
            "inbox",
            &format!(
                "pending {}, in flight {}, done {}, dead {}",
                c.pending, c.in_flight, c.done, c.dead
            ),
        );
        Ok(())
    })();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{location}{suffix}"));
    }
    result
}

/// Trigger `n` and insist that it was delivered.
fn deliver(
    sandbox: &Sandbox,
    n: &Notification,
) -> Result<cinnox::sandbox::DeliveryRecord, Failure> {
    let mut records = sandbox.trigger(n);
    match records.pop() {
        Some(r) if r.delivered() => Ok(r),
        Some(r) => Err(format!(
            "the sandbox could not deliver a {} event: {:?}",
            n.kind().name(),
            r.attempts
        )),
        None => Err(format!("nothing is subscribed to {}", n.kind().name())),
    }
}

/// Subscribe against CINNOX and print events until Ctrl-C.
fn against_cinnox(base: &str, app_id: &str, token: &str, hook: &str) -> Result<(), Failure> {
    let listen = std::env::var("CINNOX_LISTEN").unwrap_or_else(|_| "0.0.0.0:8080".into());
    let path = hook
        .parse::<ureq::http::Uri>()
        .map_err(|e| format!("CINNOX_WEBHOOK_URL is not a URL: {e}"))?
        .path()
        .to_owned();
    println!("cinnox quickstart: CINNOX at {base}, app {app_id}");
    println!();

    let receiver = Receiver::bind(
        listen.as_str(),
        WebhookConfig::new(&path).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot start the receiver on {listen}: {e}"))?;
    line(
        "receiver",
        &format!(
            "listening on {} (path from CINNOX_WEBHOOK_URL)",
            receiver.local_addr()
        ),
    );
    let client = Client::new(base, token).map_err(|e| format!("cannot build the client: {e}"))?;
    println!();

    println!("subscribe (CINNOX verifies the URL first)");
    subscribe_all(&client, app_id, hook)?;
    println!();

    ctrl_c::install();
    println!("events (Ctrl-C to unsubscribe and stop)");
    while !ctrl_c::pressed() {
        match receiver.recv_timeout(Duration::from_millis(250)) {
            Ok(delivery) => handle(delivery),
            Err(e) if e.kind() == ErrorKind::Timeout => {}
            Err(e) => return Err(format!("the receiver stopped: {e}")),
        }
    }
    println!();

    println!("unsubscribe");
    for kind in FAMILIES {
        match client.unsubscribe(app_id, kind.clone(), hook) {
            Ok(_) => line(kind.name(), "removed"),
            Err(e) => line(kind.name(), &format!("failed: {e}")),
        }
    }
    receiver.shutdown();
    Ok(())
}

fn handle(delivery: Delivery) {
    println!("{}", describe(delivery.event()));
    delivery.ack();
}

/// Subscribe `hook` to every family the quickstart shows, one line each.
fn subscribe_all(client: &Client, app_id: &str, hook: &str) -> Result<(), Failure> {
    for kind in FAMILIES {
        let sub = client
            .subscribe(app_id, kind.clone(), hook)
            .map_err(|e| format!("subscribing to {} failed: {e}", kind.name()))?;
        let when = sub.updated_at.as_deref().unwrap_or("now");
        line(kind.name(), &format!("verified, subscribed at {when}"));
    }
    Ok(())
}

/// One aligned output line: a label column, then the text.
fn line(label: &str, text: &str) {
    println!("  {label:<W$} {text}");
}

/// One short human line for an event.
fn describe(event: &Event) -> String {
    let (label, body) = match event.payload() {
        Payload::CallStart(c) => (
            "call start",
            format!(
                "call {}  {} -> {}",
                short(c.id.as_deref()),
                party(c.caller.as_ref()),
                c.callees
                    .iter()
                    .map(|p| party(Some(p)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Payload::CallEnd(c) => ("call end", format!("call {}", short(c.id.as_deref()))),
        Payload::InboundSms(s) => (
            "inbound SMS",
            format!(
                "{} -> {}  \"{}\"",
                text(s.sender_number.as_deref()),
                text(s.recipient_number.as_deref()),
                clip(s.content.as_deref().unwrap_or(""), 40)
            ),
        ),
        Payload::OutboundSms(r) => (
            "SMS report",
            format!(
                "sms {}  to {} ({})  {}",
                short(r.transaction_id.as_deref()),
                text(r.recipient_number.as_deref()),
                text(r.recipient_country.as_deref()),
                r.status.as_ref().map_or("?", status)
            ),
        ),
        Payload::Other(o) => (
            "other event",
            format!(
                "{} {}",
                text(o.family.as_deref()),
                text(o.status.as_deref())
            ),
        ),
        #[allow(unreachable_patterns)]
        _ => ("other event", String::new()),
    };
    format!("  {label:<W$} {body}")
}

fn status(s: &DeliveryStatus) -> &str {
    match s {
        DeliveryStatus::Queued => "Queued",
        DeliveryStatus::Submitted => "Submitted",
        DeliveryStatus::Delivered => "Delivered",
        DeliveryStatus::Undelivered => "Undelivered",
        DeliveryStatus::Rejected => "Rejected",
        // `Other(text)`, and any status a later version adds (the enum is non-exhaustive).
        other => other.as_str(),
    }
}

fn party(p: Option<&Party>) -> String {
    match p {
        Some(p) => text(p.number.as_deref().or(p.eid.as_deref())).to_owned(),
        None => "?".to_owned(),
    }
}

fn text(s: Option<&str>) -> &str {
    s.unwrap_or("?")
}

/// The first 8 characters of an ID: enough to match a start with its end.
fn short(id: Option<&str>) -> String {
    let id = id.unwrap_or("?");
    clip(id, 8)
}

/// At most `n` characters, control characters escaped, `…` when cut.
fn clip(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).flat_map(char::escape_default).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

fn random_hex() -> String {
    let mut b = [0u8; 16];
    // Without OS randomness the path is less secret, not broken: it is local anyway.
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Ctrl-C (and SIGTERM) set a flag; nothing else happens in the signal handler.
mod ctrl_c {
    use std::sync::atomic::{AtomicBool, Ordering};

    static PRESSED: AtomicBool = AtomicBool::new(false);

    #[cfg(unix)]
    pub fn install() {
        extern "C" fn on_signal(_: libc::c_int) {
            PRESSED.store(true, Ordering::SeqCst);
        }
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }

    /// Elsewhere the program runs until it is killed.
    #[cfg(not(unix))]
    pub fn install() {}

    pub fn pressed() -> bool {
        PRESSED.load(Ordering::SeqCst)
    }
}
