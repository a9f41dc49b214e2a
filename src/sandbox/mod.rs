//! A local stand-in for CINNOX's side of the event API, for development and tests.
//!
//! [`Sandbox::start`] serves `PATCH /v1/api/apps/{appID}/{slug}` on 127.0.0.1 the way the
//! spec says CINNOX does: it checks the App Token, runs the URL-verification handshake
//! against the webhook URL, keeps the subscriptions per app and family, and answers with
//! CINNOX's JSON. [`Sandbox::trigger`] then POSTs notifications to the subscribed URLs,
//! redelivering on failure, and records every attempt.
//!
//! ```no_run
//! use cinnox::sandbox::{CallNotification, Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::builder().app("my-app", "my-token").build()?)?;
//! // Hand sandbox.base_url() to a `cinnox::Client`, subscribe a receiver's URL, then:
//! for record in sandbox.trigger(&CallNotification::start().build()) {
//!     println!("{} after {} attempt(s)", record.delivered(), record.attempts.len());
//! }
//! # Ok::<(), cinnox::Error>(())
//! ```
//!
//! # How it answers
//!
//! | case | HTTP | `code` | `message` |
//! |---|---|---|---|
//! | subscribed / unsubscribed | 200 | 0 | `result`: `enabled`, `url`, `updatedAt`¹ |
//! | not `PATCH`, unknown route or slug | 400 | 6450001 | `method: {method} url: {url}` |
//! | no or malformed `Authorization: Bearer` | 400 | 6452000 | `invalid token` |
//! | token of no configured app | 400 | 6452000 | `invalid token` |
//! | unknown app (with a token of another app) | 400 | 6452001 | `invalid appID` |
//! | token of another app | 400 | 6452000 | `invalid token` |
//! | over the rate limit | 429 + `Retry-After` | 6451010 | `Too many requests` |
//! | bad body, URL, or failed verification | 400 | 6451000 | what was wrong |
//!
//! ¹ Not for the two contact families, whose documentation lists only `enabled` and `url`.
//!
//! The checks run in that order. The spec leaves the HTTP status of each code open; the
//! sandbox uses 400 for all but the rate limit, which gets 429 and a `Retry-After` (in whole
//! seconds) so that both ways a client may detect it are exercised. Every request that gets
//! past authentication counts against its app's limit (default 500 a minute, a sliding
//! window); refused requests do not count.
//!
//! `enabled: true` verifies the URL first ([`verify_url`] runs the same check on its own): the
//! sandbox POSTs `{"challenge":"<52 random letters and digits>"}` and accepts only HTTP 200
//! with a `Content-Type` of `application/json` whose body, read as JSON, is an object
//! with `"code": 0` and `"result": {"challenge": <the same string>}` (whitespace, member
//! order, escapes and extra members do not matter; `result` as a string holding JSON is
//! refused). Anything else (another status, another body, no answer within the verify
//! timeout, connection refused) fails the PATCH with 6451000 and a message saying what the
//! receiver answered. The message never quotes the URL, whose path may be a secret.
//! `enabled: false` removes the family's subscription without a handshake (the `url` must
//! still be a valid URL, as both fields are required).
//!
//! One URL per app and family: subscribing again replaces the URL.
//!
//! # The control endpoint
//!
//! Tests written in other languages trigger notifications over HTTP, on the same server:
//! `POST /_sandbox/trigger/{call-start|call-end|inbound-sms|delivery-report}`, outside
//! CINNOX's `/v1/api/` routes. The body is empty or a JSON object of field overrides
//! (`{"content":"Is the shop open?"}`; the names are [`NotificationKind::fields`]); the
//! query may add `app=ID` (only that app's subscription) and `variant=NAME` (repeatable:
//! `numbers-as-json-numbers`, `callees-as-array`, `without-envelope`). The answer comes
//! once every delivery is done (redeliveries included):
//! `{"code":0,"result":{"deliveries":[{"app_id":"…","delivered":true,"statuses":[200]}]}}`.
//! An unknown notification is 404 with 6450001; an unknown field, variant or parameter is
//! 400 with 6451000.

mod config;
mod http;
mod journal;
mod named;
mod notification;
mod outbound;
mod records;
mod server;
mod time;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use config::{SandboxConfig, SandboxConfigBuilder};
pub use journal::{LogEntry, LogEvent};
pub use named::NotificationKind;
pub use notification::{
    CallNotification, CallParty, DeliveryReportNotification, InboundSmsNotification, Notification,
    WireVariant, DEFAULT_APP_ID, DEFAULT_SERVICE_ID,
};
pub use outbound::{send, verify_url, Verification};
pub use records::{Attempt, DeliveryRecord, SubscriptionRecord};

use config::RateLimit;

use crate::{Error, ErrorKind, EventKind, Result};

/// The per-app state.
struct App {
    token: String,
    subscriptions: BTreeMap<EventKind, Sub>,
    /// When the requests of the current rate window came in, oldest first.
    window: VecDeque<Instant>,
}

#[derive(Clone)]
struct Sub {
    url: String,
    updated_at: String,
}

/// What the server threads and the `Sandbox` share.
struct Shared {
    apps: Mutex<HashMap<String, App>>,
    deliveries: Mutex<Vec<DeliveryRecord>>,
    /// What happened, in order (see [`Sandbox::take_log`]).
    log: Mutex<Vec<LogEntry>>,
    rate_limit: Option<RateLimit>,
    verify_timeout: Duration,
    delivery_timeout: Duration,
    redelivery: Vec<Duration>,
    verify_agent: ureq::Agent,
    delivery_agent: ureq::Agent,
}

impl Shared {
    fn apps(&self) -> MutexGuard<'_, HashMap<String, App>> {
        // A panic while holding the lock leaves consistent data (every update is one
        // statement), so a poisoned lock is used as it is.
        self.apps.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn deliveries(&self) -> MutexGuard<'_, Vec<DeliveryRecord>> {
        self.deliveries.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Add `event` to the log, stamped now. Called with the apps lock held for a
    /// subscription change, so that the log has the changes in the order they were made
    /// (the log's lock is always taken last).
    fn record(&self, event: LogEvent) {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.push(LogEntry::now(event));
    }

    fn deliver(&self, only: Option<&str>, n: &Notification) -> Vec<DeliveryRecord> {
        let targets: Vec<(String, String)> = {
            let apps = self.apps();
            let mut t: Vec<(String, String)> = apps
                .iter()
                .filter(|(id, _)| only.is_none_or(|o| o == id.as_str()))
                .filter_map(|(id, app)| {
                    app.subscriptions
                        .get(n.kind())
                        .map(|s| (id.clone(), s.url.clone()))
                })
                .collect();
            t.sort();
            t
        };
        let mut records = Vec::with_capacity(targets.len());
        for (app_id, url) in targets {
            let record = self.deliver_one(app_id, url, n);
            log::debug!(
                "sandbox: {} to app {} {} after {} attempt(s)",
                n.kind().short_name(),
                record.app_id,
                if record.delivered() {
                    "delivered"
                } else {
                    "not delivered"
                },
                record.attempts.len()
            );
            self.deliveries().push(record.clone());
            self.record(LogEvent::Delivery(record.clone()));
            records.push(record);
        }
        records
    }

    fn deliver_one(&self, app_id: String, url: String, n: &Notification) -> DeliveryRecord {
        let sh = self;
        let first = Instant::now();
        let mut attempts = Vec::new();
        let mut delays = sh.redelivery.iter();
        loop {
            let attempt =
                outbound::attempt(&sh.delivery_agent, &url, n.body(), sh.delivery_timeout);
            let done = attempt.succeeded();
            attempts.push(attempt);
            match delays.next() {
                Some(delay) if !done => std::thread::sleep(*delay),
                _ => break,
            }
        }
        DeliveryRecord {
            app_id,
            kind: n.kind().clone(),
            url,
            body: n.body().to_vec(),
            attempts,
            latency: first.elapsed(),
        }
    }
}

/// A local CINNOX stand-in: the subscription API on 127.0.0.1 and a notification sender.
///
/// `Send + Sync`. Dropping it stops the server and waits for its threads.
pub struct Sandbox {
    shared: Arc<Shared>,
    server: http::Server,
    addr: SocketAddr,
    base_url: String,
}

impl Sandbox {
    /// Bind and start serving (the configuration was checked when it was built).
    /// `ErrorKind::Io` when the address cannot be bound.
    pub fn start(config: SandboxConfig) -> Result<Sandbox> {
        let mut apps = HashMap::new();
        for (id, token) in &config.apps {
            apps.insert(id.clone(), App::new(token));
        }
        let listener = TcpListener::bind(config.bind).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot bind the sandbox to {}: {e}", config.bind),
            )
            .with_source(e)
        })?;
        let addr = listener.local_addr().map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read the bound address: {e}"))
        })?;
        let shared = Arc::new(Shared {
            apps: Mutex::new(apps),
            deliveries: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            rate_limit: config.rate_limit,
            verify_timeout: config.verify_timeout,
            delivery_timeout: config.delivery_timeout,
            redelivery: config.redelivery,
            verify_agent: outbound::agent(config.verify_timeout),
            delivery_agent: outbound::agent(config.delivery_timeout),
        });
        let for_server = Arc::clone(&shared);
        let handler = Box::new(move |request: &http::Request| server::handle(request, &for_server));
        let server = http::Server::start(listener, server::MAX_BODY, handler).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot start the sandbox server: {e}"),
            )
            .with_source(e)
        })?;
        Ok(Sandbox {
            shared,
            server,
            base_url: format!("http://{addr}"),
            addr,
        })
    }

    /// What to give a `Client` as its base URL: `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accept one more App ID with its App Token (an existing ID gets the new token and
    /// keeps its subscriptions). An action at run time, for tests that add apps as they go;
    /// the others are given to [`SandboxConfigBuilder::app`]. `ErrorKind::InvalidArgument`
    /// when either is empty.
    pub fn add_app(&self, app_id: &str, app_token: &str) -> Result<()> {
        check_app(app_id, app_token)?;
        let mut apps = self.shared.apps();
        match apps.get_mut(app_id) {
            Some(app) => app.token = app_token.to_owned(),
            None => {
                apps.insert(app_id.to_owned(), App::new(app_token));
            }
        }
        Ok(())
    }

    /// The subscriptions held now, ordered by App ID and family.
    pub fn subscriptions(&self) -> Vec<SubscriptionRecord> {
        let apps = self.shared.apps();
        let mut out: Vec<SubscriptionRecord> = apps
            .iter()
            .flat_map(|(app_id, app)| {
                app.subscriptions
                    .iter()
                    .map(|(kind, sub)| SubscriptionRecord {
                        app_id: app_id.clone(),
                        kind: kind.clone(),
                        url: sub.url.clone(),
                        updated_at: sub.updated_at.clone(),
                    })
            })
            .collect();
        out.sort_by(|a, b| (&a.app_id, &a.kind).cmp(&(&b.app_id, &b.kind)));
        out
    }

    /// Every delivery made so far, in order.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.shared.deliveries().clone()
    }

    /// Every delivery made so far, in order, and forget them (the log otherwise grows for
    /// as long as the sandbox runs).
    pub fn take_deliveries(&self) -> Vec<DeliveryRecord> {
        std::mem::take(&mut *self.shared.deliveries())
    }

    /// What happened since the last call, in order, and forget it: every subscription
    /// made or removed, every subscription request refused (with why: which token was
    /// wrong, what the URL answered to the challenge) and every delivery, each stamped
    /// with its time. `cinnox sandbox` prints these lines. The log grows for as long as
    /// the sandbox runs unless taken.
    pub fn take_log(&self) -> Vec<LogEntry> {
        std::mem::take(&mut *self.shared.log.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Deliver `notification` to every URL subscribed to its family (of every app), one
    /// after the other, redelivering each on failure as configured. Blocks until done and
    /// returns what happened to each (empty when nothing is subscribed).
    ///
    /// Like CINNOX, it waits for the receiver's answer, and the receiver answers only once
    /// the application has answered the event. So the application must take events on
    /// **another thread** than the one calling `trigger`: called on the thread that would
    /// then call `recv`, `trigger` waits out the delivery timeout for every attempt (5 s
    /// each by default, 20 s with the default redeliveries) and returns failures, and each
    /// of those attempts is then waiting in the receiver's queue as a separate delivery of
    /// the same event. They are stale: their connections were closed by the sandbox, so
    /// answering them changes nothing on the wire (a receiver with a dedup window hands out
    /// each again until one is acknowledged).
    pub fn trigger(&self, notification: &Notification) -> Vec<DeliveryRecord> {
        self.shared.deliver(None, notification)
    }

    /// [`Self::trigger`], but only to the subscription of `app_id`.
    pub fn trigger_for(&self, app_id: &str, notification: &Notification) -> Vec<DeliveryRecord> {
        self.shared.deliver(Some(app_id), notification)
    }

    /// [`Self::trigger`] with a raw JSON body for family `kind`. `ErrorKind::InvalidArgument`
    /// when `json` is not JSON.
    pub fn trigger_json(&self, kind: EventKind, json: &str) -> Result<Vec<DeliveryRecord>> {
        Ok(self.trigger(&Notification::json(kind, json)?))
    }

    /// Stop serving and wait for the server threads (also done on drop). In-flight
    /// handshakes finish first (at most the verify timeout).
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.server.stop();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl App {
    fn new(token: &str) -> App {
        App {
            token: token.to_owned(),
            subscriptions: BTreeMap::new(),
            window: VecDeque::new(),
        }
    }
}

fn check_app(app_id: &str, token: &str) -> Result<()> {
    if app_id.is_empty() {
        return Err(Error::invalid_argument("the App ID is empty"));
    }
    if token.is_empty() {
        return Err(Error::invalid_argument("the App Token is empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shareable_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Sandbox>();
        send_sync::<Notification>();
        send_sync::<DeliveryRecord>();
    }
}
