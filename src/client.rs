//! The subscription client: `PATCH {base}/v1/api/apps/{appID}/{slug}` over ureq.
//!
//! SKELETON: public signatures are the contract other modules build on; bodies are filled in
//! by the client work (issue 2).

use std::time::Duration;

use crate::{Error, EventKind, Result};

/// How the client retries transient failures (connect errors, timeouts, HTTP 429/502/503/504,
/// code 6451010). Authentication and parameter errors are never retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The delay before the first retry; doubled for each further one, with jitter.
    pub base_delay: Duration,
    /// No single delay is longer than this (a `Retry-After` is capped by it too).
    pub max_delay: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl RetryPolicy {
    /// No retries: one attempt only.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

/// A subscription as CINNOX reports it after a PATCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Whether the subscription is active.
    pub enabled: bool,
    /// The webhook URL.
    pub url: String,
    /// When it was last changed, RFC 3339 text as sent; `None` when the family omits it.
    pub updated_at: Option<String>,
}

/// Configures a [`Client`].
pub struct ClientBuilder {
    _private: (),
}

/// The CINNOX subscription client. `Send + Sync`; clone it or share it by reference.
#[derive(Clone)]
pub struct Client {
    _private: (),
}

impl Client {
    /// A client with default settings.
    pub fn new(base_url: &str, app_token: &str) -> Result<Client> {
        Client::builder(base_url, app_token).build()
    }

    /// A builder for a client with other timeouts, user agent or retry policy.
    pub fn builder(base_url: &str, app_token: &str) -> ClientBuilder {
        let _ = (base_url, app_token);
        todo!()
    }

    /// Create, edit (`enabled = true`) or remove (`enabled = false`) a subscription.
    pub fn set_subscription(
        &self,
        app_id: &str,
        kind: EventKind,
        enabled: bool,
        url: &str,
    ) -> Result<Subscription> {
        let _ = (app_id, kind, enabled, url);
        Err(Error::invalid_argument("not yet"))
    }

    /// `set_subscription(app_id, kind, true, url)`.
    pub fn subscribe(&self, app_id: &str, kind: EventKind, url: &str) -> Result<Subscription> {
        self.set_subscription(app_id, kind, true, url)
    }

    /// `set_subscription(app_id, kind, false, url)`.
    pub fn unsubscribe(&self, app_id: &str, kind: EventKind, url: &str) -> Result<Subscription> {
        self.set_subscription(app_id, kind, false, url)
    }
}

impl ClientBuilder {
    /// Connect timeout (default 10 s).
    pub fn connect_timeout(self, d: Duration) -> Self {
        let _ = d;
        self
    }
    /// Overall timeout of one attempt (default 30 s).
    pub fn timeout(self, d: Duration) -> Self {
        let _ = d;
        self
    }
    /// The `User-Agent` header (default `cinnox/<version>`).
    pub fn user_agent(self, ua: &str) -> Self {
        let _ = ua;
        self
    }
    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(self, policy: RetryPolicy) -> Self {
        let _ = policy;
        self
    }
    /// Validate the settings and build the client.
    pub fn build(self) -> Result<Client> {
        todo!()
    }
}
