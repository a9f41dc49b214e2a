//! Reading CINNOX's answer: a subscription, an API error, or something unexpected, and
//! what a failed attempt says.

use serde_json::Value;

use super::scrub::Secrets;
use super::{Subscription, BODY_LIMIT, QUOTE_CHARS};
use crate::{Error, ErrorKind};

/// An attempt's failure and whether another attempt may heal it.
pub(super) struct Failure {
    pub(super) error: Error,
    pub(super) retryable: bool,
}

/// An HTTP answer, read in full (up to the limit).
pub(super) struct Reply<'a> {
    pub(super) status: u16,
    pub(super) reason: &'a str,
    pub(super) body: &'a [u8],
}

impl Reply<'_> {
    pub(super) fn status_text(&self) -> String {
        if self.reason.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            format!("HTTP {} {}", self.status, self.reason)
        }
    }
}

/// Read CINNOX's answer: a subscription, an API error, or something unexpected.
pub(super) fn interpret(
    reply: &Reply<'_>,
    secrets: &Secrets,
) -> std::result::Result<Subscription, Failure> {
    // The common case first, read straight into the answer's shape; anything else (errors,
    // odd shapes) is read below through a `Value`, which explains what is wrong.
    if (200..300).contains(&reply.status) && reply.body.len() <= BODY_LIMIT {
        if let Ok(ok) = serde_json::from_slice::<SuccessShape>(reply.body) {
            return Ok(Subscription {
                enabled: ok.result.enabled,
                url: ok.result.url,
                updated_at: ok.result.updated_at,
            });
        }
    }
    let transient_status = matches!(reply.status, 429 | 502 | 503 | 504);
    let unexpected = |what: &str| {
        let message = format!(
            "{} {what}: {}",
            reply.status_text(),
            quote(reply.body, secrets)
        );
        Failure {
            error: Error::new(ErrorKind::UnexpectedResponse, message)
                .with_http_status(reply.status),
            retryable: transient_status,
        }
    };

    if reply.body.len() > BODY_LIMIT {
        return Err(unexpected("with a body larger than 1 MiB"));
    }
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        let message = format!("{} with an empty body", reply.status_text());
        return Err(Failure {
            error: Error::new(ErrorKind::UnexpectedResponse, message)
                .with_http_status(reply.status),
            retryable: transient_status,
        });
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(reply.body) else {
        return Err(unexpected("with a body that is not a JSON object"));
    };

    let success = (200..300).contains(&reply.status);
    if success {
        match map.get("result") {
            Some(Value::Object(result)) => return read_subscription(result).map_err(unexpected),
            None | Some(Value::Null) => {}
            Some(_) => {
                if api_code_of(&map).is_none_or(|c| c == 0) {
                    return Err(unexpected("with a \"result\" that is not an object"));
                }
            }
        }
    }
    if let Some(code) = api_code_of(&map).filter(|&c| c != 0) {
        let message = match map.get("message") {
            Some(Value::String(s)) => secrets.scrub(s),
            _ => String::new(),
        };
        let never = matches!(
            code,
            crate::error::api_code::INVALID_TOKEN
                | crate::error::api_code::INVALID_APP_ID
                | crate::error::api_code::PARAMETER_ERROR
        );
        let retryable =
            !never && (transient_status || code == crate::error::api_code::TOO_MANY_REQUESTS);
        return Err(Failure {
            error: Error::api(reply.status, code, message),
            retryable,
        });
    }
    if success {
        Err(unexpected("without a \"result\" object or an error code"))
    } else {
        Err(unexpected("without an error code"))
    }
}

/// A success as CINNOX documents it: `{"code":…,"result":{"enabled","url","updatedAt"?}}`
/// (`code` and other fields are not read).
#[derive(serde::Deserialize)]
pub(super) struct SuccessShape {
    result: ResultShape,
}

#[derive(serde::Deserialize)]
pub(super) struct ResultShape {
    enabled: bool,
    url: String,
    #[serde(rename = "updatedAt", default)]
    updated_at: Option<String>,
}

/// `result.enabled`, `result.url` and the optional `result.updatedAt`.
pub(super) fn read_subscription(
    result: &serde_json::Map<String, Value>,
) -> std::result::Result<Subscription, &'static str> {
    let Some(enabled) = result.get("enabled").and_then(Value::as_bool) else {
        return Err("with \"result.enabled\" missing or not a boolean");
    };
    let Some(url) = result.get("url").and_then(Value::as_str) else {
        return Err("with \"result.url\" missing or not a string");
    };
    let updated_at = match result.get("updatedAt") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("with \"result.updatedAt\" not a string"),
    };
    Ok(Subscription {
        enabled,
        url: url.to_owned(),
        updated_at,
    })
}

/// The `code` of an answer: a JSON integer, or a string of digits.
pub(super) fn api_code_of(map: &serde_json::Map<String, Value>) -> Option<i64> {
    match map.get("code")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The start of a body for an error message: lossy UTF-8, the secrets scrubbed, at most
/// [`QUOTE_CHARS`] characters, control characters and quotes escaped, in double quotes.
pub(super) fn quote(body: &[u8], secrets: &Secrets) -> String {
    // Enough bytes for QUOTE_CHARS characters plus a secret that straddles the cut.
    let window = &body[..body.len().min(QUOTE_CHARS * 4 + secrets.longest())];
    let text = secrets.scrub(&String::from_utf8_lossy(window));
    let mut out = String::with_capacity(QUOTE_CHARS + 8);
    out.push('"');
    let mut chars = text.chars();
    for c in chars.by_ref().take(QUOTE_CHARS) {
        out.extend(c.escape_debug());
    }
    out.push('"');
    if chars.next().is_some() || window.len() < body.len() {
        out.push('…');
    }
    out
}

pub(super) fn truncate_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

pub(super) fn io_description(io: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match io.kind() {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::UnexpectedEof => "the connection closed before the reply was complete",
        K::BrokenPipe => "the connection closed while sending",
        K::NotConnected => "not connected",
        _ => "I/O error",
    };
    format!("{what} ({io})")
}
