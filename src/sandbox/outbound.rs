//! The sandbox's own HTTP requests to webhook URLs: the verification handshake and the
//! delivery of notifications (ureq, blocking, with a deadline).

use std::time::Duration;

/// What one POST to a webhook URL came to.
pub(crate) enum Posted {
    /// An HTTP answer: its status, `Content-Type` and (the first 64 KiB of) its body.
    Answer {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    },
    /// No answer before the deadline.
    Timeout,
    /// No HTTP answer: refused, reset, not HTTP, bad URL. Never contains the URL.
    Transport(String),
}

/// Longest answer body read from a receiver.
const MAX_ANSWER: u64 = 64 * 1024;

/// An agent for requests to receivers: one overall deadline, no proxy from the environment
/// (the receivers are usually on this machine), no redirects, and every status an answer.
pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .user_agent(concat!("cinnox-sandbox/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

/// POST `body` as JSON to `url`.
pub(crate) fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> Posted {
    let result = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body);
    match result {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get("content-type")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let body = resp
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER)
                .read_to_vec();
            match body {
                Ok(body) => Posted::Answer {
                    status,
                    content_type,
                    body,
                },
                // A too-long answer is still an answer (and never the documented one).
                Err(ureq::Error::BodyExceedsLimit(_)) => Posted::Answer {
                    status,
                    content_type,
                    body: b"(more than 64 KiB)".to_vec(),
                },
                Err(e) => describe(e),
            }
        }
        Err(e) => describe(e),
    }
}

/// One POST of a notification body to `url`, as an [`Attempt`].
pub(crate) fn attempt(
    agent: &ureq::Agent,
    url: &str,
    body: &[u8],
    timeout: Duration,
) -> super::Attempt {
    let started = std::time::Instant::now();
    let posted = post(agent, url, body);
    let latency = started.elapsed();
    let (status, error) = match posted {
        Posted::Answer { status, .. } => (Some(status), None),
        Posted::Timeout => (
            None,
            Some(format!("timed out after {} ms", timeout.as_millis())),
        ),
        Posted::Transport(t) => (None, Some(t)),
    };
    super::Attempt {
        status,
        error,
        latency,
    }
}

/// POST `notification` once to any `url` (no redelivery), as the sandbox delivers it: the
/// exact body, `Content-Type: application/json`, answered within `timeout`. For sending
/// one notification to a receiver that is not subscribed through a sandbox (the `cinnox
/// trigger --to URL` command). `ErrorKind::InvalidArgument` for a URL that is not absolute
/// http or https; a failed delivery is not an error: see the attempt.
pub fn send(
    url: &str,
    notification: &super::Notification,
    timeout: Duration,
) -> crate::Result<super::Attempt> {
    if let Some(why) = crate::urls::webhook_url_problem(url) {
        return Err(crate::Error::invalid_argument(format!("the URL {why}")));
    }
    Ok(attempt(&agent(timeout), url, notification.body(), timeout))
}

/// A transport failure in words that never quote the URL (its path may be a secret).
fn describe(e: ureq::Error) -> Posted {
    use ureq::Error as E;
    if crate::urls::answered_in_plain_http(&e) {
        return Posted::Transport(crate::urls::PLAIN_HTTP.to_owned());
    }
    let text = match e {
        E::Timeout(_) => return Posted::Timeout,
        E::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => return Posted::Timeout,
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => format!("connection refused ({io})"),
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe => {
                format!("the connection was closed without an answer ({io})")
            }
            _ => format!("connection failed: {io}"),
        },
        E::ConnectionFailed => "connection failed".to_owned(),
        E::HostNotFound => "host not found".to_owned(),
        E::BadUri(_) | E::Http(_) => "the URL cannot be requested".to_owned(),
        E::Protocol(p) => format!("the answer is not HTTP: {p}"),
        E::Tls(t) => format!("TLS failed: {t}"),
        E::Rustls(t) => format!("TLS failed: {t}"),
        E::RequireHttpsOnly(_) | E::ConnectProxyFailed(_) | E::InvalidProxyUrl => {
            "the URL cannot be requested".to_owned()
        }
        E::LargeResponseHeader(..) => "the answer's headers are too large".to_owned(),
        other => format!("request failed: {other}"),
    };
    Posted::Transport(text)
}

/// The verification handshake: POST `{"challenge":…}` and accept only HTTP 200 with a JSON
/// content type and `{"code":0,"result":{"challenge":<same>}}`. The report says what was
/// sent, what came back, and what is wrong, if anything.
///
/// The answer is compared as JSON values, not bytes: whitespace, member order and string
/// escapes may differ; extra members are ignored (a Go `json.Unmarshal` reads it the same
/// way). `code` must be the number 0 and `result` the object itself (not a string holding
/// JSON).
pub(crate) fn verify(agent: &ureq::Agent, url: &str, timeout: Duration) -> Verification {
    let challenge = new_challenge();
    let request = serde_json::json!({ "challenge": challenge }).to_string();
    let posted = post(agent, url, request.as_bytes());
    let mut v = Verification {
        request,
        challenge,
        status: None,
        content_type: None,
        body: Vec::new(),
        problem: None,
    };
    v.problem = match posted {
        Posted::Timeout => Some(format!(
            "the receiver did not answer within {} ms",
            timeout.as_millis()
        )),
        Posted::Transport(t) => Some(format!("the receiver could not be reached: {t}")),
        Posted::Answer {
            status,
            content_type,
            body,
        } => {
            let problem = if status != 200 {
                Some(format!(
                    "the receiver answered HTTP {status} (expected 200){}",
                    excerpt(&body)
                ))
            } else if let Some(why) = content_type_problem(content_type.as_deref()) {
                Some(format!("the receiver answered HTTP 200 but {why}"))
            } else {
                check_reply(&body, &v.challenge).err().map(|why| {
                    format!("the receiver answered HTTP 200 but {why}{}", excerpt(&body))
                })
            };
            v.status = Some(status);
            v.content_type = content_type;
            v.body = body;
            problem
        }
    };
    v
}

/// What is wrong with the content type of a challenge reply: it must be JSON.
fn content_type_problem(content_type: Option<&str>) -> Option<String> {
    let Some(ct) = content_type else {
        return Some("without a Content-Type (expected application/json)".to_owned());
    };
    let media = ct.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        None
    } else {
        Some(format!(
            "with Content-Type {:?} (expected application/json)",
            ct.chars().take(80).collect::<String>()
        ))
    }
}

/// What a URL answered to the verification handshake, and whether CINNOX would accept it
/// (see [`verify_url`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verification {
    /// The body POSTed: `{"challenge":"…"}`.
    pub request: String,
    /// The fresh challenge in it.
    pub challenge: String,
    /// The HTTP status answered; `None` when there was no answer.
    pub status: Option<u16>,
    /// The `Content-Type` answered.
    pub content_type: Option<String>,
    /// The body answered (at most 64 KiB).
    pub body: Vec<u8>,
    /// What is wrong, in plain words; `None` when CINNOX would accept the URL.
    pub problem: Option<String>,
}

impl Verification {
    /// CINNOX would accept the URL.
    pub fn accepted(&self) -> bool {
        self.problem.is_none()
    }
}

/// Do what CINNOX does before it accepts a webhook URL: POST a fresh
/// `{"challenge":"…"}` to `url` and check that the answer is HTTP 200, JSON, and
/// `{"code":0,"result":{"challenge":<the same string>}}`. For checking a receiver of your
/// own; the sandbox runs the same check when it is asked to subscribe a URL.
///
/// `url` must be an absolute http or https URL
/// ([`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) otherwise); every
/// other failure (no answer, a wrong answer) is in the report, not an error.
pub fn verify_url(url: &str, timeout: Duration) -> crate::Result<Verification> {
    if let Some(why) = crate::urls::webhook_url_problem(url) {
        return Err(crate::Error::invalid_argument(format!("the URL {why}")));
    }
    Ok(verify(&agent(timeout), url, timeout))
}

fn check_reply(body: &[u8], challenge: &str) -> Result<(), &'static str> {
    use serde_json::Value;
    let v: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON")?;
    let obj = v.as_object().ok_or("the body is not a JSON object")?;
    match obj.get("code") {
        Some(c) if c.as_i64() == Some(0) || c.as_u64() == Some(0) => {}
        Some(_) => return Err("\"code\" is not 0"),
        None => return Err("\"code\" is missing"),
    }
    let result = match obj.get("result") {
        None => return Err("\"result\" is missing"),
        Some(Value::String(_)) => {
            return Err("\"result\" is a string; it must be the object {\"challenge\":…} itself")
        }
        Some(Value::Object(r)) => r,
        Some(_) => return Err("\"result\" is not an object"),
    };
    match result.get("challenge") {
        Some(Value::String(s)) if s == challenge => Ok(()),
        Some(Value::String(_)) => Err("it echoed a different challenge"),
        Some(_) => Err("\"result.challenge\" is not a string"),
        None => Err("\"result.challenge\" is missing"),
    }
}

/// `; body: "…"` with the start of `body` (at most 120 characters, escaped), or `; empty
/// body`.
fn excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return "; empty body".to_owned();
    }
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(120).collect();
    if text.chars().nth(120).is_some() {
        out.push('…');
    }
    format!("; body: \"{}\"", out.escape_debug())
}

/// 52 random alphanumeric characters, like the documented example.
fn new_challenge() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    crate::random::bytes::<52>()
        .iter()
        // 256 % 62 = 8: the first 8 letters are 1/32 more likely; fine for a challenge.
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_is_compared_as_json() {
        assert_eq!(
            check_reply(br#"{"code":0,"result":{"challenge":"a"}}"#, "a"),
            Ok(())
        );
        assert_eq!(
            check_reply(
                b" { \"result\" : { \"challenge\" : \"\\u0061\" , \"x\":1}, \"code\" : 0 } ",
                "a"
            ),
            Ok(())
        );
        assert_eq!(
            check_reply(br#"{"code":0,"result":{"challenge":"b"}}"#, "a"),
            Err("it echoed a different challenge")
        );
        assert_eq!(
            check_reply(br#"{"challenge":"a"}"#, "a"),
            Err("\"code\" is missing")
        );
        assert_eq!(
            check_reply(br#"{"code":1,"result":{"challenge":"a"}}"#, "a"),
            Err("\"code\" is not 0")
        );
        assert_eq!(
            check_reply(br#"{"code":0,"result":"{\"challenge\":\"a\"}"}"#, "a"),
            Err("\"result\" is a string; it must be the object {\"challenge\":…} itself")
        );
        assert_eq!(check_reply(b"a", "a"), Err("the body is not JSON"));
        assert_eq!(
            check_reply(b"[]", "a"),
            Err("the body is not a JSON object")
        );
    }

    #[test]
    fn excerpt_is_short_and_escaped() {
        assert_eq!(excerpt(b""), "; empty body");
        assert_eq!(excerpt(b"no\n"), "; body: \"no\\n\"");
        let long = "x".repeat(200);
        assert_eq!(
            excerpt(long.as_bytes()),
            format!("; body: \"{}…\"", "x".repeat(120))
        );
    }

    #[test]
    fn challenges_are_alphanumeric_and_fresh() {
        let a = new_challenge();
        assert_eq!(a.len(), 52);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, new_challenge());
    }
}
