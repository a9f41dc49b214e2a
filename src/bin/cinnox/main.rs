//! `cinnox`: subscribe, listen, verify, trigger and run the sandbox from a shell.
//!
//! A thin shell over the library: every command calls its public API. Exit status: 0 on
//! success, 1 on failure, 2 on bad usage.

mod inbox;
mod listen;
mod logging;
mod render;
mod sandbox;
mod subscribe;
#[path = "../../sandbox/time.rs"]
#[allow(dead_code)]
mod time;
mod trigger;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Take part in CINNOX's event subscriptions from a shell.
#[derive(Parser)]
#[command(name = "cinnox", version, about, long_about = None)]
#[command(after_help = "\
Examples:
  cinnox sandbox --app demo-app:demo-token          # a local CINNOX stand-in
  cinnox listen --bind 127.0.0.1:8080 --path /cinnox/s3cret --json
  cinnox subscribe call inbound-sms --url http://127.0.0.1:8080/cinnox/s3cret
  cinnox trigger inbound-sms --sandbox http://127.0.0.1:PORT --set content=hello")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log more on stderr: -v every refusal with its reason (debug), -vv trace. RUST_LOG
    /// (e.g. RUST_LOG=cinnox::webhook=debug) sets the levels in detail.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

/// Where CINNOX is and who is asking; the token is never printed.
#[derive(clap::Args)]
pub struct Credentials {
    /// The Open API base URL shown in the CINNOX dashboard.
    #[arg(long, env = "CINNOX_BASE_URL")]
    base_url: Option<String>,
    /// The App ID.
    #[arg(long = "app", env = "CINNOX_APP_ID")]
    app_id: Option<String>,
    /// The App Token (prefer the environment variable: a command line is visible to others).
    #[arg(long, env = "CINNOX_APP_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl Credentials {
    /// The base URL, App ID and App Token; a usage error naming each option and
    /// environment variable that is missing (or empty).
    pub fn get(&self) -> Result<(&str, &str, &str), Usage> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        let (base, app, token) = (
            given(&self.base_url),
            given(&self.app_id),
            given(&self.token),
        );
        if let (Some(base), Some(app), Some(token)) = (base, app, token) {
            return Ok((base, app, token));
        }
        let missing: Vec<&str> = [
            (base.is_none(), "CINNOX_BASE_URL (or --base-url)"),
            (app.is_none(), "CINNOX_APP_ID (or --app)"),
            (token.is_none(), "CINNOX_APP_TOKEN (or --token)"),
        ]
        .into_iter()
        .filter_map(|(absent, what)| absent.then_some(what))
        .collect();
        Err(Usage(format!(
            "missing credentials: set {}",
            missing.join(", ")
        )))
    }
}

/// Bad usage that clap cannot see: reported as `error: …` with exit status 2.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

#[derive(Subcommand)]
enum Command {
    /// Subscribe a webhook URL to event families.
    #[command(after_help = "\
Families: call, inbound-sms, outbound-sms, inquiry, recording, external-contact,
staff-contact, label, inquiry-label (or their slugs, e.g. call-event-sub).

Example:
  CINNOX_BASE_URL=https://… CINNOX_APP_ID=… CINNOX_APP_TOKEN=… \\
    cinnox subscribe call inbound-sms --url https://you.example/cinnox/s3cret")]
    Subscribe(subscribe::Args),
    /// Remove the subscriptions of event families.
    #[command(after_help = "\
Example:
  cinnox unsubscribe --all")]
    Unsubscribe(subscribe::UnArgs),
    /// Run a webhook receiver and print, forward or hand each event to a command.
    #[command(after_help = "\
Examples:
  cinnox listen --bind 0.0.0.0:8080 --path /cinnox/s3cret
  cinnox listen --bind 127.0.0.1:8080 --path /cinnox/s3cret --json
  cinnox listen --bind 127.0.0.1:8080 --path /cinnox/s3cret --forward-to http://127.0.0.1:3000/hook
  cinnox listen --bind 127.0.0.1:8080 --path /cinnox/s3cret --exec 'jq . >> events.jsonl'
  cinnox listen --bind 0.0.0.0:8080 --path /cinnox/s3cret --inbox cinnox-inbox.db --exec ./handle.sh")]
    Listen(listen::Args),
    /// Check a webhook URL the way CINNOX does before accepting it.
    #[command(after_help = "\
Example:
  cinnox verify https://you.example/cinnox/s3cret")]
    Verify(trigger::VerifyArgs),
    /// Send one realistic notification to a URL, or through a running sandbox.
    #[command(after_help = "\
Kinds: call-start, call-end, inbound-sms, delivery-report.

Examples:
  cinnox trigger call-start --to http://127.0.0.1:8080/cinnox/s3cret --set caller_number=+85291234567
  cinnox trigger inbound-sms --sandbox http://127.0.0.1:40000 --set content=hello
  cinnox trigger inbound-sms --to http://127.0.0.1:8080/cinnox/s3cret --json my-event.json
  cinnox trigger inbound-sms --sandbox http://127.0.0.1:40000 --json my-event.json")]
    Trigger(trigger::Args),
    /// Run the local CINNOX stand-in that programs in any language subscribe against.
    #[command(after_help = "\
Example:
  cinnox sandbox --bind 127.0.0.1:40000 --app demo-app:demo-token

It prints one line per subscription made or removed, subscription refused (with why) and
delivery, in the order they happened, each with its time (RFC 3339, UTC).

Control endpoints (for tests in any language), on the same server:
  POST /_sandbox/trigger/{call-start|call-end|inbound-sms|delivery-report}[?app=ID&variant=NAME]
  with an optional JSON object of field overrides, e.g. {\"content\":\"hello\"};
  POST /_sandbox/deliver/{FAMILY}[?app=ID] with the whole notification (JSON) as the body.")]
    Sandbox(sandbox::Args),
    /// Look into a durable inbox, replay, purge, or consume it as a worker.
    #[command(after_help = "\
Examples:
  cinnox inbox stats --inbox cinnox-inbox.db
  cinnox inbox list --inbox cinnox-inbox.db
  cinnox inbox show 42 --inbox cinnox-inbox.db
  cinnox inbox replay --dead --inbox cinnox-inbox.db
  cinnox inbox purge --older-than-hours 72 --inbox cinnox-inbox.db
  cinnox inbox work --inbox cinnox-inbox.db --exec ./handle-event.sh")]
    Inbox(inbox::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rust_log = std::env::var("RUST_LOG").ok();
    logging::init(
        cli.verbose,
        rust_log.as_deref().filter(|s| !s.trim().is_empty()),
    );
    let result = match cli.command {
        Command::Subscribe(a) => subscribe::subscribe(a),
        Command::Unsubscribe(a) => subscribe::unsubscribe(a),
        Command::Listen(a) => listen::run(a),
        Command::Verify(a) => trigger::verify(a),
        Command::Trigger(a) => trigger::run(a),
        Command::Sandbox(a) => sandbox::run(a),
        Command::Inbox(a) => inbox::run(a),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is::<Usage>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// What a command gives back: `Ok(true)` success, `Ok(false)` a failure already reported,
/// `Err` a failure to report.
pub type Outcome = Result<bool, Box<dyn std::error::Error>>;

/// Stop on Ctrl-C (and SIGTERM): call `stop` once, from the signal-handling thread.
pub fn on_interrupt(stop: impl Fn() + Send + 'static) -> Result<(), Box<dyn std::error::Error>> {
    ctrlc::set_handler(stop).map_err(|e| format!("cannot handle Ctrl-C: {e}").into())
}

/// A ureq failure in words: an `https://` URL for a plain-HTTP server says so (rustls
/// alone says `received corrupt message of type InvalidContentType`).
pub fn transport_words(e: &ureq::Error) -> String {
    let text = e.to_string();
    if text.contains("corrupt message of type InvalidContentType") {
        "the server answered in plain HTTP, not HTTPS: use http:// instead of https://".to_owned()
    } else {
        text
    }
}

/// An absolute `http://` or `https://` URL with a host, for clap.
pub fn http_url(text: &str) -> Result<String, String> {
    let uri: ureq::http::Uri = text
        .parse()
        .map_err(|_| "not a URL (expected e.g. http://127.0.0.1:3000/hook)".to_owned())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(text.to_owned()),
        _ => Err(
            "not an absolute http:// or https:// URL (e.g. http://127.0.0.1:3000/hook)".to_owned(),
        ),
    }
}

/// A wait in words: `350 ms`, `10 s`, `5 min 20 s`, `1 h 4 min`.
pub fn human_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    let s = d.as_secs();
    match s {
        0 => format!("{ms} ms"),
        1..=59 if ms % 1000 != 0 => format!("{:.1} s", d.as_secs_f64()),
        1..=59 => format!("{s} s"),
        60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ if s % 3600 / 60 == 0 => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}
