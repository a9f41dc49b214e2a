//! RFC 3339 timestamps (`2022-11-07T00:00:00.000Z`) from the system clock, without a date
//! crate: the civil-from-days conversion is a dozen lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as RFC 3339 in UTC with milliseconds, e.g. `2022-11-07T00:00:00.000Z`.
pub(crate) fn now_rfc3339() -> String {
    // A clock set before 1970 is not worth an error: it reads as the epoch.
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    rfc3339_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// `millis` since the Unix epoch as RFC 3339 in UTC with milliseconds.
pub(crate) fn rfc3339_millis(millis: u64) -> String {
    let secs = millis / 1000;
    let ms = millis % 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month (1-12) and day (1-31) of the day `days` after 1970-01-01, in the proleptic
/// Gregorian calendar (H. Hinnant's `civil_from_days`, for non-negative day numbers).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let doe = z - era * 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1st, 0..=365
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_documented_example() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        // The example of the spec: 2022-11-07T00:00:00.000Z is 1667779200 s.
        assert_eq!(
            rfc3339_millis(1_667_779_200_000),
            "2022-11-07T00:00:00.000Z"
        );
    }

    #[test]
    fn leap_days_century_rules_and_millis() {
        // 2000-02-29 (divisible by 400: leap), 23:59:59.999
        assert_eq!(rfc3339_millis(951_868_799_999), "2000-02-29T23:59:59.999Z");
        // 2000-03-01 right after
        assert_eq!(rfc3339_millis(951_868_800_000), "2000-03-01T00:00:00.000Z");
        // 2100-03-01: 2100 is not a leap year, so Feb 28 is followed by Mar 1.
        assert_eq!(
            rfc3339_millis(4_107_542_400_000),
            "2100-03-01T00:00:00.000Z"
        );
        // 2024-12-31T23:59:59.123 and the new year
        assert_eq!(
            rfc3339_millis(1_735_689_599_123),
            "2024-12-31T23:59:59.123Z"
        );
        assert_eq!(
            rfc3339_millis(1_735_689_600_000),
            "2025-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn every_day_for_four_centuries_follows_the_previous_one() {
        let mut prev = civil_from_days(0);
        assert_eq!(prev, (1970, 1, 1));
        for days in 1..146_097 {
            let cur = civil_from_days(days);
            let (y, m, d) = prev;
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let next = if d < len {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(cur, next, "day {days}");
            prev = cur;
        }
    }
}
