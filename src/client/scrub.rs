//! The secrets of one call (the App Token, the webhook URL's path and query) scrubbed from
//! every message, in every form a server might echo them in.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What replaces the App Token wherever a reply echoes it back.
pub(super) const REDACTED: &str = "[redacted]";

/// The secrets of one call, in every form a server might echo them in: the App Token and
/// the webhook URL's path and query (the URL's secret part), each as it is, as a JSON string
/// carries it (`"` and `\\` escaped, `/` optionally as `\/`), and percent-encoded (upper- and
/// lower-case hex). Error messages show [`REDACTED`] in their place.
pub(super) struct Secrets<'a> {
    token: &'a str,
    webhook_url: Option<&'a str>,
}

impl<'a> Secrets<'a> {
    /// Cheap: the forms are made only when a message is scrubbed (on failure).
    pub(super) fn new(token: &'a str, webhook_url: Option<&'a str>) -> Secrets<'a> {
        Secrets { token, webhook_url }
    }

    /// Every form of every secret, longest first, so that a form containing another is
    /// replaced whole.
    pub(super) fn forms(&self) -> Vec<String> {
        let mut forms = Vec::new();
        let mut add = |secret: &str| {
            let json = secret.replace('\\', "\\\\").replace('"', "\\\"");
            let json_slash = json.replace('/', "\\/");
            // Encoders differ on `-._~`: some leave them, some escape every non-alphanumeric.
            let encoded = utf8_percent_encode(secret, PERCENT_ECHO).to_string();
            let encoded_all = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
            let lower = lower_hex_escapes(&encoded);
            let lower_all = lower_hex_escapes(&encoded_all);
            let forms_of_secret = [
                secret.to_owned(),
                json,
                json_slash,
                encoded,
                encoded_all,
                lower,
                lower_all,
            ];
            for form in forms_of_secret {
                if !form.is_empty() && !forms.contains(&form) {
                    forms.push(form);
                }
            }
        };
        add(self.token);
        if let Some(secret) = self.webhook_url.and_then(url_secret) {
            add(secret);
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms
    }

    /// The longest form, so that a quote's window can hold a secret that straddles its cut:
    /// percent-encoding at most triples a secret.
    pub(super) fn longest(&self) -> usize {
        3 * self
            .token
            .len()
            .max(self.webhook_url.and_then(url_secret).map_or(0, str::len))
    }

    /// `text` with every form of every secret replaced.
    pub(super) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for form in self.forms() {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Bytes percent-encoded when a secret is echoed in a URL or a form: all but the unreserved.
pub(super) const PERCENT_ECHO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `%2F` -> `%2f`: the other spelling of the same percent-encoding.
pub(super) fn lower_hex_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[i + escape.len()..];
    }
    out.push_str(rest);
    out
}

/// The secret part of a webhook URL: its path and query (`/cinnox/s3cr3t?k=v`), or `None`
/// when there is none worth hiding (no path, or just `/`).
pub(super) fn url_secret(url: &str) -> Option<&str> {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let start = rest.find(['/', '?'])?;
    let secret = &rest[start..];
    let secret = secret.split('#').next().unwrap_or(secret);
    (secret.len() > 1).then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::answer::quote;
    use crate::client::QUOTE_CHARS;

    #[test]
    fn a_token_echoed_json_escaped_is_scrubbed_too() {
        let token = r#"ab/c"d\e"#;
        let body = br#"{"message":"bad token ab\/c\"d\\e and ab/c\"d\\e"}"#;
        let q = quote(body, &Secrets::new(token, None));
        assert!(!q.contains("ab\\\\/c") && !q.contains("ab/c"), "{q}");
        assert_eq!(q.matches(REDACTED).count(), 2, "{q}");
    }

    fn tok() -> Secrets<'static> {
        Secrets::new("tok", None)
    }

    #[test]
    fn every_echoed_form_of_the_token_and_the_webhook_path_is_scrubbed() {
        let secrets = Secrets::new(
            "tok/SECRET+x",
            Some("https://rx.example:8443/cinnox/s3cr3t?k=v#frag"),
        );
        for echoed in [
            "tok/SECRET+x",
            "tok\\/SECRET+x",
            "tok%2FSECRET%2Bx",
            "tok%2fSECRET%2bx",
            "/cinnox/s3cr3t?k=v",
            "\\/cinnox\\/s3cr3t?k=v",
            "%2Fcinnox%2Fs3cr3t%3Fk%3Dv",
            "%2fcinnox%2fs3cr3t%3fk%3dv",
            "https%3A%2F%2Frx.example%3A8443%2Fcinnox%2Fs3cr3t%3Fk%3Dv",
        ] {
            let text = format!("before {echoed} after");
            let scrubbed = secrets.scrub(&text);
            assert!(!scrubbed.contains("SECRET"), "{echoed}: {scrubbed}");
            assert!(!scrubbed.contains("s3cr3t"), "{echoed}: {scrubbed}");
            assert!(scrubbed.contains(REDACTED), "{echoed}: {scrubbed}");
            assert!(scrubbed.starts_with("before ") && scrubbed.ends_with(" after"));
        }
        // The host stays readable; a bare `/` path is no secret and is left alone.
        assert!(secrets.scrub("rx.example:8443").contains("rx.example"));
        let plain = Secrets::new("tok", Some("https://rx.example/"));
        assert_eq!(plain.scrub("a/b/c"), "a/b/c");
    }

    #[test]
    fn quotes_are_bounded_escaped_and_scrubbed() {
        assert_eq!(
            quote(b"<html>\r\n</html>", &tok()),
            "\"<html>\\r\\n</html>\""
        );
        let long = "x".repeat(1000);
        let q = quote(long.as_bytes(), &tok());
        assert_eq!(q, format!("\"{}\"…", "x".repeat(QUOTE_CHARS)));
        assert_eq!(quote(b"bad \xff byte", &tok()), "\"bad \u{fffd} byte\"");
        assert_eq!(
            quote(
                b"echo secret-token here",
                &Secrets::new("secret-token", None)
            ),
            "\"echo [redacted] here\""
        );
    }
}
