//! The command's logger: the library's `log` lines on stderr, chosen by `RUST_LOG` and
//! `-v`/`-vv`.
//!
//! Without either, warnings and errors only (an event gone dead, a store that failed); the
//! client's warning about a failed subscription change is left out there, as `subscribe`
//! reports each failure itself. `-v` adds the library's info and debug lines (every refusal
//! with its reason and peer), `-vv` its trace lines and the debug lines of the crates
//! underneath. `RUST_LOG` (env_logger's syntax, e.g. `warn,cinnox::webhook=debug`) replaces
//! the default; `-v` raises the library on top of it.
//!
//! ureq, ureq-proto and the PostgreSQL client are held at `info` whatever is asked: at
//! `debug` ureq logs request URLs, whose path is the webhook secret, and tokio-postgres the
//! parameters of its statements, which are event bodies.

use log::{LevelFilter, Log, Metadata, Record};

/// The crates whose lines above `info` may carry a secret URL or an event's content.
const CAPPED: [&str; 4] = ["ureq", "ureq_proto", "tokio_postgres", "postgres"];

/// Install the logger for `verbose` (the number of `-v`) and `rust_log` (the value of
/// `RUST_LOG`, if set and not empty).
pub fn init(verbose: u8, rust_log: Option<&str>) {
    let mut builder = env_logger::Builder::new();
    match rust_log {
        Some(filters) => {
            builder.parse_filters(filters);
        }
        None => {
            builder.filter_level(if verbose >= 2 {
                LevelFilter::Debug
            } else {
                LevelFilter::Warn
            });
            if verbose == 0 {
                builder.filter_module("cinnox::client", LevelFilter::Error);
            }
        }
    }
    match verbose {
        0 => {}
        1 => {
            builder.filter_module("cinnox", LevelFilter::Debug);
        }
        _ => {
            builder.filter_module("cinnox", LevelFilter::Trace);
        }
    }
    let logger = builder.build();
    let max = logger.filter();
    // Only fails when a logger is already installed, which this command never does twice.
    if log::set_boxed_logger(Box::new(Capped(logger))).is_ok() {
        log::set_max_level(max);
    }
}

/// env_logger's logger with [`CAPPED`] held at `info`.
struct Capped(env_logger::Logger);

fn allowed(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    let capped = CAPPED.iter().any(|c| {
        target
            .strip_prefix(c)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    });
    !capped || metadata.level() <= log::Level::Info
}

impl Log for Capped {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        allowed(metadata) && self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if allowed(record.metadata()) {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(target: &str, level: log::Level) -> bool {
        allowed(&Metadata::builder().target(target).level(level).build())
    }

    #[test]
    fn ureq_is_held_at_info_and_nothing_else_is() {
        assert!(meta("ureq", log::Level::Info));
        assert!(!meta("ureq", log::Level::Debug));
        assert!(!meta("ureq::unversioned::transport", log::Level::Trace));
        assert!(!meta("ureq_proto::client", log::Level::Debug));
        assert!(!meta("tokio_postgres::query", log::Level::Debug));
        assert!(meta("ureqx", log::Level::Debug));
        assert!(meta("cinnox::webhook", log::Level::Trace));
    }
}
