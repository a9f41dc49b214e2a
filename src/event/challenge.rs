//! The reply to a URL-verification challenge.

/// The headers to send with [`challenge_reply`] (and with every reply of
/// [`Webhook`](crate::Webhook)).
pub const REPLY_HEADERS: [(&str, &str); 2] = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
];

/// The exact reply body to a challenge: `{"code":0,"result":{"challenge":"…"}}`.
///
/// The string is echoed exactly as JSON: `"` and `\` escaped with a backslash, control
/// characters as `\n`, `\t`, `\r`, `\b`, `\f` or `\u00XX`, everything else (non-ASCII
/// included) as its UTF-8 bytes. Send it with status 200 and the headers of
/// [`REPLY_HEADERS`] (`Content-Type: application/json`, `X-Content-Type-Options: nosniff`).
///
/// ```
/// assert_eq!(
///     cinnox::challenge_reply("a\"b"),
///     br#"{"code":0,"result":{"challenge":"a\"b"}}"#.to_vec()
/// );
/// ```
pub fn challenge_reply(challenge: &str) -> Vec<u8> {
    const HEAD: &str = r#"{"code":0,"result":{"challenge":""#;
    const TAIL: &str = r#""}}"#;
    let mut out = String::with_capacity(HEAD.len() + challenge.len() + TAIL.len() + 8);
    out.push_str(HEAD);
    push_json_string_body(&mut out, challenge);
    out.push_str(TAIL);
    out.into_bytes()
}

/// Append `s` as the inside of a JSON string literal.
pub(crate) fn push_json_string_body(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
}
