//! `cinnox sandbox`: the CINNOX stand-in as a server for programs in any language.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use cinnox::{Sandbox, SandboxConfig};

use crate::Outcome;

#[derive(clap::Args)]
pub struct Args {
    /// The address to serve on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// An app and its token, ID:TOKEN (repeatable). Default: demo-app:demo-token.
    #[arg(long = "app", value_parser = app)]
    apps: Vec<(String, String)>,
}

fn app(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((id, token)) if !id.is_empty() && !token.is_empty() => {
            Ok((id.to_owned(), token.to_owned()))
        }
        _ => Err("expected ID:TOKEN".to_owned()),
    }
}

pub fn run(a: Args) -> Outcome {
    let mut config = SandboxConfig::new().bind(a.bind);
    let apps = if a.apps.is_empty() {
        vec![("demo-app".to_owned(), "demo-token".to_owned())]
    } else {
        a.apps
    };
    for (id, token) in &apps {
        config = config.app(id, token);
    }
    let sandbox = Sandbox::start(config)?;
    println!("sandbox {}", sandbox.base_url());
    for (id, _) in &apps {
        println!("app {id}");
    }
    let (stop_tx, stop_rx) = mpsc::channel();
    crate::on_interrupt(move || {
        let _ = stop_tx.send(());
    })?;
    // One line per subscription change and per delivery, until Ctrl-C.
    let mut seen = BTreeSet::new();
    loop {
        let subs: BTreeSet<(String, String, String)> = sandbox
            .subscriptions()
            .into_iter()
            .map(|s| (s.app_id, s.kind.short_name().to_owned(), s.updated_at))
            .collect();
        for (app, family, at) in subs.difference(&seen) {
            println!("subscribed   app {app} {family} (updatedAt {at})");
        }
        for (app, family, _) in seen.difference(&subs) {
            if !subs.iter().any(|(a, f, _)| a == app && f == family) {
                println!("unsubscribed app {app} {family}");
            }
        }
        seen = subs;
        for d in sandbox.take_deliveries() {
            let statuses: Vec<String> = d
                .statuses()
                .iter()
                .map(|s| s.map_or("-".to_owned(), |n| n.to_string()))
                .collect();
            println!(
                "delivery     app {} {} {} after {} attempt(s) (HTTP {})",
                d.app_id,
                d.kind.short_name(),
                if d.delivered() {
                    "delivered"
                } else {
                    "not delivered"
                },
                d.attempts.len(),
                statuses.join(", ")
            );
        }
        if stop_rx.recv_timeout(Duration::from_millis(100)).is_ok() {
            break;
        }
    }
    sandbox.shutdown();
    println!("sandbox stopped");
    Ok(true)
}
