//! Phone numbers and codes as text: strings decoded, JSON numbers as their exact integer
//! digits; and the positions (line, column) that error messages give.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::wire::{cow_string, Raw};
use super::MAX_NUMBER_DIGITS;
use crate::{Error, Result};

/// The body being parsed, for positions in error messages.
pub(super) struct Body<'a> {
    pub(super) text: &'a str,
}

impl<'a> Body<'a> {
    fn where_is(&self, raw: &RawValue) -> (usize, usize) {
        let offset = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        position(self.text.as_bytes(), offset)
    }

    /// A phone number or code: a string decoded, a number as exact integer digits, `None`
    /// for anything else.
    pub(super) fn number(&self, raw: Raw<'a>, field: &str) -> Result<Option<String>> {
        let Some(raw) = raw else { return Ok(None) };
        let s = raw.get();
        match s.as_bytes().first() {
            Some(b'"') => self.string(raw, field).map(|c| Some(cow_string(c))),
            Some(b'-' | b'0'..=b'9') => match integer_text(s) {
                Some(digits) => Ok(Some(cow_string(digits))),
                None => {
                    let (line, col) = self.where_is(raw);
                    Err(Error::bad_request(format!(
                        "field `{field}` at line {line} column {col}: the number {} is not an \
                         exact integer of at most {MAX_NUMBER_DIGITS} digits",
                        shorten(s)
                    )))
                }
            },
            _ => Ok(None),
        }
    }

    /// A JSON string value given as its raw text, decoded.
    pub(super) fn string(&self, raw: &'a RawValue, field: &str) -> Result<Cow<'a, str>> {
        let s = raw.get();
        let inner = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
        if !inner.contains('\\') {
            return Ok(Cow::Borrowed(inner));
        }
        serde_json::from_str::<String>(s)
            .map(Cow::Owned)
            .map_err(|e| {
                let (line, col) = self.where_is(raw);
                Error::bad_request(format!(
                    "field `{field}` at line {line} column {col}: invalid string: {}",
                    strip_position(&e)
                ))
            })
    }

    /// Any scalar given as its raw text, as text (for the loose reading).
    pub(super) fn lossy(&self, raw: Raw<'a>) -> Option<String> {
        let raw = raw?;
        let s = raw.get();
        match s.as_bytes().first() {
            Some(b'"') => self.string(raw, "").ok().map(Cow::into_owned),
            Some(b'-' | b'0'..=b'9') => Some(s.to_owned()),
            _ => None,
        }
    }
}

fn shorten(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// serde_json's message without its " at line L column C" (positions are given by us).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

pub(super) fn position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// The integer a JSON number denotes, as digits without fraction or exponent, or `None`
/// when it is not an exact integer or would be longer than [`MAX_NUMBER_DIGITS`].
fn integer_text(num: &str) -> Option<Cow<'_, str>> {
    let (neg, unsigned) = match num.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, num),
    };
    if unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return if unsigned.is_empty() || unsigned.len() > MAX_NUMBER_DIGITS {
            None
        } else {
            Some(Cow::Borrowed(num))
        };
    }
    let (mantissa, exp) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], unsigned[i + 1..].parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // value = digits × 10^scale
    let scale = exp.checked_sub(i64::try_from(frac_part.len()).ok()?)?;
    let mut digits: String = int_part.chars().chain(frac_part.chars()).collect();
    if scale >= 0 {
        let zeros = usize::try_from(scale).ok()?;
        let significant = digits.trim_start_matches('0').len();
        if significant > 0 && significant.checked_add(zeros)? > MAX_NUMBER_DIGITS {
            return None;
        }
        if significant > 0 {
            digits.extend(std::iter::repeat_n('0', zeros));
        }
    } else {
        let cut = usize::try_from(scale.unsigned_abs()).ok()?;
        if cut > digits.len() {
            // Only an all-zero mantissa survives a cut longer than the digits.
            if digits.bytes().any(|b| b != b'0') {
                return None;
            }
            digits.clear();
        } else {
            let (keep, dropped) = digits.split_at(digits.len() - cut);
            if dropped.bytes().any(|b| b != b'0') {
                return None;
            }
            digits.truncate(keep.len());
        }
    }
    let trimmed = digits.trim_start_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    if trimmed.len() > MAX_NUMBER_DIGITS {
        return None;
    }
    let mut out = String::with_capacity(trimmed.len() + 1);
    if neg {
        out.push('-');
    }
    out.push_str(trimmed);
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_text_is_exact() {
        let cases: &[(&str, Option<&str>)] = &[
            ("85298765432", Some("85298765432")),
            ("8.5298765432e10", Some("85298765432")),
            ("8.5298765432E+10", Some("85298765432")),
            ("85298765432.0", Some("85298765432")),
            ("852987654320e-1", Some("85298765432")),
            ("1.5", None),
            ("1e-3", None),
            ("0.5e1", Some("5")),
            ("0", Some("0")),
            ("-12", Some("-12")),
            ("-1.2e1", Some("-12")),
            ("0e5", Some("0")),
            ("0.000e-900", Some("0")),
            ("1e64", None),
            (
                "1e63",
                Some("1000000000000000000000000000000000000000000000000000000000000000"),
            ),
            ("1e999999999999999999999", None),
        ];
        for (input, want) in cases {
            assert_eq!(integer_text(input).as_deref(), *want, "{input}");
        }
    }

    #[test]
    fn position_counts_lines_and_columns_from_one() {
        assert_eq!(position(b"ab\ncd", 0), (1, 1));
        assert_eq!(position(b"ab\ncd", 4), (2, 2));
    }
}
