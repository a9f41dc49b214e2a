//! The one error type of the crate.
//!
//! Every fallible function returns [`Error`]: a [`ErrorKind`] to branch on, a message a
//! person can act on, and, where CINNOX (or a proxy in front of it) answered, the HTTP status
//! and the CINNOX API code and message. Secrets never appear in an error.

use std::fmt;

/// What class of failure an [`Error`] is. Stable: new kinds may be added, existing ones keep
/// their meaning (and their number in the C ABI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was rejected before anything was sent: empty app ID or token, a URL that
    /// is not absolute http(s), a base URL that does not parse, a bad configuration value.
    InvalidArgument,
    /// The request did not get an HTTP answer: DNS, connect, TLS, connection reset.
    Transport,
    /// A deadline passed: connect or overall timeout of a request, or a `recv_timeout`.
    Timeout,
    /// CINNOX answered with an error object (`{"code": …, "message": …}`).
    /// [`Error::http_status`], [`Error::api_code`] and [`Error::api_message`] say which.
    Api,
    /// The answer was not the documented JSON: empty body, an HTML page from a proxy,
    /// `{"code":0}` without `result`, garbage with a 200. The message quotes the start.
    UnexpectedResponse,
    /// An incoming notification could not be read: not JSON, not an object, invalid UTF-8,
    /// nested too deep, a phone number that would lose digits.
    BadRequest,
    /// A local I/O failure: binding a socket, reading a certificate file.
    Io,
    /// The object was shut down: a receiver after `shutdown()`, a delivery already answered.
    Closed,
}

impl ErrorKind {
    /// A short lower-case name of the kind, as used in [`Error`]'s `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Api => "CINNOX API error",
            ErrorKind::UnexpectedResponse => "unexpected response",
            ErrorKind::BadRequest => "bad request",
            ErrorKind::Io => "I/O error",
            ErrorKind::Closed => "closed",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The CINNOX API codes the documentation names (spec, section 1).
pub mod api_code {
    /// `method: {method} url: {url}`: the slug or route is unknown.
    pub const METHOD_NOT_FOUND: i64 = 6_450_001;
    /// A parameter was wrong (many messages).
    pub const PARAMETER_ERROR: i64 = 6_451_000;
    /// Bad response from the service: an internal error on CINNOX's side.
    pub const INTERNAL: i64 = 6_451_001;
    /// Too many requests: the rate limit (500 a minute per service account).
    pub const TOO_MANY_REQUESTS: i64 = 6_451_010;
    /// No records found.
    pub const NO_RECORDS: i64 = 6_451_011;
    /// The App Token was refused.
    pub const INVALID_TOKEN: i64 = 6_452_000;
    /// The App ID is unknown.
    pub const INVALID_APP_ID: i64 = 6_452_001;
    /// Tag not found.
    pub const TAG_NOT_FOUND: i64 = 3_000_203;
    /// Destination not found.
    pub const DESTINATION_NOT_FOUND: i64 = 3_000_205;
}

/// The error of every fallible operation of this crate.
///
/// ```
/// # use cinnox::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::InvalidArgument, "app ID is empty");
/// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
/// assert_eq!(e.to_string(), "invalid argument: app ID is empty");
/// ```
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
    api_code: Option<i64>,
    api_message: Option<String>,
    retry_after: Option<std::time::Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error of `kind` with a human message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            http_status: None,
            api_code: None,
            api_message: None,
            retry_after: None,
            source: None,
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`] error.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for an [`ErrorKind::BadRequest`] error.
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::BadRequest, message)
    }

    /// An [`ErrorKind::Api`] error: CINNOX answered `status` with `code` and `message`.
    pub fn api(status: u16, code: i64, message: impl Into<String>) -> Error {
        let message = message.into();
        let mut e = Error::new(
            ErrorKind::Api,
            format!("HTTP {status}, code {code}: {message}"),
        );
        e.http_status = Some(status);
        e.api_code = Some(code);
        e.api_message = Some(message);
        e
    }

    /// Append `context` to the human message (e.g. "(gave up after 3 attempts)").
    pub(crate) fn with_context(mut self, context: &str) -> Error {
        self.message.push(' ');
        self.message.push_str(context);
        self
    }

    /// Attach the HTTP status of the answer this error came from.
    pub fn with_http_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }

    /// Attach the delay a `Retry-After` header asked for.
    pub fn with_retry_after(mut self, delay: std::time::Duration) -> Error {
        self.retry_after = Some(delay);
        self
    }

    /// Attach the underlying cause (kept for [`std::error::Error::source`]).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// The class of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human message, without the kind prefix that `Display` adds.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// CINNOX's API code (see [`api_code`]), when CINNOX answered with an error object.
    pub fn api_code(&self) -> Option<i64> {
        self.api_code
    }

    /// CINNOX's own message, when CINNOX answered with an error object.
    pub fn api_message(&self) -> Option<&str> {
        self.api_message.as_deref()
    }

    /// The delay the server asked for with `Retry-After`, when it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    /// CINNOX refused the App Token (code 6452000).
    pub fn is_invalid_token(&self) -> bool {
        self.api_code == Some(api_code::INVALID_TOKEN)
    }

    /// CINNOX does not know the App ID (code 6452001).
    pub fn is_invalid_app_id(&self) -> bool {
        self.api_code == Some(api_code::INVALID_APP_ID)
    }

    /// The rate limit was hit: code 6451010 or HTTP 429.
    pub fn is_rate_limited(&self) -> bool {
        self.api_code == Some(api_code::TOO_MANY_REQUESTS) || self.http_status == Some(429)
    }

    /// CINNOX rejected a parameter (code 6451000).
    pub fn is_parameter_error(&self) -> bool {
        self.api_code == Some(api_code::PARAMETER_ERROR)
    }

    /// CINNOX reported an internal error (code 6451001).
    pub fn is_internal(&self) -> bool {
        self.api_code == Some(api_code::INTERNAL)
    }

    /// The route or slug is unknown to CINNOX (code 6450001).
    pub fn is_method_not_found(&self) -> bool {
        self.api_code == Some(api_code::METHOD_NOT_FOUND)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(s) = self.http_status {
            d.field("http_status", &s);
        }
        if let Some(c) = self.api_code {
            d.field("api_code", &c);
        }
        if let Some(m) = &self.api_message {
            d.field("api_message", m);
        }
        if let Some(r) = self.retry_after {
            d.field("retry_after", &r);
        }
        if let Some(s) = &self.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand for `Result<T, cinnox::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_carries_status_code_and_message() {
        let e = Error::api(400, api_code::INVALID_TOKEN, "invalid token");
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.http_status(), Some(400));
        assert_eq!(e.api_code(), Some(6_452_000));
        assert_eq!(e.api_message(), Some("invalid token"));
        assert!(e.is_invalid_token());
        assert!(!e.is_rate_limited());
        assert_eq!(
            e.to_string(),
            "CINNOX API error: HTTP 400, code 6452000: invalid token"
        );
    }

    #[test]
    fn http_429_counts_as_rate_limited() {
        let e = Error::new(ErrorKind::UnexpectedResponse, "x").with_http_status(429);
        assert!(e.is_rate_limited());
    }
}
