//! HTTP field values as the verifier and the receiver's front both read them.

/// Whether `name` is `lower` ignoring ASCII case; `lower` is lower-case ASCII.
#[inline]
pub(crate) fn is_name(name: &str, lower: &str) -> bool {
    name.len() == lower.len()
        && name
            .bytes()
            .zip(lower.bytes())
            .all(|(a, l)| a == l || (l.is_ascii_lowercase() && a == l - 32))
}

/// `s` without leading and trailing blanks (space, tab: HTTP's optional whitespace) only:
/// U+00A0 or U+0085 stay.
pub(crate) fn trim_ows(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// A `Content-Length` value: decimal digits only (surrounding blanks allowed). A value too
/// large for `u64` is `u64::MAX` (too large for any cap).
pub(crate) fn content_length(value: &str) -> Option<u64> {
    let digits = trim_ows(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}
