//! How the client waits between attempts: the retry policy and `Retry-After`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// How the client retries transient failures (connect errors, timeouts, HTTP 429/502/503/504,
/// code 6451010). Authentication and parameter errors are never retried. Made by
/// [`RetryPolicy::builder`], [`RetryPolicy::default`] or [`RetryPolicy::none`].
///
/// The delay before retry `n` (1 for the first retry) is drawn with "equal jitter" from
/// `[d/2, d]`, where `d = min(base_delay * 2^(n-1), max_delay)`. When the server sent
/// `Retry-After`, that delay is used instead, capped by `max_delay`. No retry starts when it
/// would begin more than `max_elapsed` after the first attempt.
///
/// ```
/// # use cinnox::RetryPolicy;
/// # use std::time::Duration;
/// let p = RetryPolicy::builder().base_delay(Duration::from_millis(100)).build()?;
/// // The second retry waits between 100 and 200 ms, depending on the random draw.
/// let d = p.delay_for(2, None, 12345);
/// assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
/// // A server's Retry-After wins, capped by max_delay (5 s by default).
/// assert_eq!(p.delay_for(1, Some(Duration::from_secs(60)), 0), Duration::from_secs(5));
/// # Ok::<(), cinnox::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
}

/// Configures a [`RetryPolicy`]: made by [`RetryPolicy::builder`] with the defaults;
/// checked by [`build`](RetryPolicyBuilder::build).
#[derive(Debug, Clone)]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Attempts in all, the first included (default 4; 1 = no retry; 0 fails `build`).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// The delay before the first retry (default 200 ms); doubled for each further one,
    /// with jitter.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.policy.base_delay = delay;
        self
    }

    /// No single delay is longer than this (default 5 s); a `Retry-After` is capped by it
    /// too.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.policy.max_delay = delay;
        self
    }

    /// No retry starts after this much time has passed since the first attempt (default
    /// 30 s).
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.policy.max_elapsed = elapsed;
        self
    }

    /// The policy, checked: [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// when `max_attempts` is 0.
    pub fn build(self) -> Result<RetryPolicy> {
        if self.policy.max_attempts == 0 {
            return Err(Error::invalid_argument(
                "retry policy: max_attempts must be at least 1 (1 means no retry)",
            ));
        }
        Ok(self.policy)
    }
}

impl RetryPolicy {
    /// A builder starting from the defaults (4 attempts, 200 ms doubling up to 5 s, no
    /// retry after 30 s).
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: RetryPolicy::default(),
        }
    }

    /// No retries: one attempt only.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included (1 = no retry).
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay before the first retry; doubled for each further one, with jitter.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// No single delay is longer than this (a `Retry-After` is capped by it too).
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// No retry starts after this much time has passed since the first attempt.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The delay before retry number `retry` (1 for the first retry, i.e. the second attempt;
    /// 0 counts as 1).
    ///
    /// `retry_after` is the delay the server asked for, if any; `random` is any random number
    /// (the client draws it from the operating system), which picks the jitter. The result is
    /// never longer than [`max_delay`](RetryPolicy::max_delay). Pure: the same inputs give the
    /// same delay.
    pub fn delay_for(&self, retry: u32, retry_after: Option<Duration>, random: u64) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_delay);
        }
        let cap = self.max_delay.as_nanos();
        let doublings = retry.saturating_sub(1).min(64);
        let full = self
            .base_delay
            .as_nanos()
            .saturating_mul(1u128 << doublings)
            .min(cap);
        let half = full / 2;
        let spread = full - half; // jitter range: [half, full]
        let jitter = u128::from(random) % (spread + 1);
        nanos_to_duration(half + jitter)
    }
}

impl Default for RetryPolicy {
    /// 4 attempts, 200 ms doubling up to 5 s, no retry after 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

pub(super) fn nanos_to_duration(nanos: u128) -> Duration {
    let secs = nanos / 1_000_000_000;
    let sub = (nanos % 1_000_000_000) as u32;
    match u64::try_from(secs) {
        Ok(secs) => Duration::new(secs, sub),
        Err(_) => Duration::MAX,
    }
}

/// `Retry-After` as delta-seconds or an HTTP-date (IMF-fixdate), relative to `now`.
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurdly long number still means "a long time": saturate.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_imf_fixdate(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as seconds since the Unix epoch.
pub(super) fn parse_imf_fixdate(s: &str) -> Option<u64> {
    let rest = s.split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let sec: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() || hms.next().is_some() {
        return None;
    }
    // IMF-fixdate has a four-digit year; a larger one (sent by anyone) would overflow the
    // arithmetic below.
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    // Days from civil (proleptic Gregorian), H. Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let days = u64::try_from(days).ok()?;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base_ms: u64, max_ms: u64) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(base_ms),
            max_delay: Duration::from_millis(max_ms),
            max_elapsed: Duration::from_secs(60),
        }
    }

    #[test]
    fn delay_doubles_with_equal_jitter_and_stays_within_bounds() {
        let p = policy(100, 1_000);
        for (retry, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1_000),
            (40, 1_000),
        ] {
            let full = Duration::from_millis(full);
            assert_eq!(p.delay_for(retry, None, 0), full / 2, "retry {retry}");
            assert_eq!(
                p.delay_for(retry, None, u64::MAX),
                full / 2 + Duration::from_nanos(u64::MAX % (full.as_nanos() as u64 / 2 + 1))
            );
            for r in [1u64, 7, 1 << 20, 1 << 40, u64::MAX - 3] {
                let d = p.delay_for(retry, None, r);
                assert!(
                    d >= full / 2 && d <= full,
                    "retry {retry} random {r}: {d:?}"
                );
            }
        }
        // The top of the range is reachable.
        let full = Duration::from_millis(100).as_nanos() as u64;
        assert_eq!(p.delay_for(1, None, full / 2), Duration::from_millis(100));
    }

    #[test]
    fn delay_saturates_instead_of_overflowing() {
        let p = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..RetryPolicy::default()
        };
        assert!(p.delay_for(u32::MAX, None, u64::MAX) >= Duration::MAX / 2);
        assert_eq!(policy(0, 0).delay_for(3, None, 99), Duration::ZERO);
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = policy(100, 1_000);
        assert_eq!(
            p.delay_for(1, Some(Duration::from_millis(300)), 5),
            Duration::from_millis(300)
        );
        assert_eq!(
            p.delay_for(3, Some(Duration::from_secs(3600)), 5),
            Duration::from_secs(1)
        );
        assert_eq!(p.delay_for(3, Some(Duration::ZERO), 5), Duration::ZERO);
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // 1994-11-06 08:49:30 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        assert_eq!(parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_imf_fixdate("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
    }

    #[test]
    fn retry_after_with_a_year_out_of_range_is_ignored_not_a_panic() {
        // The header comes from the server: a date no arithmetic can hold is no date.
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        for far in [
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
            "Sun, 06 Nov 1000000000000000 08:49:37 GMT",
            "Sun, 06 Nov 10000 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(far, now), None, "{far:?}");
        }
        assert_eq!(
            parse_imf_fixdate("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799)
        );
    }
}
