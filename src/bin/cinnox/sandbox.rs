//! `cinnox sandbox`: the CINNOX stand-in as a server for programs in any language.

use std::io::Write;
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
    let mut config = SandboxConfig::builder().bind(a.bind);
    let apps = if a.apps.is_empty() {
        vec![("demo-app".to_owned(), "demo-token".to_owned())]
    } else {
        a.apps
    };
    for (id, token) in &apps {
        config = config.app(id, token);
    }
    // Ctrl-C works from the moment the base URL is printed.
    let (stop_tx, stop_rx) = mpsc::channel();
    crate::on_interrupt(move || {
        let _ = stop_tx.send(());
    })?;
    let sandbox = Sandbox::start(config.build()?)?;
    println!("sandbox {}", sandbox.base_url());
    for (id, _) in &apps {
        println!("app {id}");
    }
    // One line per subscription change, refused subscription and delivery, in the order
    // they happened, until Ctrl-C.
    let print = |sandbox: &Sandbox| {
        let mut out = std::io::stdout().lock();
        for entry in sandbox.take_log() {
            let _ = writeln!(out, "{entry}");
        }
        let _ = out.flush();
        // The log has them; the sandbox's own record of deliveries would only grow.
        drop(sandbox.take_deliveries());
    };
    while let Err(mpsc::RecvTimeoutError::Timeout) =
        stop_rx.recv_timeout(Duration::from_millis(100))
    {
        print(&sandbox);
    }
    print(&sandbox);
    sandbox.shutdown();
    println!("sandbox stopped");
    Ok(true)
}
