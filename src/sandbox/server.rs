//! The sandbox's HTTP side: `PATCH /v1/api/apps/{appID}/{slug}`, answered like CINNOX.

use std::time::Instant;

use subtle::ConstantTimeEq;

use super::http::{Request, Response};
use super::{outbound, time, LogEvent, Notification, NotificationKind, Shared, Sub, WireVariant};
use crate::error::api_code;
use crate::EventKind;

/// Largest PATCH body read.
pub(super) const MAX_BODY: usize = 64 * 1024;

/// Answer one request; runs on the server's connection threads. A panic while answering
/// is caught and answered 500: it must not take the server down.
pub(super) fn handle(request: &Request, shared: &Shared) -> Response {
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(request, shared)))
        .unwrap_or_else(|_| Answer::error(500, api_code::INTERNAL, "internal error"));
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Some(secs) = answer.retry_after {
        headers.push(("Retry-After", secs.to_string()));
    }
    Response {
        status: answer.status,
        headers,
        body: answer.body.into_bytes(),
    }
}

/// The control endpoint: `POST /_sandbox/trigger/{call-start|call-end|inbound-sms|
/// delivery-report}`, outside CINNOX's `/v1/api/` routes.
pub(super) const CONTROL_TRIGGER: &str = "/_sandbox/trigger/";

/// Trigger a notification for other programs' tests: the body is empty or a JSON object of
/// field overrides (`{"content":"hi"}`, the fields of [`NotificationKind::fields`]); the
/// query may name `app=ID` (only that app's subscription) and `variant=NAME` (repeatable,
/// [`WireVariant::from_name`]). Answers `{"code":0,"result":{"deliveries":[…]}}` once every
/// delivery is done, one entry per subscribed URL: `app_id`, `delivered` and `statuses`
/// (`null` where there was no answer).
fn control_trigger(request: &Request, kind: &str, shared: &Shared) -> Answer {
    let param = |m: &str| Answer::bad(api_code::PARAMETER_ERROR, m);
    if request.method != "POST" {
        return Answer::bad(
            api_code::METHOD_NOT_FOUND,
            &format!("method: {} url: {}", request.method, request.target),
        );
    }
    let Some(kind) = NotificationKind::from_name(kind) else {
        return Answer::error(
            404,
            api_code::METHOD_NOT_FOUND,
            "unknown notification (call-start, call-end, inbound-sms, delivery-report)",
        );
    };
    let mut app = None;
    let mut wire = WireVariant::default();
    if let Some((_, query)) = request.target.split_once('?') {
        for (name, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            match name {
                "app" => app = Some(value.into_owned()),
                "variant" => match WireVariant::from_name(&value) {
                    Some(w) => wire = wire.merge(w),
                    None => return param(&format!("unknown variant {value:?}")),
                },
                _ => return param(&format!("unknown parameter {name:?}")),
            }
        }
    }
    let overrides: Vec<(String, String)> = match request.body.as_deref() {
        None => return param("the body is too large"),
        Some(b) if b.iter().all(u8::is_ascii_whitespace) => Vec::new(),
        Some(b) => match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(b) {
            Ok(map) => {
                let mut fields = Vec::new();
                for (name, value) in map {
                    match value {
                        serde_json::Value::String(v) => fields.push((name, v)),
                        other => fields.push((name, other.to_string())),
                    }
                }
                fields
            }
            Err(_) => return param("the body must be a JSON object of field overrides"),
        },
    };
    let fields: Vec<(&str, &str)> = overrides
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let notification = match kind.build(&fields, wire) {
        Ok(n) => n,
        Err(e) => return param(e.message()),
    };
    deliveries_answer(shared, app.as_deref(), &notification)
}

/// The other control endpoint: `POST /_sandbox/deliver/{family}` (a short name or slug of
/// one of the nine families).
pub(super) const CONTROL_DELIVER: &str = "/_sandbox/deliver/";

/// Deliver the body itself, which must be JSON, as a notification of `family` to its
/// subscriptions (of one app with `?app=ID`): any notification at all, for the families
/// and shapes no builder makes. Answers as [`control_trigger`] does.
fn control_deliver(request: &Request, family: &str, shared: &Shared) -> Answer {
    let param = |m: &str| Answer::bad(api_code::PARAMETER_ERROR, m);
    if request.method != "POST" {
        return Answer::bad(
            api_code::METHOD_NOT_FOUND,
            &format!("method: {} url: {}", request.method, request.target),
        );
    }
    let Some(kind) = EventKind::from_name(family).filter(|k| !matches!(k, EventKind::Other(_)))
    else {
        return Answer::error(
            404,
            api_code::METHOD_NOT_FOUND,
            "unknown family (call, inbound-sms, outbound-sms, inquiry, recording, \
             external-contact, staff-contact, label, inquiry-label, or a slug)",
        );
    };
    let mut app = None;
    if let Some((_, query)) = request.target.split_once('?') {
        for (name, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match name {
                "app" => {
                    let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
                    app = Some(value.into_owned());
                }
                _ => return param(&format!("unknown parameter {name:?}")),
            }
        }
    }
    let Some(body) = request.body.as_deref() else {
        return param("the body is too large");
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return param("the notification body is not UTF-8");
    };
    match Notification::json(kind, text) {
        Ok(notification) => deliveries_answer(shared, app.as_deref(), &notification),
        Err(e) => param(e.message()),
    }
}

/// Deliver `notification` and answer what happened to each delivery.
fn deliveries_answer(shared: &Shared, app: Option<&str>, notification: &Notification) -> Answer {
    let records = shared.deliver(app, notification);
    let deliveries: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "app_id": r.app_id,
                "delivered": r.delivered(),
                "statuses": r.statuses(),
            })
        })
        .collect();
    Answer {
        status: 200,
        body: serde_json::json!({"code": 0, "result": {"deliveries": deliveries}}).to_string(),
        retry_after: None,
    }
}

/// An answer: HTTP status, JSON body, and a `Retry-After` for the rate limit.
struct Answer {
    status: u16,
    body: String,
    retry_after: Option<u64>,
}

impl Answer {
    fn error(status: u16, code: i64, message: &str) -> Answer {
        Answer {
            status,
            body: format!("{{\"code\":{code},\"message\":{}}}", json_str(message)),
            retry_after: None,
        }
    }
    fn bad(code: i64, message: &str) -> Answer {
        Answer::error(400, code, message)
    }
}

fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn answer(request: &Request, shared: &Shared) -> Answer {
    let method = request.method.as_str();
    let url = request.target.as_str();

    // 1. Route: PATCH /v1/api/apps/{appID}/{slug} with a known slug.
    let not_found = || {
        Answer::bad(
            api_code::METHOD_NOT_FOUND,
            &format!("method: {method} url: {url}"),
        )
    };
    let path = url.split(['?', '#']).next().unwrap_or("");
    if let Some(kind) = path.strip_prefix(CONTROL_TRIGGER) {
        return control_trigger(request, kind, shared);
    }
    if let Some(family) = path.strip_prefix(CONTROL_DELIVER) {
        return control_deliver(request, family, shared);
    }
    let Some(rest) = path.strip_prefix("/v1/api/apps/") else {
        return not_found();
    };
    let mut segments = rest.split('/');
    let (Some(raw_app), Some(slug), None) = (segments.next(), segments.next(), segments.next())
    else {
        return not_found();
    };
    let kind = EventKind::from_slug(slug);
    if raw_app.is_empty() || matches!(kind, EventKind::Other(_)) || method != "PATCH" {
        return not_found();
    }
    // An App ID that does not decode cannot be a configured one.
    let app_id = percent_encoding::percent_decode_str(raw_app)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_default();

    // Every refusal from here on is logged with what the sandbox saw (never the token).
    let refuse = |answer: Answer, code: i64, reason: String| {
        shared.record(LogEvent::Refused {
            app_id: app_id.clone(),
            kind: kind.clone(),
            code,
            reason,
        });
        answer
    };
    let invalid_token = |why: &str| {
        refuse(
            Answer::bad(api_code::INVALID_TOKEN, "invalid token"),
            api_code::INVALID_TOKEN,
            format!("invalid token ({why})"),
        )
    };

    // 2. Authentication, then 3. the rate limit, under one lock.
    let token = request.header("Authorization").and_then(bearer);
    {
        let mut apps = shared.apps();
        let Some(token) = token else {
            return invalid_token("no Authorization: Bearer header");
        };
        let matches = |t: &str| bool::from(t.as_bytes().ct_eq(token.as_bytes()));
        if !apps.values().any(|a| matches(&a.token)) {
            return invalid_token("the token of no configured app");
        }
        let Some(app) = apps.get_mut(&app_id) else {
            return refuse(
                Answer::bad(api_code::INVALID_APP_ID, "invalid appID"),
                api_code::INVALID_APP_ID,
                "invalid appID (no such app is configured)".to_owned(),
            );
        };
        if !matches(&app.token) {
            return invalid_token("the token of another app");
        }
        if let Some(limit) = shared.rate_limit {
            let now = Instant::now();
            while app
                .window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= limit.per)
            {
                app.window.pop_front();
            }
            if app.window.len() >= limit.requests as usize {
                let wait = app
                    .window
                    .front()
                    .map(|t| limit.per.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(limit.per);
                let mut a = Answer::error(429, api_code::TOO_MANY_REQUESTS, "Too many requests");
                // Whole seconds, rounded up, at least 1.
                let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
                a.retry_after = Some(secs);
                return refuse(
                    a,
                    api_code::TOO_MANY_REQUESTS,
                    format!(
                        "too many requests (over {} in {:?}; Retry-After {secs})",
                        limit.requests, limit.per
                    ),
                );
            }
            app.window.push_back(now);
        }
    }

    // 4. The body.
    let param = |m: &str| {
        refuse(
            Answer::bad(api_code::PARAMETER_ERROR, m),
            api_code::PARAMETER_ERROR,
            m.to_owned(),
        )
    };
    let content_type = request.header("Content-Type").unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return param("Content-Type must be application/json");
    }
    let Some(body) = &request.body else {
        return param("the body is too large");
    };
    let (enabled, hook) = match parse_body(body) {
        Ok(v) => v,
        Err(m) => return param(&m),
    };

    // 5. Verification (outside the lock: it waits for the receiver), then the change.
    if enabled {
        let verification = outbound::verify(&shared.verify_agent, &hook, shared.verify_timeout);
        if let Some(why) = verification.problem {
            return param(&format!("webhook URL verification failed: {why}"));
        }
    }
    let updated_at = time::now_rfc3339();
    // The contact families document only `enabled` and `url` in their answer (spec,
    // section 1): the sandbox leaves `updatedAt` out there, as CINNOX may.
    let with_updated_at = !matches!(kind, EventKind::ExternalContact | EventKind::StaffContact);
    {
        let mut apps = shared.apps();
        // The app may have been replaced meanwhile; it is never removed.
        if let Some(app) = apps.get_mut(&app_id) {
            if enabled {
                app.subscriptions.insert(
                    kind.clone(),
                    Sub {
                        url: hook.clone(),
                        updated_at: updated_at.clone(),
                    },
                );
                shared.record(LogEvent::Subscribed {
                    app_id: app_id.clone(),
                    kind,
                    url: hook.clone(),
                    updated_at: updated_at.clone(),
                });
            } else {
                app.subscriptions.remove(&kind);
                shared.record(LogEvent::Unsubscribed {
                    app_id: app_id.clone(),
                    kind,
                });
            }
        }
    }
    let updated = if with_updated_at {
        format!(",\"updatedAt\":{}", json_str(&updated_at))
    } else {
        String::new()
    };
    Answer {
        status: 200,
        body: format!(
            "{{\"code\":0,\"result\":{{\"enabled\":{enabled},\"url\":{}{updated}}}}}",
            json_str(&hook),
        ),
        retry_after: None,
    }
}

/// The token of `Bearer <token>` (scheme case-insensitive), if non-empty.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `{"enabled": bool, "url": "<absolute http(s) URL>"}`; `Err` is the message for 6451000.
fn parse_body(body: &[u8]) -> Result<(bool, String), String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| "the body must be a JSON object".to_owned())?;
    let enabled = match obj.get("enabled") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return Err("enabled must be true or false".to_owned()),
        None => return Err("enabled is required".to_owned()),
    };
    let url = match obj.get("url") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err("url must be a string".to_owned()),
        None => return Err("url is required".to_owned()),
    };
    if !is_absolute_http_url(&url) {
        return Err("url must be an absolute http or https URL".to_owned());
    }
    Ok((enabled, url))
}

fn is_absolute_http_url(url: &str) -> bool {
    crate::urls::webhook_url_problem(url).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }

    #[test]
    fn webhook_urls() {
        assert!(is_absolute_http_url("https://example.com/cinnox"));
        assert!(is_absolute_http_url("http://127.0.0.1:8080/x?y=1"));
        assert!(!is_absolute_http_url("ftp://example.com/"));
        assert!(!is_absolute_http_url("/relative"));
        assert!(!is_absolute_http_url("example.com/x"));
        assert!(!is_absolute_http_url("http:///x"));
        assert!(!is_absolute_http_url("http://exa mple.com/"));
        assert!(!is_absolute_http_url(""));
        for c in ["\t", "\n", "\r", "\u{7f}", "\u{0}", " ", "\u{a0}"] {
            assert!(!is_absolute_http_url(&format!("http://h/a{c}b")), "{c:?}");
        }
    }

    #[test]
    fn bodies() {
        assert_eq!(
            parse_body(br#"{"enabled":true,"url":"https://h/x"}"#),
            Ok((true, "https://h/x".to_owned()))
        );
        assert_eq!(
            parse_body(br#"{"url":"https://h/x"}"#),
            Err("enabled is required".into())
        );
        assert_eq!(
            parse_body(br#"{"enabled":"true","url":"https://h/x"}"#),
            Err("enabled must be true or false".into())
        );
        assert_eq!(
            parse_body(br#"{"enabled":false}"#),
            Err("url is required".into())
        );
        assert_eq!(
            parse_body(b"[]"),
            Err("the body must be a JSON object".into())
        );
        assert!(parse_body(b"{")
            .unwrap_err()
            .starts_with("the body is not JSON: "));
    }
}
