//! [`ClientBuilder`]: the client's settings, checked once by [`ClientBuilder::build`].

use std::fmt;
use std::time::Duration;

use ureq::http::Uri;

use super::scrub::REDACTED;
use std::sync::Arc;

use super::answer::truncate_chars;
use super::{Client, Counters, Inner, RetryPolicy};
use crate::urls::redact_url;
use crate::urls::webhook_url_problem;
use crate::{Error, Result};

/// Configures a [`Client`]. Made by [`Client::builder`]; nothing is checked until
/// [`build`](ClientBuilder::build).
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    app_token: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    proxy_from_env: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("app_token", &REDACTED)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("proxy_from_env", &self.proxy_from_env)
            .finish()
    }
}

impl ClientBuilder {
    /// The defaults; see [`Client::builder`].
    pub(super) fn new(base_url: &str, app_token: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            app_token: app_token.to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            user_agent: concat!("cinnox/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            proxy_from_env: true,
        }
    }

    /// Connect timeout (default 10 s): DNS, TCP and TLS set-up of one attempt.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }
    /// Timeout of each step of one attempt after connecting (default 30 s): sending the
    /// request head, sending its body, waiting for the reply's head, reading the reply's
    /// body. A stalled server is cut off after at most this long in any step; an attempt
    /// takes at most the connect timeout plus four times this. With retries, a call can take
    /// up to `max_attempts` times that plus the delays.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// The `User-Agent` header (default `cinnox/<version>`).
    pub fn user_agent(mut self, ua: &str) -> Self {
        self.user_agent = ua.to_owned();
        self
    }
    /// The retry policy (default [`RetryPolicy::default`]; [`RetryPolicy::none`] turns
    /// retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Whether to use a proxy named by the `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` and
    /// `NO_PROXY` environment variables (default `true`). `false` always connects directly.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy_from_env = yes;
        self
    }
    /// Validate the settings and build the client.
    ///
    /// Fails with [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when the base URL is not an absolute
    /// `http`/`https` URL (or carries user info, a query or a fragment), the App Token is
    /// empty or holds whitespace, control or non-ASCII characters, the user agent is not a
    /// valid header value, a timeout is zero, or `max_attempts` is 0.
    pub fn build(self) -> Result<Client> {
        let base = normalize_base_url(&self.base_url)?;
        validate_token(&self.app_token)?;
        if self.user_agent.is_empty() || !self.user_agent.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(Error::invalid_argument(
                "the user agent must be non-empty printable ASCII",
            ));
        }
        if self.connect_timeout.is_zero() || self.timeout.is_zero() {
            return Err(Error::invalid_argument("timeouts must be longer than zero"));
        }

        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(self.connect_timeout))
            // Per step rather than `timeout_global`: ureq re-arms the socket timeouts with
            // the remaining global time on every read and write, which tripled the CPU cost
            // of a kept-alive PATCH (benches/client.rs); step timeouts keep a stall bounded
            // without that.
            .timeout_send_request(Some(self.timeout))
            .timeout_send_body(Some(self.timeout))
            .timeout_recv_response(Some(self.timeout))
            .timeout_recv_body(Some(self.timeout))
            .user_agent(self.user_agent.as_str())
            // A redirect would re-send the token elsewhere or drop the PATCH body; report it.
            .max_redirects(0);
        if !self.proxy_from_env {
            config = config.proxy(None);
        }
        let agent = config.build().new_agent();

        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                base,
                authorization: format!("Bearer {}", self.app_token),
                token: self.app_token,
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                user_agent: self.user_agent,
                retry: self.retry,
                counters: Counters::default(),
            }),
        })
    }
}

/// `scheme://authority` of a normalized base URL, for messages.
pub(super) fn origin_of(base: &str) -> &str {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    }
}

/// Check a base URL and bring it to `scheme://authority[/prefix]` without a trailing slash.
pub(super) fn normalize_base_url(base: &str) -> Result<String> {
    let uri: Uri = base.parse().map_err(|e| {
        Error::invalid_argument(format!(
            "the base URL does not parse as a URL ({e}); expected e.g. https://host/"
        ))
    })?;
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let scheme = match scheme.as_deref() {
        Some(s @ ("http" | "https")) => s.to_owned(),
        _ => {
            return Err(Error::invalid_argument(
                "the base URL must be an absolute http or https URL, e.g. https://host/",
            ))
        }
    };
    let Some(authority) = uri.authority() else {
        return Err(Error::invalid_argument("the base URL has no host"));
    };
    if authority.as_str().contains('@') {
        return Err(Error::invalid_argument(
            "the base URL must not carry user info; the App Token authenticates",
        ));
    }
    if authority.host().is_empty() {
        return Err(Error::invalid_argument("the base URL has no host"));
    }
    if uri.query().is_some() || base.contains('#') {
        return Err(Error::invalid_argument(
            "the base URL must not have a query or a fragment",
        ));
    }
    let prefix = uri.path().trim_end_matches('/');
    Ok(format!("{scheme}://{}{prefix}", authority.as_str()))
}

pub(super) fn validate_token(token: &str) -> Result<()> {
    if token.is_empty() {
        return Err(Error::invalid_argument("the App Token is empty"));
    }
    if !token.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(Error::invalid_argument(
            "the App Token contains whitespace, a control character or a non-ASCII \
             character, which an HTTP header cannot carry",
        ));
    }
    Ok(())
}

/// A webhook URL must be an absolute http or https URL with a host.
pub(super) fn validate_webhook_url(url: &str) -> Result<()> {
    if url.is_empty() {
        return Err(Error::invalid_argument("the webhook URL is empty"));
    }
    match webhook_url_problem(url) {
        None => Ok(()),
        Some(why) => Err(Error::invalid_argument(format!(
            "the webhook URL {:?} {why}",
            truncate_chars(&redact_url(url), 100)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn base_urls_normalize() {
        for (given, want) in [
            ("https://h.example", "https://h.example"),
            ("https://h.example/", "https://h.example"),
            (
                "HTTPS://h.example:8443/proxy/",
                "https://h.example:8443/proxy",
            ),
            ("http://127.0.0.1:9/a/b", "http://127.0.0.1:9/a/b"),
        ] {
            assert_eq!(normalize_base_url(given).unwrap(), want, "{given}");
        }
        for bad in [
            "",
            "h.example",
            "/v1",
            "ftp://h.example/",
            "https://",
            "https://u:p@h.example/",
            "https://h.example/?x=1",
            "https://h.example/#f",
            "https://h example/",
        ] {
            let e = normalize_base_url(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
            assert!(!e.to_string().contains("u:p"), "{e}");
        }
    }

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(origin_of("https://h.example:1/p/q"), "https://h.example:1");
        assert_eq!(origin_of("http://h"), "http://h");
    }
}
