//! Logs for C: `cinnox_set_log_callback`.

use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, RwLock};

use super::{call, cinnox_result, cut_at_nul, Failure};

/// An error: something failed and was not recovered (an event could not be stored, ...).
pub const CINNOX_LOG_ERROR: u32 = 1;
/// A warning: an operator should look (a handler panicked, an event is dead, connections
/// are refused at the cap, a subscription change failed).
pub const CINNOX_LOG_WARN: u32 = 2;
/// Information: start and stop, challenges answered, handler failures, retries. Quiet in
/// normal operation.
pub const CINNOX_LOG_INFO: u32 = 3;
/// Debug: every refusal with its reason and peer, timeouts, duplicates.
pub const CINNOX_LOG_DEBUG: u32 = 4;
/// Trace: the most detail. No level above trace ever carries the App Token, the webhook
/// path, message content or phone numbers.
pub const CINNOX_LOG_TRACE: u32 = 5;

/// A log callback: `level` is one of `CINNOX_LOG_ERROR` … `CINNOX_LOG_TRACE`, `target` the
/// part of the library (e.g. `"cinnox::receiver"`), `message` the line. Both strings are
/// valid for the call only: copy what you keep. May be called on any thread of the library
/// (receiver, inbox writer, worker threads) and on the threads calling into it,
/// concurrently. It must return (no `longjmp`, no C++ exception); a log line written by
/// the library from inside the callback (it calls back into cinnox) is dropped.
pub type cinnox_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: u32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, u32, *const c_char, *const c_char),
    userdata: usize,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static INSTALL: Once = Once::new();
/// Whether the bridge is the process's logger (set once, inside `INSTALL`).
static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Inside the callback on this thread: lines logged now are dropped (no re-entry).
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

struct CLogger;

static LOGGER: CLogger = CLogger;

impl log::Log for CLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        // Only the library's own lines: its dependencies (ureq logs request URLs at debug)
        // follow rules of their own.
        if IN_CALLBACK.with(Cell::get) || !record.target().starts_with("cinnox") {
            return;
        }
        let sink = SINK.read().unwrap_or_else(|e| e.into_inner());
        let Some(sink) = sink.as_ref() else {
            return;
        };
        let target = cut_at_nul(record.target());
        let message = cut_at_nul(&record.args().to_string());
        let level = record.level() as u32; // Error = 1 … Trace = 5
        IN_CALLBACK.with(|c| c.set(true));
        // A panic cannot come from C; the callback's own behaviour is the caller's promise.
        // SAFETY: the callback and userdata were given together by cinnox_set_log_callback,
        // and both strings live until it returns.
        unsafe {
            (sink.callback)(
                sink.userdata as *mut c_void,
                level,
                target.as_ptr(),
                message.as_ptr(),
            )
        };
        IN_CALLBACK.with(|c| c.set(false));
    }

    fn flush(&self) {}
}

/// Send the library's log lines at `max_level` and above (`CINNOX_LOG_ERROR` …
/// `CINNOX_LOG_TRACE`; 0 turns logging off) to `callback`, with `userdata` as its first
/// argument; NULL `callback` turns logging off. Process-wide and replaceable at any time
/// (a line being delivered to the previous callback finishes first). Thread-safe.
///
/// Only the library's own lines are forwarded (targets `cinnox…`), not those of the crates
/// it is built on. The library logs through Rust's `log` facade; this installs the bridge
/// to C on the first call. `CINNOX_ERR_OTHER` when the process already has another Rust logger (a
/// Rust program embedding cinnox: use that logger instead), `CINNOX_ERR_INVALID_ARGUMENT`
/// for a level above 5.
#[no_mangle]
pub unsafe extern "C" fn cinnox_set_log_callback(
    max_level: u32,
    callback: cinnox_log_callback,
    userdata: *mut c_void,
) -> cinnox_result {
    call(|| {
        if max_level > CINNOX_LOG_TRACE {
            return Err(Failure::invalid(format!(
                "log level {max_level} is above CINNOX_LOG_TRACE (5)"
            )));
        }
        INSTALL.call_once(|| {
            INSTALLED.store(log::set_logger(&LOGGER).is_ok(), Ordering::Release);
        });
        if !INSTALLED.load(Ordering::Acquire) {
            return Err(Failure::new(
                cinnox_result::CINNOX_ERR_OTHER,
                "another logger is installed in this process",
            ));
        }
        let level = match (callback, max_level) {
            (None, _) | (_, 0) => log::LevelFilter::Off,
            (Some(_), 1) => log::LevelFilter::Error,
            (Some(_), 2) => log::LevelFilter::Warn,
            (Some(_), 3) => log::LevelFilter::Info,
            (Some(_), 4) => log::LevelFilter::Debug,
            (Some(_), _) => log::LevelFilter::Trace,
        };
        let mut sink = SINK.write().unwrap_or_else(|e| e.into_inner());
        *sink = callback.map(|callback| Sink {
            callback,
            userdata: userdata as usize,
        });
        log::set_max_level(level);
        Ok(())
    })
}
