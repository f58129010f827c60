//! The current time, which tests set: `PGLINT_NOW` (RFC 3339, e.g. `2030-01-01T00:00:00Z`)
//! overrides the system clock, so that fixtures about expiry never go stale.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The environment variable that sets the clock.
pub const ENV: &str = "PGLINT_NOW";

/// `PGLINT_NOW` when set, else the system clock. An unparseable `PGLINT_NOW` is an error.
pub fn now() -> Result<SystemTime, String> {
    match std::env::var(ENV) {
        Ok(text) => parse(&text).ok_or_else(|| {
            format!("{ENV}=`{text}` is not an RFC 3339 time such as 2030-01-01T00:00:00Z")
        }),
        Err(_) => Ok(SystemTime::now()),
    }
}

/// An RFC 3339 date-time (`2030-01-01T00:00:00Z`, `…+02:00`, fractions ignored), or a
/// date alone (midnight UTC).
pub fn parse(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    if let Some(time) = time {
        let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
            Some(i) => (&time[..i], &time[i..]),
            None => return None,
        };
        let clock = clock.split('.').next()?;
        let mut hms = clock.splitn(3, ':');
        let hours: i64 = hms.next()?.parse().ok()?;
        let minutes: i64 = hms.next()?.parse().ok()?;
        let secs: i64 = hms.next().unwrap_or("0").parse().ok()?;
        if hours > 23 || minutes > 59 || secs > 60 {
            return None;
        }
        seconds += hours * 3600 + minutes * 60 + secs;
        if let Some(sign_offset) = offset.strip_prefix(['+', '-']) {
            let (h, m) = sign_offset.split_once(':')?;
            let shift = h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60;
            seconds -= if offset.starts_with('+') {
                shift
            } else {
                -shift
            };
        }
    }
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(seconds as u64))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs()))
    }
}

/// `2030-01-01`.
pub fn format_date(time: SystemTime) -> String {
    let days = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() / 86_400) as i64,
        Err(e) => -(e.duration().as_secs().div_ceil(86_400) as i64),
    };
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339() {
        let at = |s: &str| parse(s).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2030-01-01T00:00:00Z"), Some(1_893_456_000));
        assert_eq!(at("2030-01-01T02:00:00+02:00"), Some(1_893_456_000));
        assert_eq!(at("2030-01-01T00:00:00.5Z"), Some(1_893_456_000));
        assert_eq!(at("2030-01-01"), Some(1_893_456_000));
        assert_eq!(at("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        assert_eq!(at("soon"), None);
        assert_eq!(at("2030-13-01T00:00:00Z"), None);
        assert_eq!(at("2030-01-01T00:00:00"), None, "a time needs its offset");
    }

    #[test]
    fn formats_dates() {
        assert_eq!(
            format_date(parse("2036-11-28T02:37:54Z").unwrap()),
            "2036-11-28"
        );
        assert_eq!(format_date(UNIX_EPOCH), "1970-01-01");
    }
}
