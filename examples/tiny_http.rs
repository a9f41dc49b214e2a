//! The verifier inside your own tiny_http server.
//!
//! ```text
//! cargo run --example tiny_http --features tiny_http -- 127.0.0.1:8080 /cinnox/s3cr3t
//! ```
//!
//! Serves the webhook on ADDR (port 0: any free port) at PATH, says `listening on
//! http://HOST:PORT` on stderr once bound, answers CINNOX's URL verification, and prints
//! each event as one JSON line on stdout, the line `cinnox listen --json` prints. Only once
//! the line is written and flushed is the event answered 200; when stdout is gone it is
//! answered 500, and CINNOX delivers it again.
//!
//! Four threads take requests: one peer that sends its body slowly holds one of them.

use std::io::Write;
use std::process::ExitCode;

use cinnox::webhook::tiny_http::accept;
use cinnox::{Verdict, Webhook, WebhookConfig};

// The command's own renderer, so that the line is `cinnox listen --json`'s to the byte.
#[allow(dead_code)]
#[path = "../src/bin/cinnox/render.rs"]
mod render;

const THREADS: usize = 4;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, path] = args.as_slice() else {
        eprintln!("usage: tiny_http ADDR PATH   (e.g. 127.0.0.1:8080 /cinnox/s3cr3t)");
        return ExitCode::from(2);
    };
    let webhook = match WebhookConfig::new(path) {
        Ok(config) => Webhook::new(config),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match tiny_http::Server::http(addr.as_str()) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match server.server_addr().to_ip() {
        Some(bound) => eprintln!("listening on http://{bound}"),
        None => eprintln!("listening on {}", server.server_addr()),
    }

    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| serve(&server, &webhook));
        }
    });
    ExitCode::SUCCESS
}

/// Take requests until the server stops.
fn serve(server: &tiny_http::Server, webhook: &Webhook) {
    for request in server.incoming_requests() {
        // Challenges, refusals and duplicates are answered inside `accept`.
        let pending = match accept(webhook, request) {
            Ok(Some(pending)) => pending,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("an answer could not be sent: {e}");
                continue;
            }
        };
        let mut v = render::json(pending.event());
        v["acked"] = true.into();
        let mut out = std::io::stdout().lock();
        let printed = writeln!(out, "{v}").and_then(|()| out.flush());
        drop(out);
        let verdict = match printed {
            Ok(()) => Verdict::Handled,
            Err(_) => Verdict::Failed,
        };
        if let Err(e) = pending.finish(verdict) {
            eprintln!("an answer could not be sent: {e}");
        }
    }
}
