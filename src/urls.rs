//! URL rules and redaction that the client and the sandbox share, so both read and show
//! URLs alike.

use ureq::http::Uri;

/// What an `https://` request to a plain-HTTP server comes to, in words.
pub(crate) const PLAIN_HTTP: &str =
    "the server answered in plain HTTP, not HTTPS: use http:// instead of https://";

/// Whether `e` is what a TLS client gets from a server that answered in plain HTTP (an
/// `https://` URL for an `http://` server): rustls reads the first bytes of
/// `HTTP/1.1 400 …` as a record of no known content type, and says only `received corrupt
/// message of type InvalidContentType`.
pub(crate) fn answered_in_plain_http(e: &ureq::Error) -> bool {
    e.to_string()
        .contains("corrupt message of type InvalidContentType")
}

/// A URL for messages and `Debug`: scheme and host kept, userinfo, path, query and
/// fragment hidden (`https://…@host/…`), since a webhook URL's path holds its secret.
pub(crate) fn redact_url(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let (authority, more) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], true),
        None => (rest, false),
    };
    let host = match authority.rfind('@') {
        Some(i) => format!("…@{}", &authority[i + 1..]),
        None => authority.to_owned(),
    };
    format!(
        "{}{host}{}",
        &url[..after_scheme],
        if more { "/…" } else { "" }
    )
}

/// What is wrong with `url` as a webhook URL (absolute http or https, with a host), or
/// `None`. Shared by the client and the sandbox so both read URLs alike.
pub(crate) fn webhook_url_problem(url: &str) -> Option<&'static str> {
    // `Uri` takes non-ASCII white space (U+00A0, …); a URL carries it percent-encoded.
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("contains white space or control characters");
    }
    let Ok(uri) = url.parse::<Uri>() else {
        return Some("does not parse as a URL (absolute http or https expected)");
    };
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http" | "https") => {}
        _ => return Some("is not an absolute http or https URL"),
    }
    match uri.authority() {
        Some(a) if !a.host().is_empty() => None,
        _ => Some("has no host"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_after_the_authority() {
        assert_eq!(
            redact_url("http://127.0.0.1:80/cinnox/s3cr3t"),
            "http://127.0.0.1:80/…"
        );
        assert_eq!(redact_url("https://h?x=s3cr3t"), "https://h/…");
        assert_eq!(redact_url("https://h"), "https://h");
        assert_eq!(redact_url("https://u:pw@h:1/x"), "https://…@h:1/…");
    }
}
