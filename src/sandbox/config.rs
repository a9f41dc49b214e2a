//! [`SandboxConfig`]: how a sandbox is set up.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use super::check_app;
use crate::{Error, Result};

/// A rate limit: at most `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateLimit {
    /// Requests allowed in one window (at least 1).
    pub(crate) requests: u32,
    /// The length of the sliding window.
    pub(crate) per: Duration,
}

/// How a [`Sandbox`](super::Sandbox) is set up: made by [`SandboxConfig::builder`] (or
/// [`SandboxConfig::default`]), checked by [`SandboxConfigBuilder::build`], then given to
/// [`Sandbox::start`](super::Sandbox::start).
///
/// `Debug` shows the App IDs but never their tokens.
#[derive(Clone)]
pub struct SandboxConfig {
    pub(super) bind: SocketAddr,
    pub(super) apps: Vec<(String, String)>,
    pub(super) rate_limit: Option<RateLimit>,
    pub(super) verify_timeout: Duration,
    pub(super) delivery_timeout: Duration,
    pub(super) redelivery: Vec<Duration>,
}

/// Configures a [`SandboxConfig`]: made by [`SandboxConfig::builder`] with the defaults;
/// nothing is checked until [`build`](SandboxConfigBuilder::build).
#[derive(Clone, Debug)]
pub struct SandboxConfigBuilder {
    config: SandboxConfig,
}

impl SandboxConfig {
    /// A builder with the defaults: bind `127.0.0.1:0`, no apps, 500 requests a minute per
    /// app, a verification and delivery timeout of 5 s, redelivery after 50, 100 and 200 ms.
    pub fn builder() -> SandboxConfigBuilder {
        SandboxConfigBuilder {
            config: SandboxConfig {
                bind: SocketAddr::from(([127, 0, 0, 1], 0)),
                apps: Vec::new(),
                rate_limit: Some(RateLimit {
                    requests: 500,
                    per: Duration::from_secs(60),
                }),
                verify_timeout: Duration::from_secs(5),
                delivery_timeout: Duration::from_secs(5),
                redelivery: vec![
                    Duration::from_millis(50),
                    Duration::from_millis(100),
                    Duration::from_millis(200),
                ],
            },
        }
    }

    /// The address to bind.
    pub fn bind_addr(&self) -> SocketAddr {
        self.bind
    }

    /// The App IDs accepted, in the order given.
    pub fn app_ids(&self) -> Vec<&str> {
        self.apps.iter().map(|(id, _)| id.as_str()).collect()
    }
}

impl SandboxConfigBuilder {
    /// Accept this App ID with this App Token. Repeatable; a repeated ID takes the new token.
    /// An empty ID or token fails [`build`](Self::build).
    pub fn app(mut self, app_id: &str, app_token: &str) -> Self {
        self.config
            .apps
            .push((app_id.to_owned(), app_token.to_owned()));
        self
    }
    /// The address to bind (default `127.0.0.1:0`: a free port on loopback).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.config.bind = addr;
        self
    }
    /// At most `requests` PATCH requests per app in any window of `per` (default 500 a
    /// minute, as documented for CINNOX). Zero requests or a zero window fails
    /// [`build`](Self::build).
    pub fn rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.config.rate_limit = Some(RateLimit { requests, per });
        self
    }
    /// No rate limit.
    pub fn no_rate_limit(mut self) -> Self {
        self.config.rate_limit = None;
        self
    }
    /// How long the verification handshake waits for the receiver (default 5 s).
    pub fn verify_timeout(mut self, timeout: Duration) -> Self {
        self.config.verify_timeout = timeout;
        self
    }
    /// How long one delivery attempt waits for the receiver (default 5 s).
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.config.delivery_timeout = timeout;
        self
    }
    /// The delays before each redelivery after a non-2xx answer, a timeout or a transport
    /// error; its length is the number of retries (default 50, 100, 200 ms; empty: no
    /// redelivery).
    pub fn redelivery(mut self, delays: Vec<Duration>) -> Self {
        self.config.redelivery = delays;
        self
    }
    /// The configuration, checked: [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for an empty App ID or
    /// token, and for a rate limit of zero requests or a zero window.
    pub fn build(self) -> Result<SandboxConfig> {
        if let Some(rl) = self.config.rate_limit {
            if rl.requests == 0 || rl.per.is_zero() {
                return Err(Error::invalid_argument(
                    "the rate limit must allow at least 1 request in a non-zero window",
                ));
            }
        }
        for (id, token) in &self.config.apps {
            check_app(id, token)?;
        }
        Ok(self.config)
    }
}

impl Default for SandboxConfig {
    /// The defaults of [`SandboxConfig::builder`], with no apps.
    fn default() -> Self {
        SandboxConfig::builder().config
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // App Tokens are secrets: only the App IDs are shown.
        f.debug_struct("SandboxConfig")
            .field("bind", &self.bind)
            .field("apps", &self.app_ids())
            .field("rate_limit", &self.rate_limit)
            .field("verify_timeout", &self.verify_timeout)
            .field("delivery_timeout", &self.delivery_timeout)
            .field("redelivery", &self.redelivery)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_hides_tokens() {
        let c = SandboxConfig::builder()
            .app("app-1", "tok-secret")
            .build()
            .unwrap();
        let d = format!("{c:?}");
        assert!(d.contains("app-1"), "{d}");
        assert!(!d.contains("tok-secret"), "{d}");
    }
}
